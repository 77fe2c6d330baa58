namespace Portal.Core.Audit;

/// <summary>
/// One state change: who, when, what, and the entity's state before and after (JSON). Written in the same
/// SaveChanges as the change itself (see <see cref="AuditLog.Add"/>), so a change is never stored without its entry.
/// </summary>
public class AuditEntry
{
    /// <summary>Key.</summary>
    public long Id { get; set; }

    /// <summary>When the change was made (UTC).</summary>
    public DateTime At { get; set; }

    /// <summary>Identity user id of the actor, or <see cref="Access.Actor.SystemUserId"/>.</summary>
    public required string UserId { get; set; }

    /// <summary>Login name of the actor at the time.</summary>
    public required string UserName { get; set; }

    /// <summary>What was done, as "area.verb", e.g. <c>batch.approve</c>, <c>campaign.create</c>, <c>model.promote</c>.</summary>
    public required string Action { get; set; }

    /// <summary>The changed entity's type name, e.g. <c>PushBatch</c>.</summary>
    public required string EntityType { get; set; }

    /// <summary>The changed entity's key, as text.</summary>
    public required string EntityId { get; set; }

    /// <summary>The merchant the entity belongs to, if any (lets merchants' changes be filtered).</summary>
    public int? MerchantId { get; set; }

    /// <summary>State before the change as JSON; null for creations.</summary>
    public string? BeforeJson { get; set; }

    /// <summary>State after the change as JSON; null for deletions.</summary>
    public string? AfterJson { get; set; }
}
