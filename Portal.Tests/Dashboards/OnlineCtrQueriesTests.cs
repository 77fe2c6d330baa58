using Microsoft.EntityFrameworkCore;
using Portal.Core.Campaigns;
using Portal.Core.Catalog;
using Portal.Core.Customers;
using Portal.Core.Dashboards;
using Portal.Core.Data;
using Portal.Core.Feedback;
using Portal.Core.PushBatches;
using Portal.Core.Tiers;
using Portal.Tests.Ctr;
using Portal.Tests.Import;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Dashboards;

/// <summary>Online CTR per day, campaign, batch and tier from feedback rows in a real SQLite database, against hand counts.</summary>
public sealed class OnlineCtrQueriesTests
{
    /// <summary>Ids of the hand-made data set.</summary>
    internal sealed record Seeded(int ShopA, int ShopB, int CampaignX, int Batch1, int C1, int C2, int C3);

    /// <summary>
    /// Two merchants; customers c1 (champions in the latest tiers run, loyal in an older one), c2 (at_risk), c3 (no tier);
    /// campaign X with batch 1. Feedback (A unless said):
    /// 11-01: c1 3 impressions + 1 click (X, batch 1); c2 2 impressions (no campaign); B: c1 1 impression.
    /// 11-02: c3 1 impression + 1 click + 1 conversion (X, no batch); anonymous 4 impressions + 2 clicks.
    /// 11-03 23:59:59: c1 1 impression (X, batch 1). 11-04 00:00:00: c2 1 click (no campaign).
    /// </summary>
    internal static Seeded Seed(PortalDbContext db)
    {
        var a = new Merchant { Code = "shop-a", Name = "Shop A" };
        var b = new Merchant { Code = "shop-b", Name = "Shop B" };
        db.Merchants.AddRange(a, b);
        db.SaveChanges();
        var p1 = new Product { MerchantId = a.Id, ExternalId = "P1", Name = "Lamp" };
        var p2 = new Product { MerchantId = a.Id, ExternalId = "P2", Name = "Mug" };
        var pb = new Product { MerchantId = b.Id, ExternalId = "P1", Name = "B's lamp" };
        var c1 = new Customer { ExternalId = "c1" };
        var c2 = new Customer { ExternalId = "c2" };
        var c3 = new Customer { ExternalId = "c3" };
        db.AddRange(p1, p2, pb, c1, c2, c3);
        db.SaveChanges();
        var x = new Campaign { MerchantId = a.Id, Name = "Winter lamps", CreatedByUserId = "system" };
        db.Campaigns.Add(x);
        db.SaveChanges();
        var batch = new PushBatch { MerchantId = a.Id, CampaignId = x.Id, CreatedByUserId = "system", ScheduledFor = new DateTime(2026, 11, 1, 0, 0, 0, DateTimeKind.Utc) };
        db.PushBatches.Add(batch);
        var older = new SegmentationRun { Trigger = "test", Status = SegmentationStatus.Succeeded, FinishedAt = new DateTime(2026, 10, 1, 0, 0, 0, DateTimeKind.Utc) };
        var latest = new SegmentationRun { Trigger = "test", Status = SegmentationStatus.Succeeded, FinishedAt = new DateTime(2026, 11, 5, 0, 0, 0, DateTimeKind.Utc) };
        var failed = new SegmentationRun { Trigger = "test", Status = SegmentationStatus.Failed, FinishedAt = new DateTime(2026, 11, 6, 0, 0, 0, DateTimeKind.Utc) };
        db.SegmentationRuns.AddRange(older, latest, failed);
        db.SaveChanges();
        db.CustomerTiers.AddRange(
            new CustomerTier { SegmentationRunId = older.Id, CustomerId = c1.Id, Segment = "loyal", Lifecycle = "active" },
            new CustomerTier { SegmentationRunId = older.Id, CustomerId = c3.Id, Segment = "loyal", Lifecycle = "active" },
            new CustomerTier { SegmentationRunId = latest.Id, CustomerId = c1.Id, Segment = "champions", Lifecycle = "active" },
            new CustomerTier { SegmentationRunId = latest.Id, CustomerId = c2.Id, Segment = "at_risk", Lifecycle = "at_risk" },
            new CustomerTier { SegmentationRunId = failed.Id, CustomerId = c2.Id, Segment = "hibernating", Lifecycle = "dormant" });
        var n = 0;
        void Add(int count, FeedbackKind kind, int merchant, int? customer, int product, DateTime at, int? campaign = null, int? batchId = null)
        {
            for (var i = 0; i < count; i++)
            {
                var key = $"test:{++n}";
                db.FeedbackEvents.Add(new FeedbackEvent
                {
                    Kind = kind, MerchantId = merchant, CustomerId = customer, ProductId = product, Timestamp = at,
                    CampaignId = campaign, BatchId = batchId, ImpressionKey = key, DedupKey = key,
                });
            }
        }
        DateTime Day(int day, int hour = 10, int minute = 0, int second = 0) => new(2026, 11, day, hour, minute, second, DateTimeKind.Utc);
        Add(3, FeedbackKind.Impression, a.Id, c1.Id, p1.Id, Day(1), x.Id, batch.Id);
        Add(1, FeedbackKind.Click, a.Id, c1.Id, p1.Id, Day(1, 11), x.Id, batch.Id);
        Add(2, FeedbackKind.Impression, a.Id, c2.Id, p2.Id, Day(1, 12));
        Add(1, FeedbackKind.Impression, b.Id, c1.Id, pb.Id, Day(1, 13));
        Add(1, FeedbackKind.Impression, a.Id, c3.Id, p1.Id, Day(2), x.Id);
        Add(1, FeedbackKind.Click, a.Id, c3.Id, p1.Id, Day(2), x.Id);
        Add(1, FeedbackKind.Conversion, a.Id, c3.Id, p1.Id, Day(2, 14), x.Id);
        Add(4, FeedbackKind.Impression, a.Id, null, p2.Id, Day(2, 15));
        Add(2, FeedbackKind.Click, a.Id, null, p2.Id, Day(2, 16));
        Add(1, FeedbackKind.Impression, a.Id, c1.Id, p1.Id, Day(3, 23, 59, 59), x.Id, batch.Id);
        Add(1, FeedbackKind.Click, a.Id, c2.Id, p2.Id, Day(4, 0));
        db.SaveChanges();
        return new Seeded(a.Id, b.Id, x.Id, batch.Id, c1.Id, c2.Id, c3.Id);
    }

    private static DateTime D(int day) => new(2026, 11, day, 0, 0, 0, DateTimeKind.Utc);

    [Fact]
    public async Task Daily_campaign_batch_and_tier_figures_equal_the_hand_counts()
    {
        using var database = new SqliteTestDatabase();
        Seeded s;
        await using (var db = database.CreateContext()) s = Seed(db);
        await using var ctx = database.CreateContext();

        Assert.Equal((D(1), D(4)), await OnlineCtrQueries.DayRangeAsync(ctx));
        var daily = await OnlineCtrQueries.DailyAsync(ctx);
        Assert.Equal(
            [
                (D(1), (int?)null, new OnlineCounts(3, 0, 0)), (D(1), s.CampaignX, new OnlineCounts(3, 1, 0)),
                (D(2), null, new OnlineCounts(4, 2, 0)), (D(2), s.CampaignX, new OnlineCounts(1, 1, 1)),
                (D(3), s.CampaignX, new OnlineCounts(1, 0, 0)),
                (D(4), null, new OnlineCounts(0, 1, 0)),
            ],
            daily.Select(d => (d.Day, d.CampaignId, d.Counts)));
        Assert.All(daily, d => Assert.Equal(DateTimeKind.Utc, d.Day.Kind));
        Assert.Equal(1.0 / 3, daily[1].Counts.Ctr!.Value, 12);
        Assert.Null(daily[5].Counts.Ctr); // a click without impressions that day: undefined, not 0 or infinity

        // The range is in whole UTC days: 11-03 23:59:59 is in, 11-04 00:00 is out.
        var campaigns = await OnlineCtrQueries.ByCampaignAsync(ctx, D(1), D(3));
        Assert.Equal(
            [(OnlineCtrQueries.NoCampaign, (string?)null, new OnlineCounts(7, 2, 0)), (s.CampaignX.ToString(), "Winter lamps", new OnlineCounts(5, 2, 1))],
            campaigns.Select(c => (c.Key, c.Name, c.Counts)));
        Assert.Equal(2.0 / 7, campaigns[0].Counts.Ctr!.Value, 12);
        Assert.Equal(0.4, campaigns[1].Counts.Ctr!.Value, 12);

        var batches = await OnlineCtrQueries.ByBatchAsync(ctx, D(1), D(3));
        Assert.Equal(
            [(OnlineCtrQueries.NoCampaign, (string?)null, new OnlineCounts(8, 3, 1)), (s.Batch1.ToString(), "Winter lamps", new OnlineCounts(4, 1, 0))],
            batches.Select(b => (b.Key, b.Name, b.Counts)));

        // Tiers from the latest succeeded run (c1 champions, not the older run's loyal; the failed run is ignored).
        var tiers = await OnlineCtrQueries.ByTierAsync(ctx, D(1), D(3));
        Assert.Equal(
            [
                ("champions", new OnlineCounts(5, 1, 0)), (OnlineCtrQueries.Anonymous, new OnlineCounts(4, 2, 0)),
                ("at_risk", new OnlineCounts(2, 0, 0)), (OnlineCtrQueries.NoTier, new OnlineCounts(1, 1, 1)),
            ],
            tiers.Select(t => (t.Key, t.Counts)));

        // One merchant's view leaves the other merchant's impression out.
        var onlyA = await OnlineCtrQueries.ByCampaignAsync(ctx, D(1), D(3), s.ShopA);
        Assert.Equal(new OnlineCounts(6, 2, 0), onlyA.Single(c => c.Key == OnlineCtrQueries.NoCampaign).Counts);
        var onlyB = await OnlineCtrQueries.DailyAsync(ctx, null, null, s.ShopB);
        Assert.Equal([(D(1), (int?)null, new OnlineCounts(1, 0, 0))], onlyB.Select(d => (d.Day, d.CampaignId, d.Counts)));
        Assert.Empty(await OnlineCtrQueries.DailyAsync(ctx, D(5), D(9)));
    }

    [Fact]
    public async Task An_empty_feedback_table_has_no_range_and_no_rows()
    {
        using var database = new SqliteTestDatabase();
        await using var ctx = database.CreateContext();
        Assert.Null(await OnlineCtrQueries.DayRangeAsync(ctx));
        Assert.Empty(await OnlineCtrQueries.DailyAsync(ctx));
        Assert.Empty(await OnlineCtrQueries.ByCampaignAsync(ctx));
        Assert.Empty(await OnlineCtrQueries.ByTierAsync(ctx));
        Assert.Empty(await OnlineCtrQueries.ByBatchAsync(ctx));
    }

    [Fact]
    public async Task The_open_bandit_log_gives_its_real_impressions_and_clicks_per_day_without_campaign()
    {
        using var f = new ImportFixture();
        var run = await f.ImportAsync(OpenBanditData.Log("random"));
        Assert.Equal(Portal.Core.Data.Import.ImportStatus.Succeeded, run.Status);
        await using var ctx = f.Db.CreateContext();

        var daily = await OnlineCtrQueries.DailyAsync(ctx);
        // Hand count per day straight from the rows.
        var rows = await ctx.FeedbackEvents.AsNoTracking().Select(e => new { e.Timestamp, e.Kind }).ToListAsync();
        var expected = rows.GroupBy(r => r.Timestamp.Date).OrderBy(g => g.Key)
            .Select(g => (g.Key, (int?)null, new OnlineCounts(g.LongCount(r => r.Kind == FeedbackKind.Impression), g.LongCount(r => r.Kind == FeedbackKind.Click), 0)))
            .ToList();
        Assert.Equal(expected, daily.Select(d => (d.Day, d.CampaignId, d.Counts)));
        Assert.Equal(10_000, daily.Sum(d => d.Counts.Impressions));
        Assert.Equal(46, daily.Sum(d => d.Counts.Clicks));

        var campaign = Assert.Single(await OnlineCtrQueries.ByCampaignAsync(ctx));
        Assert.Equal((OnlineCtrQueries.NoCampaign, new OnlineCounts(10_000, 46, 0)), (campaign.Key, campaign.Counts));
        Assert.Equal(0.0046, campaign.Counts.Ctr!.Value, 12);
        var tier = Assert.Single(await OnlineCtrQueries.ByTierAsync(ctx));
        Assert.Equal(OnlineCtrQueries.Anonymous, tier.Key);
    }
}
