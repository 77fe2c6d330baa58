using Microsoft.EntityFrameworkCore;
using Portal.Core.Data;
using Portal.Core.Feedback;
using Portal.Core.Tiers;

namespace Portal.Core.Dashboards;

/// <summary>Impressions, clicks and conversions of one group of feedback events, and its online click-through rate.</summary>
/// <param name="Impressions">Impression rows.</param>
/// <param name="Clicks">Click rows.</param>
/// <param name="Conversions">Conversion rows.</param>
public readonly record struct OnlineCounts(long Impressions, long Clicks, long Conversions)
{
    /// <summary>Online CTR = clicks / impressions (a fraction); null when there are no impressions (undefined, never shown as 0).</summary>
    public double? Ctr => Impressions > 0 ? (double)Clicks / Impressions : null;

    /// <summary>The sum of two groups' counts.</summary>
    public static OnlineCounts operator +(OnlineCounts a, OnlineCounts b) =>
        new(a.Impressions + b.Impressions, a.Clicks + b.Clicks, a.Conversions + b.Conversions);
}

/// <summary>The online figures of one day and campaign (a point of the daily chart).</summary>
/// <param name="Day">The UTC calendar day (time 00:00, kind UTC).</param>
/// <param name="CampaignId">The campaign, or null for feedback without one (imported logs, pushes outside campaigns).</param>
/// <param name="Counts">The day's counts for that campaign.</param>
public sealed record OnlineCtrDay(DateTime Day, int? CampaignId, OnlineCounts Counts);

/// <summary>The online figures of one bucket of a breakdown (a campaign, a batch or a tier).</summary>
/// <param name="Key">The bucket: campaign or batch id as text, an RFM segment code, or one of the <c>No…</c> keys of <see cref="OnlineCtrQueries"/>.</param>
/// <param name="Name">Display name when the bucket has one (the campaign's name; the batch's campaign name), else null.</param>
/// <param name="Counts">The bucket's counts.</param>
public sealed record OnlineCtrBucket(string Key, string? Name, OnlineCounts Counts);

/// <summary>
/// Online CTR over the feedback table (<see cref="FeedbackEvent"/>: impressions and clicks that really happened,
/// imported or posted to <c>POST /api/feedback</c>): CTR = clicks / impressions per UTC day, campaign, push batch and
/// customer tier (the RFM segment of the latest succeeded segmentation run). These figures are never mixed with the
/// replayed backtest's (<see cref="TrendQueries"/>). Counting is done by the database (GROUP BY); the page, the CSV
/// export and the tests read the same queries.
/// </summary>
public static class OnlineCtrQueries
{
    /// <summary>Bucket of feedback without a campaign (or batch).</summary>
    public const string NoCampaign = "none";

    /// <summary>Tier bucket of feedback without a customer (anonymous logs such as Open Bandit's).</summary>
    public const string Anonymous = "anonymous";

    /// <summary>Tier bucket of customers without a segment in the latest run (or no run yet).</summary>
    public const string NoTier = SegmentationService.None;

    /// <summary>The feedback events of the filter: timestamps in [<paramref name="from"/>, <paramref name="to"/> + 1 day) and, when given, one merchant.</summary>
    private static IQueryable<FeedbackEvent> Filter(PortalDbContext db, DateTime? from, DateTime? to, int? merchantId)
    {
        var q = db.FeedbackEvents.AsNoTracking();
        if (from is { } f) { var start = f.Date; q = q.Where(e => e.Timestamp >= start); }
        if (to is { } t) { var end = t.Date.AddDays(1); q = q.Where(e => e.Timestamp < end); }
        if (merchantId is { } m) q = q.Where(e => e.MerchantId == m);
        return q;
    }

    private static OnlineCounts Counts(IEnumerable<(FeedbackKind Kind, long Count)> rows)
    {
        long i = 0, c = 0, v = 0;
        foreach (var (kind, count) in rows)
            switch (kind)
            {
                case FeedbackKind.Impression: i += count; break;
                case FeedbackKind.Click: c += count; break;
                case FeedbackKind.Conversion: v += count; break;
            }
        return new OnlineCounts(i, c, v);
    }

    /// <summary>The first and last UTC day with feedback (for the date range's bounds), or null when there is none.</summary>
    /// <param name="db">The database.</param>
    /// <param name="merchantId">Only this merchant's feedback; null for all.</param>
    /// <param name="ct">Cancellation.</param>
    public static async Task<(DateTime First, DateTime Last)?> DayRangeAsync(PortalDbContext db, int? merchantId = null, CancellationToken ct = default)
    {
        var q = Filter(db, null, null, merchantId);
        if (!await q.AnyAsync(ct)) return null;
        var first = await q.MinAsync(e => e.Timestamp, ct);
        var last = await q.MaxAsync(e => e.Timestamp, ct);
        return (DateTime.SpecifyKind(first.Date, DateTimeKind.Utc), DateTime.SpecifyKind(last.Date, DateTimeKind.Utc));
    }

    /// <summary>Counts per UTC day and campaign, days ascending then campaign (null first); days without feedback are absent.</summary>
    /// <param name="db">The database.</param>
    /// <param name="from">First day (UTC date), inclusive; null: no bound.</param>
    /// <param name="to">Last day (UTC date), inclusive; null: no bound.</param>
    /// <param name="merchantId">Only this merchant's feedback; null for all.</param>
    /// <param name="ct">Cancellation.</param>
    public static async Task<List<OnlineCtrDay>> DailyAsync(PortalDbContext db, DateTime? from = null, DateTime? to = null, int? merchantId = null, CancellationToken ct = default)
    {
        var rows = await Filter(db, from, to, merchantId)
            .GroupBy(e => new { Day = e.Timestamp.Date, e.CampaignId, e.Kind })
            .Select(g => new { g.Key.Day, g.Key.CampaignId, g.Key.Kind, Count = g.LongCount() })
            .ToListAsync(ct);
        return rows.GroupBy(r => (r.Day, r.CampaignId))
            .Select(g => new OnlineCtrDay(DateTime.SpecifyKind(g.Key.Day, DateTimeKind.Utc), g.Key.CampaignId, Counts(g.Select(r => (r.Kind, r.Count)))))
            .OrderBy(d => d.Day).ThenBy(d => d.CampaignId ?? 0).ToList();
    }

    /// <summary>Counts per campaign (key = campaign id, name = campaign name; <see cref="NoCampaign"/> for feedback without one), most impressions first.</summary>
    /// <param name="db">The database.</param>
    /// <param name="from">First day (UTC date), inclusive; null: no bound.</param>
    /// <param name="to">Last day (UTC date), inclusive; null: no bound.</param>
    /// <param name="merchantId">Only this merchant's feedback; null for all.</param>
    /// <param name="ct">Cancellation.</param>
    public static async Task<List<OnlineCtrBucket>> ByCampaignAsync(PortalDbContext db, DateTime? from = null, DateTime? to = null, int? merchantId = null, CancellationToken ct = default)
    {
        var rows = await Filter(db, from, to, merchantId).GroupBy(e => new { e.CampaignId, e.Kind })
            .Select(g => new { g.Key.CampaignId, g.Key.Kind, Count = g.LongCount() }).ToListAsync(ct);
        var ids = rows.Where(r => r.CampaignId is not null).Select(r => r.CampaignId!.Value).Distinct().ToList();
        var names = await db.Campaigns.AsNoTracking().Where(c => ids.Contains(c.Id)).ToDictionaryAsync(c => c.Id, c => c.Name, ct);
        return Order(rows.GroupBy(r => r.CampaignId).Select(g => new OnlineCtrBucket(
            g.Key?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? NoCampaign,
            g.Key is { } id && names.TryGetValue(id, out var n) ? n : null, Counts(g.Select(r => (r.Kind, r.Count))))));
    }

    /// <summary>Counts per push batch (key = batch id, name = its campaign's name; <see cref="NoCampaign"/> for feedback without a batch), most impressions first.</summary>
    /// <param name="db">The database.</param>
    /// <param name="from">First day (UTC date), inclusive; null: no bound.</param>
    /// <param name="to">Last day (UTC date), inclusive; null: no bound.</param>
    /// <param name="merchantId">Only this merchant's feedback; null for all.</param>
    /// <param name="ct">Cancellation.</param>
    public static async Task<List<OnlineCtrBucket>> ByBatchAsync(PortalDbContext db, DateTime? from = null, DateTime? to = null, int? merchantId = null, CancellationToken ct = default)
    {
        var rows = await Filter(db, from, to, merchantId).GroupBy(e => new { e.BatchId, e.Kind })
            .Select(g => new { g.Key.BatchId, g.Key.Kind, Count = g.LongCount() }).ToListAsync(ct);
        var ids = rows.Where(r => r.BatchId is not null).Select(r => r.BatchId!.Value).Distinct().ToList();
        var names = await db.PushBatches.AsNoTracking().Where(b => ids.Contains(b.Id))
            .Select(b => new { b.Id, Name = b.Campaign!.Name }).ToDictionaryAsync(b => b.Id, b => b.Name, ct);
        return Order(rows.GroupBy(r => r.BatchId).Select(g => new OnlineCtrBucket(
            g.Key?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? NoCampaign,
            g.Key is { } id && names.TryGetValue(id, out var n) ? n : null, Counts(g.Select(r => (r.Kind, r.Count))))));
    }

    /// <summary>
    /// Counts per customer tier: the customer's RFM segment in the latest succeeded segmentation run (today's tier,
    /// applied to all the period's feedback); <see cref="NoTier"/> for customers without one, <see cref="Anonymous"/>
    /// for feedback without a customer. Most impressions first.
    /// </summary>
    /// <param name="db">The database.</param>
    /// <param name="from">First day (UTC date), inclusive; null: no bound.</param>
    /// <param name="to">Last day (UTC date), inclusive; null: no bound.</param>
    /// <param name="merchantId">Only this merchant's feedback; null for all.</param>
    /// <param name="ct">Cancellation.</param>
    public static async Task<List<OnlineCtrBucket>> ByTierAsync(PortalDbContext db, DateTime? from = null, DateTime? to = null, int? merchantId = null, CancellationToken ct = default)
    {
        var runId = await db.SegmentationRuns.AsNoTracking().Where(r => r.Status == SegmentationStatus.Succeeded)
            .OrderByDescending(r => r.FinishedAt).ThenByDescending(r => r.Id).Select(r => (int?)r.Id).FirstOrDefaultAsync(ct) ?? -1;
        var tiers = db.CustomerTiers.AsNoTracking().Where(t => t.SegmentationRunId == runId);
        var rows = await Filter(db, from, to, merchantId)
            .LeftJoin(tiers, e => e.CustomerId, t => (int?)t.CustomerId, (e, t) => new
            {
                e.Kind,
                Tier = e.CustomerId == null ? Anonymous : t == null || t.Segment == null ? NoTier : t.Segment,
            })
            .GroupBy(x => new { x.Tier, x.Kind })
            .Select(g => new { g.Key.Tier, g.Key.Kind, Count = g.LongCount() }).ToListAsync(ct);
        return Order(rows.GroupBy(r => r.Tier).Select(g => new OnlineCtrBucket(g.Key, null, Counts(g.Select(r => (r.Kind, r.Count))))));
    }

    private static List<OnlineCtrBucket> Order(IEnumerable<OnlineCtrBucket> buckets) =>
        buckets.OrderByDescending(b => b.Counts.Impressions).ThenBy(b => b.Key, StringComparer.Ordinal).ToList();
}
