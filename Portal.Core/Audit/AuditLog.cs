using System.Text.Json;
using System.Text.Json.Serialization;
using Portal.Core.Access;
using Portal.Core.Data;

namespace Portal.Core.Audit;

/// <summary>Writes <see cref="AuditEntry"/> rows next to the change they describe.</summary>
public static class AuditLog
{
    private static readonly JsonSerializerOptions Json = new()
    {
        ReferenceHandler = ReferenceHandler.IgnoreCycles,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>
    /// Adds an audit entry to <paramref name="db"/> without saving: the caller's SaveChanges stores the change and
    /// its entry together (one transaction).
    /// </summary>
    /// <param name="db">The context that carries the change.</param>
    /// <param name="actor">Who made the change.</param>
    /// <param name="action">"area.verb", e.g. <c>batch.approve</c>.</param>
    /// <param name="entityType">Entity type name.</param>
    /// <param name="entityId">Entity key as text.</param>
    /// <param name="merchantId">Owning merchant, if any.</param>
    /// <param name="before">State before (serialised to JSON; pass a snapshot, not the tracked entity after mutation); null for creations.</param>
    /// <param name="after">State after; null for deletions.</param>
    /// <returns>The added entry.</returns>
    public static AuditEntry Add(PortalDbContext db, Actor actor, string action, string entityType, string entityId,
        int? merchantId, object? before, object? after)
    {
        var entry = new AuditEntry
        {
            At = DateTime.UtcNow,
            UserId = actor.UserId,
            UserName = actor.UserName,
            Action = action,
            EntityType = entityType,
            EntityId = entityId,
            MerchantId = merchantId,
            BeforeJson = before is null ? null : Snapshot(before),
            AfterJson = after is null ? null : Snapshot(after),
        };
        db.AuditEntries.Add(entry);
        return entry;
    }

    /// <summary>Serialises <paramref name="state"/> as the JSON stored in the log (enums as names, nulls left out).</summary>
    public static string Snapshot(object state) => JsonSerializer.Serialize(state, state.GetType(), Json);
}
