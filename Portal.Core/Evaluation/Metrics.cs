using Portal.Core.Recommendation;

namespace Portal.Core.Evaluation;

/// <summary>
/// The metrics of one task (shared/EVALUATION.md, "Metrics"): Recall, NDCG (binary gain, IDCG over min(K, |R(u)|)
/// hits) and HitRate at K = 10 and 20 averaged over the evaluated users, and Coverage@20 = distinct items over all
/// top-20 lists / catalogue size. All values are fractions in [0, 1].
/// </summary>
/// <param name="Recall10">Recall@10.</param>
/// <param name="Ndcg10">NDCG@10.</param>
/// <param name="HitRate10">HitRate@10.</param>
/// <param name="Recall20">Recall@20.</param>
/// <param name="Ndcg20">NDCG@20.</param>
/// <param name="HitRate20">HitRate@20.</param>
/// <param name="Coverage20">Coverage@20.</param>
/// <param name="Users">Number of evaluated users.</param>
public sealed record TaskMetrics(double Recall10, double Ndcg10, double HitRate10, double Recall20, double Ndcg20, double HitRate20, double Coverage20, int Users)
{
    /// <summary>The metrics under their JSON keys, in the order of shared/FORMATS.md.</summary>
    public IReadOnlyList<KeyValuePair<string, double>> Named() =>
    [
        new("recall@10", Recall10), new("ndcg@10", Ndcg10), new("hitrate@10", HitRate10),
        new("recall@20", Recall20), new("ndcg@20", Ndcg20), new("hitrate@20", HitRate20), new("coverage@20", Coverage20),
    ];

    /// <summary>Computes the metrics from each user's ranked list.</summary>
    /// <param name="users">Evaluated users with R(u).</param>
    /// <param name="lists">Each user's top-20 (or longer; only the first 20 count) dense item ids, best first, aligned with <paramref name="users"/>.</param>
    /// <param name="catalogueItems">Catalogue size (denominator of coverage).</param>
    /// <exception cref="ArgumentException">The lists do not align with the users.</exception>
    public static TaskMetrics Compute(IReadOnlyList<EvaluatedUser> users, IReadOnlyList<int[]> lists, int catalogueItems)
    {
        if (users.Count != lists.Count) throw new ArgumentException("One list per user is needed.", nameof(lists));
        double r10 = 0, n10 = 0, h10 = 0, r20 = 0, n20 = 0, h20 = 0;
        var covered = new HashSet<int>();
        for (var x = 0; x < users.Count; x++)
        {
            var rel = users[x].Relevant;
            var list = lists[x];
            foreach (var i in list.Take(20)) covered.Add(i);
            var (rc, nd, hit) = AtK(rel, list, 10); r10 += rc; n10 += nd; h10 += hit;
            (rc, nd, hit) = AtK(rel, list, 20); r20 += rc; n20 += nd; h20 += hit;
        }
        var n = Math.Max(1, users.Count);
        return new TaskMetrics(r10 / n, n10 / n, h10 / n, r20 / n, n20 / n, h20 / n,
            catalogueItems == 0 ? 0 : covered.Count / (double)catalogueItems, users.Count);
    }

    /// <summary>Recall@K, NDCG@K and HitRate@K of one list against R(u) (sorted ascending).</summary>
    public static (double Recall, double Ndcg, double Hit) AtK(int[] relevantSorted, int[] list, int k)
    {
        if (relevantSorted.Length == 0) return (0, 0, 0);
        int hits = 0; double dcg = 0;
        for (var p = 0; p < Math.Min(k, list.Length); p++)
            if (Array.BinarySearch(relevantSorted, list[p]) >= 0) { hits++; dcg += 1.0 / Math.Log2(p + 2); }
        double idcg = 0;
        for (var p = 0; p < Math.Min(k, relevantSorted.Length); p++) idcg += 1.0 / Math.Log2(p + 2);
        return (hits / (double)relevantSorted.Length, dcg / idcg, hits > 0 ? 1 : 0);
    }
}

/// <summary>Runs a fitted recommender over a split's evaluated users.</summary>
public static class Evaluator
{
    /// <summary>
    /// The metrics of <paramref name="model"/> (fitted on <c>split.Train</c>) for the requested tasks; scores are computed
    /// once per user and ranked with <see cref="Ranking.TopK"/> (ties by item id ordinal). For "novel" the user's train
    /// items are not candidates. Users are processed in parallel; the result does not depend on the thread count.
    /// </summary>
    /// <returns>The metrics of "all" and "novel" (null for a task not requested).</returns>
    /// <exception cref="ArgumentException">The model was fitted on another data set.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="ct"/> was cancelled.</exception>
    public static (TaskMetrics? All, TaskMetrics? Novel) Evaluate(IRecommender model, TemporalSplit split, bool all = true, bool novel = true, CancellationToken ct = default)
    {
        if (!ReferenceEquals(model.Data, split.Train)) throw new ArgumentException("The model must be fitted on the split's train set.", nameof(model));
        var train = split.Train;
        var novelIndex = new Dictionary<int, int>();
        for (var x = 0; x < split.NovelUsers.Count; x++) novelIndex[split.NovelUsers[x].User] = x;
        var allLists = new int[split.AllUsers.Count][];
        var novelLists = new int[split.NovelUsers.Count][];
        Parallel.For(0, split.AllUsers.Count, new ParallelOptions { CancellationToken = ct }, () => new float[train.ItemCount], (x, _, scores) =>
        {
            var u = split.AllUsers[x].User;
            var needNovel = novel && novelIndex.ContainsKey(u);
            if (!all && !needNovel) return scores;
            model.Score(u, scores);
            if (all) allLists[x] = Ranking.TopK(scores, 20);
            if (needNovel) novelLists[novelIndex[u]] = Ranking.TopK(scores, 20, train.ItemsOf(u));
            return scores;
        }, _ => { });
        return (all ? TaskMetrics.Compute(split.AllUsers, allLists, train.ItemCount) : null,
                novel ? TaskMetrics.Compute(split.NovelUsers, novelLists, train.ItemCount) : null);
    }
}
