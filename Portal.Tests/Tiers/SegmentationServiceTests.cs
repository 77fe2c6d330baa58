using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Portal.Core;
using Portal.Core.Recommendation;
using Portal.Core.Tiers;
using Portal.Tests.Components;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Tiers;

/// <summary>The tiers service on a real SQLite database holding real UCI rows imported by the real import job.</summary>
public sealed class SegmentationServiceTests : IDisposable
{
    private readonly SqliteTestDatabase _db = new();
    private readonly SegmentationService _service;

    public SegmentationServiceTests()
    {
        UciSeed.Seed(_db);
        var models = new ModelStore(_db.Factory, new PortalPaths(_db.Directory), NullLogger<ModelStore>.Instance);
        _service = new SegmentationService(_db.Factory, models);
    }

    public void Dispose() => _db.Dispose();

    private async Task<List<CustomerTier>> TiersOf(int runId)
    {
        await using var db = _db.CreateContext();
        return await db.CustomerTiers.AsNoTracking().Where(t => t.SegmentationRunId == runId).OrderBy(t => t.CustomerId).ToListAsync();
    }

    [Fact]
    public async Task A_run_assigns_every_customer_with_events_and_stores_topics()
    {
        var run = await _service.RunAsync("test");
        Assert.Equal(SegmentationStatus.Succeeded, run.Status);
        await using var db = _db.CreateContext();
        var withEvents = await db.Events.Select(e => e.CustomerId).Distinct().CountAsync();
        Assert.Equal(withEvents, run.Customers);
        Assert.Equal(withEvents, await db.CustomerTiers.CountAsync(t => t.SegmentationRunId == run.Id));
        Assert.Equal("tf-idf", run.VectorSource);
        Assert.Equal("embedding-mean", run.UserVectorSource);
        Assert.InRange(run.ClusterCount, 3, 8);
        Assert.Equal(16, run.TopicCount);
        Assert.Equal(run.TopicCount, await db.InterestTopics.CountAsync(t => t.LastRunId == run.Id));
        var tiers = await TiersOf(run.Id);
        // Every customer with a purchase has scores 1..5 and a segment; the scores are quintiles, so each score is used.
        var buyers = tiers.Where(t => t.Segment is not null).ToList();
        Assert.NotEmpty(buyers);
        Assert.All(buyers, t => { Assert.InRange(t.R, 1, 5); Assert.InRange(t.F, 1, 5); Assert.InRange(t.M, 1, 5); });
        Assert.Equal([1, 2, 3, 4, 5], buyers.Select(t => t.R).Distinct().Order().ToArray());
        Assert.All(tiers, t => Assert.Contains(t.Lifecycle, LifecycleStages.All));
        Assert.All(tiers.Where(t => t.Cluster > 0), t => Assert.InRange(t.Cluster, 1, run.ClusterCount));
        // Customer 17850 (first invoice of the file) bought several times.
        var c17850 = await db.Customers.SingleAsync(c => c.ExternalId == UciSeed.FirstCustomer);
        var tier = tiers.Single(t => t.CustomerId == c17850.Id);
        Assert.True(tier.Frequency > 1);
        Assert.NotNull(tier.TopicId);
    }

    [Fact]
    public async Task A_rerun_with_unchanged_data_changes_no_assignment()
    {
        var first = await _service.RunAsync("test");
        var second = await _service.RunAsync("test");
        var a = await TiersOf(first.Id);
        var b = await TiersOf(second.Id);
        Assert.Equal(a.Count, b.Count);
        for (var i = 0; i < a.Count; i++)
        {
            Assert.Equal(a[i].CustomerId, b[i].CustomerId);
            Assert.Equal((a[i].RecencyDays, a[i].Frequency, a[i].Monetary, a[i].R, a[i].F, a[i].M, a[i].Segment, a[i].Lifecycle),
                         (b[i].RecencyDays, b[i].Frequency, b[i].Monetary, b[i].R, b[i].F, b[i].M, b[i].Segment, b[i].Lifecycle));
            Assert.Equal((a[i].TopicId, a[i].Cluster, a[i].InterestsJson, a[i].CadenceDays), (b[i].TopicId, b[i].Cluster, b[i].InterestsJson, b[i].CadenceDays));
        }
        foreach (var layer in Enum.GetValues<TierLayer>())
            Assert.All(await _service.GetFlowsAsync(first.Id, second.Id, layer), f => Assert.Equal(f.From, f.To));
        Assert.Equal(first.ClusterCount, second.ClusterCount);
        Assert.Equal(first.Silhouette, second.Silhouette);
    }

    [Fact]
    public async Task The_what_if_preview_equals_the_result_of_saving()
    {
        var before = await _service.RunAsync("test");
        var (version, rules) = await _service.GetDefinitionAsync();
        Assert.Equal(1, version);
        var grid = TierRules.DefaultGrid();
        grid[4][3] = RfmSegments.Loyal;          // R 5, FM 4: champions → loyal
        grid[0][0] = RfmSegments.Hibernating;    // R 1, FM 1: lost → hibernating
        var edited = rules with { RfmGrid = grid, Lifecycle = rules.Lifecycle with { ActiveDays = 60, AtRiskDays = 120 } };

        var preview = await _service.PreviewAsync(edited);
        Assert.Equal(before.Id, preview.BaseRunId);
        Assert.True(preview.Moved > 0);
        Assert.Contains(preview.Segments, f => f is { From: RfmSegments.Champions, To: RfmSegments.Loyal });
        Assert.Contains(preview.Lifecycle, f => f.From != f.To);
        await using (var db = _db.CreateContext())
            Assert.Equal(1, await db.SegmentationRuns.CountAsync()); // the preview stored nothing

        Assert.Equal(2, await _service.SaveDefinitionAsync(edited, Portal.Core.Access.Actor.System, "what-if test"));
        var after = await _service.RunAsync("definitions");
        Assert.Equal(2, after.DefinitionVersion);
        Assert.Equal(preview.Segments, await _service.GetFlowsAsync(before.Id, after.Id, TierLayer.Segment));
        Assert.Equal(preview.Lifecycle, await _service.GetFlowsAsync(before.Id, after.Id, TierLayer.Lifecycle));
        Assert.Equal(preview.Customers, after.Customers);
        // Version 1 is kept as it was.
        var versions = await _service.GetDefinitionVersionsAsync();
        Assert.Equal([2, 1], versions.Select(v => v.Version).ToArray());
        Assert.Equal(RfmSegments.Champions, TierRules.FromJson(versions[1].RulesJson).Segment(5, 4));
    }

    [Fact]
    public async Task History_counts_and_topic_names_survive_reruns()
    {
        var first = await _service.RunAsync("test");
        var topic = (await _service.GetTopicsAsync())[0];
        await _service.RenameTopicAsync(topic.Id, "Gifts", Portal.Core.Access.Actor.System);
        var second = await _service.RunAsync("test");
        var renamed = (await _service.GetTopicsAsync()).Single(t => t.Id == topic.Id);
        Assert.Equal("Gifts", renamed.DisplayName);
        var history = await _service.GetHistoryAsync(TierLayer.Segment);
        Assert.Equal([first.Id, second.Id], history.Select(h => h.RunId).ToArray());
        Assert.Equal(first.Customers, history[0].Sizes.Values.Sum());
        Assert.Equal(history[0].Sizes, history[1].Sizes);
        await Assert.ThrowsAsync<KeyNotFoundException>(() => _service.RenameTopicAsync(-5, "x", Portal.Core.Access.Actor.System));
    }

    [Fact]
    public async Task The_audience_csv_holds_exactly_the_filtered_customers()
    {
        var run = await _service.RunAsync("test");
        var tiers = await TiersOf(run.Id);
        var segment = tiers.Where(t => t.Segment is not null).GroupBy(t => t.Segment).OrderByDescending(g => g.Count()).First().Key!;
        var expected = tiers.Count(t => t.Segment == segment && t.Lifecycle == tiers.First(x => x.Segment == segment).Lifecycle);
        var writer = new StringWriter();
        var n = await _service.WriteAudienceCsvAsync(new AudienceFilter(segment, tiers.First(x => x.Segment == segment).Lifecycle), writer);
        Assert.Equal(expected, n);
        var lines = writer.ToString().TrimEnd().Split('\n');
        Assert.Equal("customer_id,country,segment,r,f,m,recency_days,frequency,monetary,lifecycle,topic,cluster", lines[0].TrimEnd('\r'));
        Assert.Equal(expected + 1, lines.Length);
        Assert.All(lines.Skip(1), l => Assert.Contains("," + segment + ",", l));
    }
}
