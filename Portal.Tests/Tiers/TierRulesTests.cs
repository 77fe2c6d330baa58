using Portal.Core.Behavior;
using Portal.Core.Tiers;

namespace Portal.Tests.Tiers;

/// <summary>RFM scores and segments, lifecycle and decay on a hand-made set of customers (no database needed: the engine is pure).</summary>
public sealed class TierRulesTests
{
    private static readonly DateTime AsOf = new(2011, 12, 9, 12, 0, 0, DateTimeKind.Utc);

    /// <summary>
    /// Customers 1..10: customer i has i orders of one unit at 10.00, one day apart, the last one (11 − i) × 10 days
    /// before the as-of time; customer 10 also returned 5 units (monetary 100 − 50 = 50). Customer 11 only viewed a
    /// product, at the as-of time.
    /// </summary>
    private static TierSnapshot HandMade()
    {
        var products = new List<TierProduct>
        {
            new(1, "P1", "RED CERAMIC MUG", null), new(2, "P2", "BLUE CERAMIC MUG", null),
            new(3, "P3", "CHRISTMAS TREE LIGHTS", null), new(4, "P4", "CHRISTMAS STAR LIGHTS", null),
        };
        var events = new List<TierEvent>();
        var order = 0;
        for (var c = 1; c <= 10; c++)
        {
            var last = AsOf.AddDays(-(11 - c) * 10);
            for (var j = c - 1; j >= 0; j--)
                events.Add(new TierEvent(c, 1 + (c + j) % 4, last.AddDays(-j), EventType.Purchase, 1, 10, order++));
        }
        events.Add(new TierEvent(10, 1, AsOf.AddDays(-5), EventType.Return, 5, 10, order++));
        events.Add(new TierEvent(11, 3, AsOf, EventType.View, 1, 0, -1));
        return new TierSnapshot(Enumerable.Range(1, 11).ToArray(), products,
            events.OrderBy(e => e.CustomerId).ThenBy(e => e.Timestamp).ToArray());
    }

    [Fact]
    public void Quintiles_give_equal_values_equal_scores_and_cut_ten_values_in_pairs()
    {
        Assert.Equal([1, 1, 2, 2, 3, 3, 4, 4, 5, 5], RfmScoring.Quintiles([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]));
        // Ties: both 50s have 4 smaller values → 1 + ⌊5·4/10⌋ = 3.
        Assert.Equal([1, 1, 2, 2, 3, 3, 4, 4, 5, 5], RfmScoring.Quintiles([10, 20, 30, 40, 50, 50, 60, 70, 80, 90]).Order().ToArray());
        Assert.Equal([3, 3], RfmScoring.Quintiles([10, 20, 30, 40, 50, 50, 60, 70, 80, 90])[4..6]);
        Assert.Equal([1, 1, 1], RfmScoring.Quintiles([7, 7, 7]));
        Assert.Throws<ArgumentException>(() => RfmScoring.Quintiles([1, double.NaN]));
    }

    [Fact]
    public void Rfm_values_scores_and_segments_of_the_hand_made_customers()
    {
        var result = SegmentationEngine.Compute(HandMade(), new TierRules { Clusters = new ClusterRules { TopicCount = 2, MinClusters = 2, MaxClusters = 3, SilhouetteSample = 50 } });
        var by = result.Assignments.ToDictionary(a => a.CustomerId);
        Assert.Equal(11, by.Count);

        // Values: recency from the last purchase, orders, monetary net of returns.
        Assert.Equal(100, by[1].Rfm!.Value.RecencyDays, 6);
        Assert.Equal(10, by[10].Rfm!.Value.RecencyDays, 6);
        Assert.Equal(7, by[7].Rfm!.Value.Frequency);
        Assert.Equal(70, by[7].Rfm!.Value.Monetary, 6);
        Assert.Equal(50, by[10].Rfm!.Value.Monetary, 6);

        int[] r = [1, 1, 2, 2, 3, 3, 4, 4, 5, 5], f = [1, 1, 2, 2, 3, 3, 4, 4, 5, 5], m = [1, 1, 2, 2, 3, 4, 4, 5, 5, 3];
        string[] segments = ["lost", "lost", "hibernating", "hibernating", "need_attention", "loyal", "champions", "champions", "champions", "champions"];
        for (var c = 1; c <= 10; c++)
        {
            Assert.Equal(new RfmScores(r[c - 1], f[c - 1], m[c - 1]), by[c].Scores);
            Assert.Equal(segments[c - 1], by[c].Segment);
        }
        Assert.Equal(4, by[10].Scores.FM); // (5 + 3) / 2

        // Customer 11 never bought: no RFM, but a lifecycle stage (new: first event at the as-of time).
        Assert.Null(by[11].Rfm);
        Assert.Null(by[11].Segment);
        Assert.Equal(new RfmScores(0, 0, 0), by[11].Scores);
        Assert.Equal(LifecycleStages.New, by[11].Lifecycle);
        // Customer 1: one order 100 days ago, no cadence → dormant (90 < 100 ≤ 180).
        Assert.Equal(LifecycleStages.Dormant, by[1].Lifecycle);
        // Customer 8: first order 37 days ago, last 30 days ago → active; customer 9: first order 28 days ago → new.
        Assert.Equal(LifecycleStages.Active, by[8].Lifecycle);
        Assert.Equal(LifecycleStages.New, by[9].Lifecycle);
    }

    [Fact]
    public void The_segment_grid_is_data_an_edited_cell_changes_the_segment()
    {
        var grid = TierRules.DefaultGrid();
        grid[4][4] = RfmSegments.Loyal; // R 5, FM 5
        var rules = new TierRules { RfmGrid = grid, Clusters = new ClusterRules { TopicCount = 2, MinClusters = 2, MaxClusters = 3, SilhouetteSample = 50 } };
        var by = SegmentationEngine.Compute(HandMade(), rules).Assignments.ToDictionary(a => a.CustomerId);
        Assert.Equal(RfmSegments.Loyal, by[9].Segment);      // R5 FM5: the edited cell
        Assert.Equal(RfmSegments.Champions, by[10].Segment); // R5 FM4: unchanged
    }

    [Fact]
    public void Lifecycle_uses_the_cadence_when_it_is_longer_than_the_window()
    {
        var rules = new LifecycleRules();
        Assert.Equal(LifecycleStages.New, Lifecycle.Stage(rules, 10, 10, null));
        Assert.Equal(LifecycleStages.Active, Lifecycle.Stage(rules, 400, 30, null));
        Assert.Equal(LifecycleStages.AtRisk, Lifecycle.Stage(rules, 400, 31, null));
        // A customer who buys every 40 days is active up to 60 days (40 × 1.5) and at risk up to 120 (40 × 3).
        Assert.Equal(LifecycleStages.Active, Lifecycle.Stage(rules, 400, 60, 40));
        Assert.Equal(LifecycleStages.AtRisk, Lifecycle.Stage(rules, 400, 120, 40));
        Assert.Equal(LifecycleStages.Dormant, Lifecycle.Stage(rules, 400, 121, 40));
        Assert.Equal(LifecycleStages.Churned, Lifecycle.Stage(rules, 400, 181, 40));
        Assert.Equal(20, Lifecycle.Cadence([new DateTime(2011, 1, 1), new DateTime(2011, 1, 21), new DateTime(2011, 2, 10)]));
        Assert.Null(Lifecycle.Cadence([new DateTime(2011, 1, 1)]));
    }

    [Fact]
    public void Decay_halves_the_weight_every_half_life_and_shares_sum_to_one()
    {
        Assert.Equal(5, InterestDecay.Weight(5, 0, 90), 12);
        Assert.Equal(2.5, InterestDecay.Weight(5, 90, 90), 12);
        Assert.Equal(0.25, InterestDecay.Weight(1, 180, 90), 12);
        Assert.Equal(3 * Math.Pow(0.5, 45.0 / 30), InterestDecay.Weight(3, 45, 30), 12);
        Assert.Equal(2, InterestDecay.Weight(2, -4, 30), 12); // future events count as now
        var shares = new Dictionary<string, double> { ["a"] = 5, ["b"] = 2.5 };
        InterestDecay.Normalise(shares);
        Assert.Equal(2.0 / 3, shares["a"], 12);
        Assert.Equal(1.0 / 3, shares["b"], 12);
    }

    [Fact]
    public void Interest_shares_are_decayed_type_weighted_and_normalised_per_customer()
    {
        // One customer: a purchase (weight 5) of a mug now, a cart (weight 3) of lights 90 days ago (→ 1.5 with
        // half-life 90), and a view of lights 180 days ago (weight 1 → 0.25). Shares: mugs 5 / 6.75, lights 1.75 / 6.75.
        var products = new List<TierProduct>
        {
            new(1, "P1", "RED CERAMIC MUG", null), new(2, "P2", "BLUE CERAMIC MUG", null),
            new(3, "P3", "CHRISTMAS TREE LIGHTS", null), new(4, "P4", "CHRISTMAS STAR LIGHTS", null),
        };
        TierEvent[] events =
        [
            new(1, 3, AsOf.AddDays(-180), EventType.View, 1, 0, -1),
            new(1, 4, AsOf.AddDays(-90), EventType.Cart, 1, 0, -1),
            new(1, 1, AsOf, EventType.Purchase, 1, 10, 0),
        ];
        var result = SegmentationEngine.Compute(new TierSnapshot([1], products, events),
            new TierRules { Clusters = new ClusterRules { TopicCount = 2, MinClusters = 2, MaxClusters = 3, SilhouetteSample = 50 } });
        Assert.Equal(2, result.Topics.Count);
        Assert.NotEqual(result.TopicOf[1], result.TopicOf[3]); // mugs and lights are different topics
        Assert.Equal(result.TopicOf[1], result.TopicOf[2]);
        var a = Assert.Single(result.Assignments);
        Assert.Equal(2, a.Interests.Count);
        Assert.Equal(result.TopicOf[1], a.Interests[0].Id);
        Assert.Equal(5 / 6.75, a.Interests[0].Strength, 9);
        Assert.Equal(1.75 / 6.75, a.Interests[1].Strength, 9);
        Assert.Equal(result.TopicOf[1], a.Topic);
        Assert.Contains("mug", result.Topics[result.TopicOf[1]].Name);
    }

    [Fact]
    public void Invalid_definitions_are_refused_naming_the_field()
    {
        var grid = TierRules.DefaultGrid();
        grid[2][1] = "vip";
        var e = Assert.Throws<ArgumentException>(() => new TierRules { RfmGrid = grid }.Validate());
        Assert.Contains("RfmGrid[R=3][FM=2]", e.Message);
        e = Assert.Throws<ArgumentException>(() => new TierRules { Lifecycle = new LifecycleRules { DormantDays = 10 } }.Validate());
        Assert.Contains("Lifecycle.DormantDays", e.Message);
        e = Assert.Throws<ArgumentException>(() => TierRules.FromJson("{\"Interests\":{\"HalfLifeDays\":-1}}"));
        Assert.Contains("Interests.HalfLifeDays", e.Message);
        e = Assert.Throws<ArgumentException>(() => TierRules.FromJson("{\"RfmGrid\": 3}"));
        Assert.Contains("RfmGrid", e.Message);
    }
}
