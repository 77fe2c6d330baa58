using Portal.Core.Access;

namespace Portal.Core.Campaigns;

/// <summary>
/// A merchant's push campaign: whom to push to, which products, how often. Scheduled builds turn it into
/// <see cref="PushBatches.PushBatch"/>es. (Audience, scope, schedule, caps and quiet hours are added by the
/// campaigns feature.)
/// </summary>
public class Campaign : IMerchantOwned
{
    /// <summary>Key.</summary>
    public int Id { get; set; }

    /// <inheritdoc />
    public int MerchantId { get; set; }

    /// <summary>Display name, unique per merchant.</summary>
    public required string Name { get; set; }

    /// <summary>Identity user id of the creator.</summary>
    public required string CreatedByUserId { get; set; }

    /// <summary>When it was created (UTC).</summary>
    public DateTime CreatedAt { get; set; }

    /// <summary>When it was last changed (UTC).</summary>
    public DateTime UpdatedAt { get; set; }
}
