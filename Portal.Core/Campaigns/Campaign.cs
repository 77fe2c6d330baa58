using Portal.Core.Access;

namespace Portal.Core.Campaigns;

/// <summary>
/// A merchant's push campaign: whom to push to (<see cref="Audience"/>), which products (<see cref="Scope"/>), how
/// many per customer, through which channel, when (<see cref="ScheduleKind"/>), how often at most (frequency caps,
/// counted across all campaigns) and never during the customer's local quiet hours. Scheduled builds turn it into
/// <see cref="PushBatches.PushBatch"/>es (<see cref="PushBatches.PushBatchBuilder"/>).
/// </summary>
public class Campaign : IMerchantOwned
{
    /// <summary>Key.</summary>
    public int Id { get; set; }

    /// <inheritdoc />
    public int MerchantId { get; set; }

    /// <summary>Display name, unique per merchant (1–200 characters).</summary>
    public required string Name { get; set; }

    /// <summary>Identity user id of the creator.</summary>
    public required string CreatedByUserId { get; set; }

    /// <summary>When it was created (UTC).</summary>
    public DateTime CreatedAt { get; set; }

    /// <summary>When it was last changed (UTC).</summary>
    public DateTime UpdatedAt { get; set; }

    /// <summary>What the campaign is for (shown to approvers; does not change the ranking).</summary>
    public CampaignGoal Goal { get; set; }

    /// <summary>Active campaigns build batches on schedule; paused and ended ones do not.</summary>
    public CampaignStatus Status { get; set; } = CampaignStatus.Active;

    /// <summary>Target audience (tiers or an uploaded list); stored as a JSON column.</summary>
    public CampaignAudience Audience { get; set; } = new();

    /// <summary>Product scope (categories, topics, product list, price band); stored as a JSON column.</summary>
    public CampaignProductScope Scope { get; set; } = new();

    /// <summary>Items per customer's push list, 1–50.</summary>
    public int ListSize { get; set; } = 10;

    /// <summary>Delivery channel (the adapters belong to delivery).</summary>
    public PushChannel Channel { get; set; } = PushChannel.Webhook;

    /// <summary>Once at <see cref="RunAt"/> or recurring by <see cref="Cron"/>.</summary>
    public ScheduleKind ScheduleKind { get; set; } = ScheduleKind.Once;

    /// <summary>The time of a <see cref="ScheduleKind.Once"/> campaign (UTC); null for cron campaigns.</summary>
    public DateTime? RunAt { get; set; }

    /// <summary>Standard five-field cron expression (minute hour day-of-month month day-of-week), evaluated in UTC (Cronos); null for once campaigns.</summary>
    public string? Cron { get; set; }

    /// <summary>Most pushes a customer may get in any 24 hours across all campaigns (null: no cap).</summary>
    public int? CapPerDay { get; set; }

    /// <summary>Most pushes a customer may get in any 7 days across all campaigns (null: no cap).</summary>
    public int? CapPerWeek { get; set; }

    /// <summary>Start of the quiet hours in the customer's local time (e.g. 21:00); null: no quiet hours.</summary>
    public TimeOnly? QuietHoursStart { get; set; }

    /// <summary>End of the quiet hours in the customer's local time (e.g. 08:00; earlier than the start when they span midnight).</summary>
    public TimeOnly? QuietHoursEnd { get; set; }

    /// <summary>First day (UTC) on which batches may be built.</summary>
    public DateOnly StartDate { get; set; }

    /// <summary>Last day (UTC, inclusive) on which batches may be built; null: open-ended.</summary>
    public DateOnly? EndDate { get; set; }

    /// <summary>Hangfire id of the scheduled build of a once campaign (deleted when the campaign is paused, ended or rescheduled).</summary>
    public string? ScheduledJobId { get; set; }

    /// <summary>Hangfire recurring job id of a cron campaign: <c>campaign-{id}</c>.</summary>
    public static string RecurringJobId(int campaignId) => $"campaign-{campaignId}";

    /// <summary>True when <paramref name="utc"/> falls between <see cref="StartDate"/> and <see cref="EndDate"/> (inclusive, UTC days).</summary>
    public bool InDateRange(DateTime utc)
    {
        var day = DateOnly.FromDateTime(utc);
        return day >= StartDate && (EndDate is null || day <= EndDate);
    }
}

/// <summary>What a campaign is for.</summary>
public enum CampaignGoal
{
    /// <summary>Get customers to open and browse (clicks).</summary>
    Engagement,
    /// <summary>Sell (conversions).</summary>
    Conversion,
    /// <summary>Win back customers at risk, dormant or churned.</summary>
    Reactivation,
    /// <summary>Sell items related to what customers bought.</summary>
    CrossSell,
    /// <summary>Introduce new products (cold start).</summary>
    NewProducts,
}

/// <summary>Campaign state.</summary>
public enum CampaignStatus
{
    /// <summary>Builds batches on schedule.</summary>
    Active,
    /// <summary>Builds nothing until resumed.</summary>
    Paused,
    /// <summary>Archived: builds nothing again.</summary>
    Ended,
}

/// <summary>How a push reaches the customer (the adapters are part of delivery).</summary>
public enum PushChannel
{
    /// <summary>HTTP POST to the merchant's webhook, signed with HMAC.</summary>
    Webhook,
    /// <summary>One JSON object per line in a file.</summary>
    JsonLinesFile,
}

/// <summary>How a campaign is scheduled.</summary>
public enum ScheduleKind
{
    /// <summary>One batch at <see cref="Campaign.RunAt"/>.</summary>
    Once,
    /// <summary>A batch at each occurrence of <see cref="Campaign.Cron"/> (UTC) between the start and end dates.</summary>
    Cron,
}

/// <summary>How the audience is chosen.</summary>
public enum AudienceKind
{
    /// <summary>Customers of the latest segmentation run matching the tier criteria.</summary>
    Tiers,
    /// <summary>An uploaded list of customer ids.</summary>
    UploadedList,
}

/// <summary>
/// A campaign's target audience. With <see cref="AudienceKind.Tiers"/>, a customer of the latest succeeded
/// segmentation run belongs when it matches every non-empty criterion (any value of a criterion matches; all criteria
/// empty = every customer with events on the merchant's products). With <see cref="AudienceKind.UploadedList"/>, the
/// listed customers.
/// </summary>
public sealed record CampaignAudience
{
    /// <summary>Tiers or uploaded list.</summary>
    public AudienceKind Kind { get; init; } = AudienceKind.Tiers;
    /// <summary>RFM segment codes (<see cref="Tiers.RfmSegments"/>).</summary>
    public List<string> Segments { get; init; } = [];
    /// <summary>Lifecycle stage codes (<see cref="Tiers.LifecycleStages"/>).</summary>
    public List<string> LifecycleStages { get; init; } = [];
    /// <summary>Interest topic ids (<see cref="Tiers.InterestTopic.Id"/>; the customer's strongest topic).</summary>
    public List<int> TopicIds { get; init; } = [];
    /// <summary>Interest cluster numbers (1..k of the latest run).</summary>
    public List<int> Clusters { get; init; } = [];
    /// <summary>Customer external ids of an uploaded list (<see cref="CustomerListCsv"/>).</summary>
    public List<string> CustomerIds { get; init; } = [];
    /// <summary>File name of the uploaded list, for display.</summary>
    public string? ListFileName { get; init; }
}

/// <summary>
/// A campaign's product scope: products in any listed category (or its sub-categories), topic or product list (all
/// lists empty = every product of the merchant), then limited to the price band. Unavailable products are never pushed.
/// </summary>
public sealed record CampaignProductScope
{
    /// <summary>Category ids (<see cref="Catalog.Category.Id"/>); a category includes its sub-categories.</summary>
    public List<int> CategoryIds { get; init; } = [];
    /// <summary>Interest topic ids (the product's topic in the latest segmentation run).</summary>
    public List<int> TopicIds { get; init; } = [];
    /// <summary>Product external ids (StockCode).</summary>
    public List<string> ProductIds { get; init; } = [];
    /// <summary>Lowest unit price (inclusive), merchant currency; null: no floor.</summary>
    public decimal? PriceMin { get; init; }
    /// <summary>Highest unit price (inclusive), merchant currency; null: no ceiling.</summary>
    public decimal? PriceMax { get; init; }
}
