using Portal.Core.Behavior;
using Portal.Core.Evaluation;
using Portal.Core.Recommendation;

namespace Portal.Tests.Evaluation;

/// <summary>Small hand-computed cases of the protocol (split, tasks, metrics, tie-break, JSON).</summary>
public class ProtocolTests
{
    private static readonly DateTime D0 = new(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc);
    private static Interaction E(string u, string i, double day) => new(u, i, D0.AddDays(day), EventType.Purchase, 1);

    [Fact]
    public void Metrics_AtK_match_hand_computation()
    {
        // R = {1, 5}; list = [5, 2, 1, 9]. Hits at ranks 1 and 3.
        // Recall@2 = 1/2; DCG@2 = 1/log2(2) = 1; IDCG@2 = 1 + 1/log2(3) = 1.63093; NDCG@2 = 0.61315; Hit = 1.
        var (r, n, h) = TaskMetrics.AtK([1, 5], [5, 2, 1, 9], 2);
        Assert.Equal(0.5, r, 10);
        Assert.Equal(1 / (1 + 1 / Math.Log2(3)), n, 10);
        Assert.Equal(0.61315, n, 5);
        Assert.Equal(1, h);
        // K = 4: Recall = 1; DCG = 1 + 1/log2(4) = 1.5; IDCG = 1.63093; NDCG = 0.91972.
        (r, n, h) = TaskMetrics.AtK([1, 5], [5, 2, 1, 9], 4);
        Assert.Equal(1.0, r, 10);
        Assert.Equal(1.5 / (1 + 1 / Math.Log2(3)), n, 10);
        Assert.Equal(0.91972, n, 5);
        // No hit: all zero.
        Assert.Equal((0.0, 0.0, 0.0), TaskMetrics.AtK([7], [1, 2, 3], 2));
        // |R| = 3 > K = 2, hit at rank 2 only: IDCG over min(K,|R|) = 2 hits = 1.63093; DCG = 0.63093; NDCG = 0.38685; Recall = 1/3.
        (r, n, _) = TaskMetrics.AtK([2, 3, 4], [1, 3], 2);
        Assert.Equal(1 / 3.0, r, 10);
        Assert.Equal(0.38685, n, 5);
    }

    [Fact]
    public void TopK_breaks_ties_by_item_id_and_skips_excluded()
    {
        float[] s = [1, 3, 3, 2, 3, 0];
        Assert.Equal([1, 2, 4, 3], Ranking.TopK(s, 4));
        Assert.Equal([1, 4, 3], Ranking.TopK(s, 3, [0, 2]));
        Assert.Equal([5], Ranking.TopK([0f, 0f, 0f, 0f, 0f, 0f], 6, [0, 1, 2, 3, 4]));
        Assert.Equal([2, 0, 1], Ranking.TopK([1f, 1f, 2f], 10)); // 0 and 1 tie: lower id first
    }

    [Fact]
    public void InteractionSet_sorts_items_ordinally()
    {
        // Ordinal order: "10" < "2" < "B" < "a" (byte order, not culture order).
        var set = InteractionSet.Create([E("u", "a", 0), E("u", "B", 0), E("u", "2", 0), E("v", "10", 1), E("u", "a", 2)]);
        Assert.Equal(["10", "2", "B", "a"], set.Items);
        Assert.Equal(2, set.UserItemCounts[set.UserOffsets[set.UserIndex("u")] + 2]); // u's row: "2", "B", "a"; "a" bought twice
        Assert.Equal(2, set.ItemEventCounts[set.ItemIndex("a")]);
        Assert.Equal([0], set.UsersOf(set.ItemIndex("a")).ToArray());
    }

    /// <summary>
    /// Hand case. Days 0..40; latest = day 40 → T = day 10 (strict: day-10 events are test).
    /// Train: u1 {A, B, A}, u2 {A, C}, u3 {B}. Test: u1 {A, D(not in catalogue)}, u2 {B, C}, u4 {A} (no train → not evaluated),
    /// u3 {D} only (not in catalogue → not evaluated).
    /// Popularity (train event counts): A 3, B 2, C 1 → list A, B, C.
    /// all: u1 R={A}: rank 1 → recall 1, ndcg 1, hit 1. u2 R={B, C}: ranks 2, 3; @2 recall 1/2, DCG 1/log2 3 = 0.63093,
    /// IDCG@2 1.63093 → 0.38685; @20 recall 1, DCG 1/log2 3 + 1/log2 4 = 1.13093, IDCG 1.63093 → 0.693426.
    /// novel: u1 R = {} (A seen) → skipped. u2 R = {B} (C seen); candidates exclude u2's train items A and C → list [B]:
    /// ndcg 1, recall 1, coverage 1/3.
    /// </summary>
    [Fact]
    public void Split_tasks_and_popularity_metrics_match_hand_computation()
    {
        var events = new List<Interaction>
        {
            E("u1", "A", 0), E("u2", "A", 1), E("u1", "B", 2), E("u3", "B", 3), E("u2", "C", 4), E("u1", "A", 5),
            E("u1", "A", 10), E("u1", "D", 12), E("u2", "B", 20), E("u2", "C", 21), E("u4", "A", 30), E("u3", "D", 40),
        };
        var split = TemporalSplit.Create(events);
        Assert.Equal(D0.AddDays(10), split.T);
        Assert.Equal(6, split.TrainEvents.Count);
        Assert.Equal(6, split.TestEvents.Count);
        Assert.Equal(3, split.CatalogueItems);
        Assert.Equal(["u1", "u2"], split.AllUsers.Select(u => split.Train.Users[u.User]));
        Assert.Equal(["u2"], split.NovelUsers.Select(u => split.Train.Users[u.User]));

        var pop = new PopularityRecommender();
        pop.Fit(split.Train);
        var (all, novel) = Evaluator.Evaluate(pop, split);
        Assert.NotNull(all); Assert.NotNull(novel);
        Assert.Equal(1.0, all.Recall10, 10);
        Assert.Equal((1 + (1 / Math.Log2(3) + 0.5) / (1 + 1 / Math.Log2(3))) / 2, all.Ndcg20, 10); // (1 + 0.693426) / 2 = 0.846713
        Assert.Equal(1.0, all.HitRate20, 10);
        Assert.Equal(1.0, all.Coverage20, 10); // A, B, C of 3
        Assert.Equal(1.0, novel.Ndcg20, 10);
        Assert.Equal(1.0, novel.Recall20, 10);
        Assert.Equal(1 / 3.0, novel.Coverage20, 10); // u2's list: B only
        Assert.Equal(1, novel.Users);

        // Validation: the same construction on train alone: latest train = day 5 → T_val = day −25: all train is val-test,
        // so val-train is empty → an error that says so.
        Assert.Throws<ArgumentException>(() => split.Validation());
    }

    [Fact]
    public void Report_json_has_the_exact_keys_of_FORMATS()
    {
        var m = new TaskMetrics(0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 10);
        var r = new EvaluationReport
        {
            DatasetName = "x", DatasetSha256 = "ab", DatasetEvents = 5, T = new DateTime(2011, 11, 9, 12, 50, 0, DateTimeKind.Utc),
            TrainEvents = 3, TestEvents = 2, CatalogueItems = 4, EvaluatedUsersAll = 2, EvaluatedUsersNovel = 1,
            Model = "itemknn", Version = "v", ParamsAll = new Dictionary<string, double> { ["k"] = 100, ["alpha"] = 0.5 },
            ParamsNovel = new Dictionary<string, double> { ["k"] = 50 }, Seed = 42, TrainSeconds = 1.25, All = m, Novel = m,
        };
        const string metrics = "{\"recall@10\":0.1,\"ndcg@10\":0.2,\"hitrate@10\":0.3,\"recall@20\":0.4,\"ndcg@20\":0.5,\"hitrate@20\":0.6,\"coverage@20\":0.7}";
        Assert.Equal(
            "{\"dataset\":{\"name\":\"x\",\"sha256\":\"ab\",\"events\":5}," +
            "\"split\":{\"T\":\"2011-11-09 12:50:00\",\"train_events\":3,\"test_events\":2,\"catalogue_items\":4,\"evaluated_users_all\":2,\"evaluated_users_novel\":1}," +
            "\"model\":\"itemknn\",\"version\":\"v\",\"params\":{\"all\":{\"alpha\":0.5,\"k\":100},\"novel\":{\"k\":50}},\"seed\":42,\"train_seconds\":1.25," +
            "\"all\":" + metrics + ",\"novel\":" + metrics + "}", r.ToJson());
        Assert.StartsWith("[{\"dataset\"", EvaluationReport.ToJsonArray([r, r]));
    }
}
