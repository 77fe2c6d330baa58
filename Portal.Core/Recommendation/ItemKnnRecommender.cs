namespace Portal.Core.Recommendation;

/// <summary>
/// Item-based collaborative filtering on the binary user-item matrix X (Sarwar, Karypis, Konstan and Riedl,
/// "Item-based collaborative filtering recommendation algorithms", WWW 2001; Deshpande and Karypis, "Item-based top-N
/// recommendation algorithms", ACM TOIS 22(1), 2004).
/// Similarity: shrunk cosine sim(i,j) = |U_i ∩ U_j| / (√(|U_i|·|U_j|) + <c>shrink</c>) (shrinkage as in Koren 2008 /
/// Bell and Koren 2007); every item j keeps its <c>k</c> most similar items (ties: lower item id).
/// Score(u,i) = Σ_{j ∈ I_u, i ∈ N_k(j)} sim(j,i) + <c>alpha</c> · r(u,i) + 1e-4 · pop(i)/max pop, where r(u,i) is the
/// user's recency-weighted count of i (half-life <c>halflife_days</c>; see <see cref="RepeatRecommender"/>) — the
/// re-purchase term that matters in the "all" task — and the last term a popularity backfill for ties only.
/// </summary>
public sealed class ItemKnnRecommender(IReadOnlyDictionary<string, double>? parameters = null)
    : RecommenderBase(parameters, new Dictionary<string, double> { ["k"] = 100, ["shrink"] = 0, ["alpha"] = 0, ["halflife_days"] = 30 })
{
    private int[] _offsets = [];
    private int[] _neighbours = [];
    private float[] _similarities = [];
    private float[] _repeat = [];

    /// <inheritdoc />
    public override string Name => "itemknn";

    /// <inheritdoc />
    protected override void FitCore(InteractionSet data, CancellationToken ct)
    {
        var m = data.ItemCount;
        var k = (int)Math.Max(1, P("k"));
        var shrink = (float)P("shrink");
        var rows = new (int[] Idx, float[] Sim)[m];
        // Row j of the co-occurrence G = XᵀX is built sparsely from j's users (Σ over them of their items), one dense
        // accumulator of m counts per worker: memory O(m) per thread instead of the m × m matrix (40 GB at 100k items).
        Parallel.For(0, m, new ParallelOptions { CancellationToken = ct }, () => (Counts: new float[m], Touched: new List<int>()), (j, _, acc) =>
        {
            var (counts, touched) = acc;
            foreach (var u in data.UsersOf(j))
                foreach (var i in data.ItemsOf(u))
                {
                    if (counts[i] == 0) touched.Add(i);
                    counts[i] += 1f;
                }
            touched.Sort();
            // Candidates: items co-occurring with j (positive similarity); keep the k best (similarity desc, id asc).
            var nj = (float)data.UsersOf(j).Length;
            var idx = new List<int>(touched.Count);
            var sim = new List<float>(touched.Count);
            foreach (var i in touched)
            {
                var c = counts[i];
                counts[i] = 0;
                if (i == j) continue;
                idx.Add(i);
                sim.Add(c / (MathF.Sqrt(nj * data.UsersOf(i).Length) + shrink));
            }
            touched.Clear();
            var order = Enumerable.Range(0, idx.Count).ToArray();
            if (order.Length > k)
            {
                Array.Sort(order, (a, b) => sim[a] != sim[b] ? sim[b].CompareTo(sim[a]) : idx[a].CompareTo(idx[b]));
                order = order[..k];
                Array.Sort(order); // back to ascending item id (idx is ascending)
            }
            rows[j] = (order.Select(o => idx[o]).ToArray(), order.Select(o => sim[o]).ToArray());
            return acc;
        }, _ => { });
        _offsets = new int[m + 1];
        for (var j = 0; j < m; j++) _offsets[j + 1] = _offsets[j] + rows[j].Idx.Length;
        _neighbours = rows.SelectMany(r => r.Idx).ToArray();
        _similarities = rows.SelectMany(r => r.Sim).ToArray();
        _repeat = RepeatRecommender.RecencyWeights(data, P("halflife_days"));
    }

    /// <inheritdoc />
    protected override void ScoreCore(int user, Span<float> scores)
    {
        var data = Data;
        scores.Clear();
        var alpha = (float)P("alpha");
        for (var p = data.UserOffsets[user]; p < data.UserOffsets[user + 1]; p++)
        {
            var j = data.UserItems[p];
            for (var q = _offsets[j]; q < _offsets[j + 1]; q++) scores[_neighbours[q]] += _similarities[q];
            scores[j] += alpha * _repeat[p];
        }
        AddPopularityBackfill(data, scores, 1e-4f);
    }

    /// <summary>Similarity of <paramref name="item"/> as a kept neighbour of <paramref name="of"/> (0 when not kept).</summary>
    private float Similarity(int of, int item)
    {
        var q = Array.BinarySearch(_neighbours, _offsets[of], _offsets[of + 1] - _offsets[of], item);
        return q < 0 ? 0f : _similarities[q];
    }

    /// <inheritdoc />
    protected override Explanation ExplainCore(int user, int item, int maxItems)
    {
        var data = Data;
        var parts = data.ItemsOf(user).ToArray().Select(j => (j, (double)Similarity(j, item))).ToList();
        var sum = parts.Sum(p => p.Item2);
        var own = PairIndex(data, user, item);
        var self = own < 0 ? 0 : P("alpha") * _repeat[own];
        if (sum <= 0 && self <= 0) return Popular(data, item);
        var detail = new Dictionary<string, double> { ["similarity_sum"] = sum };
        if (own >= 0) { detail["repeat"] = self; detail["times"] = data.UserItemCounts[own]; }
        return new Explanation(self > sum ? "repeat" : "similar-items",
            self > sum ? [new Contribution(data.Items[item], self)] : Strongest(data, parts, maxItems), detail);
    }

    /// <inheritdoc />
    public override void SaveState(BinaryWriter writer)
    {
        writer.Write(_offsets.Length);
        foreach (var o in _offsets) writer.Write(o);
        writer.Write(_neighbours.Length);
        for (var q = 0; q < _neighbours.Length; q++) { writer.Write(_neighbours[q]); writer.Write(_similarities[q]); }
    }

    /// <inheritdoc />
    protected override void LoadStateCore(BinaryReader reader, InteractionSet data)
    {
        var offsets = new int[reader.ReadInt32()];
        if (offsets.Length != data.ItemCount + 1) throw new InvalidDataException("ItemKNN state does not match the data's item count.");
        for (var i = 0; i < offsets.Length; i++) offsets[i] = reader.ReadInt32();
        var n = reader.ReadInt32();
        var nb = new int[n]; var sim = new float[n];
        for (var q = 0; q < n; q++) { nb[q] = reader.ReadInt32(); sim[q] = reader.ReadSingle(); }
        _offsets = offsets; _neighbours = nb; _similarities = sim;
        _repeat = RepeatRecommender.RecencyWeights(data, P("halflife_days"));
    }

    /// <inheritdoc />
    protected override void OnScoringParametersChanged(InteractionSet data) => _repeat = RepeatRecommender.RecencyWeights(data, P("halflife_days"));
}
