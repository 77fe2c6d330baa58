namespace Portal.Core.Recommendation;

/// <summary>
/// User-based collaborative filtering (Resnick et al., "GroupLens", CSCW 1994; Herlocker, Konstan, Borchers and
/// Riedl, "An algorithmic framework for performing collaborative filtering", SIGIR 1999), on the binary user-item
/// matrix: cosine sim(u,v) = |I_u ∩ I_v| / √(|I_u|·|I_v|), the <c>k</c> most similar other users (ties: lower user id),
/// Score(u,i) = Σ_{v ∈ N_k(u), i ∈ I_v} sim(u,v) + <c>alpha</c> · r(u,i) + 1e-4 · pop(i)/max pop, with r the
/// recency-weighted own count (half-life <c>halflife_days</c>) and the last term a popularity backfill for ties only.
/// Neighbours are found at query time from the item→user lists (no user×user matrix is stored).
/// </summary>
public sealed class UserKnnRecommender(IReadOnlyDictionary<string, double>? parameters = null)
    : RecommenderBase(parameters, new Dictionary<string, double> { ["k"] = 100, ["alpha"] = 0, ["halflife_days"] = 30 })
{
    private float[] _repeat = [];
    // The preview explains 20 items of one user right after scoring them: keep that user's neighbourhood.
    private NeighbourCache? _lastNeighbours;

    private sealed record NeighbourCache(int User, double K, (int User, float Similarity)[] Neighbours);

    private (int User, float Similarity)[] CachedNeighbours(int user)
    {
        var k = P("k");
        var cached = Volatile.Read(ref _lastNeighbours);
        if (cached is not null && cached.User == user && cached.K == k) return cached.Neighbours;
        var neighbours = Neighbours(user);
        Volatile.Write(ref _lastNeighbours, new NeighbourCache(user, k, neighbours));
        return neighbours;
    }

    /// <inheritdoc />
    public override string Name => "userknn";

    /// <inheritdoc />
    protected override void FitCore(InteractionSet data, CancellationToken ct) =>
        _repeat = RepeatRecommender.RecencyWeights(data, P("halflife_days"));

    /// <summary>The <c>k</c> nearest other users of <paramref name="user"/> with their cosine similarity, best first.</summary>
    public (int User, float Similarity)[] Neighbours(int user)
    {
        var data = Data;
        var overlap = new float[data.UserCount];
        foreach (var i in data.ItemsOf(user))
            foreach (var v in data.UsersOf(i)) overlap[v] += 1f;
        overlap[user] = 0f;
        var nu = (float)data.ItemsOf(user).Length;
        for (var v = 0; v < overlap.Length; v++)
            if (overlap[v] > 0) overlap[v] /= MathF.Sqrt(nu * (data.UserOffsets[v + 1] - data.UserOffsets[v]));
        return Ranking.TopK(overlap, (int)Math.Max(1, P("k"))).Where(v => overlap[v] > 0).Select(v => (v, overlap[v])).ToArray();
    }

    /// <inheritdoc />
    protected override void ScoreCore(int user, Span<float> scores)
    {
        var data = Data;
        scores.Clear();
        foreach (var (v, s) in CachedNeighbours(user))
            foreach (var i in data.ItemsOf(v)) scores[i] += s;
        var alpha = (float)P("alpha");
        for (var p = data.UserOffsets[user]; p < data.UserOffsets[user + 1]; p++) scores[data.UserItems[p]] += alpha * _repeat[p];
        AddPopularityBackfill(data, scores, 1e-4f);
    }

    /// <inheritdoc />
    protected override Explanation ExplainCore(int user, int item, int maxItems)
    {
        var data = Data;
        var who = CachedNeighbours(user).Where(n => data.ItemsOf(n.User).BinarySearch(item) >= 0).ToArray();
        var own = PairIndex(data, user, item);
        var self = own < 0 ? 0 : P("alpha") * _repeat[own];
        var sum = who.Sum(n => (double)n.Similarity);
        if (sum <= 0 && self <= 0) return Popular(data, item);
        // The user's past items that the neighbours who bought the item share with the user, weighted by similarity.
        // The 25 most similar such neighbours are enough to name the strongest items and bound the preview's cost
        // for customers with thousands of purchases (neighbours come most similar first).
        var parts = new Dictionary<int, double>();
        foreach (var (v, s) in who.Take(25))
            foreach (var j in data.ItemsOf(user))
                if (j != item && data.ItemsOf(v).BinarySearch(j) >= 0) parts[j] = parts.GetValueOrDefault(j) + s;
        var detail = new Dictionary<string, double> { ["neighbours"] = who.Length, ["similarity_sum"] = sum };
        if (own >= 0) { detail["repeat"] = self; detail["times"] = data.UserItemCounts[own]; }
        return new Explanation(self > sum ? "repeat" : "similar-users",
            self > sum ? [new Contribution(data.Items[item], self)] : Strongest(data, parts.Select(kv => (kv.Key, kv.Value)), maxItems), detail);
    }

    /// <inheritdoc />
    protected override void OnScoringParametersChanged(InteractionSet data) => _repeat = RepeatRecommender.RecencyWeights(data, P("halflife_days"));
}
