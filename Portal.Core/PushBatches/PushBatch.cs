using Portal.Core.Access;

namespace Portal.Core.PushBatches;

/// <summary>
/// One scheduled build of a campaign: a push list per eligible customer (rows of <see cref="PushMessage"/>, which
/// are also the delivery outbox) and a summary for the approver.
/// </summary>
public class PushBatch : IMerchantOwned
{
    /// <summary>Key.</summary>
    public int Id { get; set; }

    /// <inheritdoc />
    public int MerchantId { get; set; }

    /// <summary>The campaign it was built for.</summary>
    public int CampaignId { get; set; }

    /// <summary>The campaign.</summary>
    public Campaigns.Campaign? Campaign { get; set; }

    /// <summary>Current life-cycle state.</summary>
    public PushBatchStatus Status { get; set; } = PushBatchStatus.Draft;

    /// <summary>The scheduled time this batch was built for (UTC).</summary>
    public DateTime ScheduledFor { get; set; }

    /// <summary>When it was built (UTC).</summary>
    public DateTime CreatedAt { get; set; }

    /// <summary>Identity user id of the creator (the campaign's owner for scheduled builds); the approver must differ.</summary>
    public required string CreatedByUserId { get; set; }

    /// <summary>Summary for the approver as JSON (audience size, pushes, predicted CTR, coverage, diversity, tiers, sample lists).</summary>
    public string? SummaryJson { get; set; }

    /// <summary>Reason given when rejected.</summary>
    public string? RejectionReason { get; set; }

    /// <summary>Who approved it (Identity user id).</summary>
    public string? ApprovedByUserId { get; set; }

    /// <summary>When it was approved (UTC).</summary>
    public DateTime? ApprovedAt { get; set; }

    /// <summary>When the last push was delivered (UTC).</summary>
    public DateTime? SentAt { get; set; }

    /// <summary>Optimistic concurrency token, so two approvers cannot both move the batch.</summary>
    public Guid Version { get; set; } = Guid.NewGuid();
}
