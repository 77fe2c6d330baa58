using Portal.Core.Recommendation;

namespace Portal.Core.Embeddings;

/// <summary>
/// A recommender on item vectors (<see cref="Text2VecRecommender"/>, <see cref="Item2VecRecommender"/>): the user
/// vector is the time-decayed mean of the vectors of the user's items, q_u = Σ_{j∈I_u} r(u,j)·v̂_j with r(u,j) =
/// Σ over the pair's events of 2^(−age/<c>decay_days</c>) (age in days before the data's latest event; decay_days ≤ 0:
/// the plain count) and v̂ the unit item vectors; score(u,i) = cos(q_u, v_i) + <c>alpha</c> · r'(u,i) + 1e-4 ·
/// pop(i)/max pop, where r' is the recency-weighted own count with half-life <c>halflife_days</c> (the re-purchase
/// term, as in <see cref="ItemKnnRecommender"/>) and the last term breaks ties only. Items without a vector score 0
/// (plus the terms after the cosine). <c>alpha</c>, <c>halflife_days</c> and <c>decay_days</c> only affect scoring.
/// <see cref="Index"/> answers item-to-item nearest-neighbour queries over the same vectors.
/// </summary>
public abstract class EmbeddingRecommender : RecommenderBase, IItemVectorModel
{
    private VectorIndex? _index;
    private float[] _decay = [];
    private float[] _repeat = [];

    /// <summary>Creates the model; <paramref name="defaults"/> gets <c>alpha</c> = 0, <c>halflife_days</c> = 30 and <c>decay_days</c> = 0 added unless present.</summary>
    /// <param name="parameters">Hyper-parameters (missing ones take defaults).</param>
    /// <param name="defaults">The model-specific parameters and their defaults.</param>
    /// <exception cref="ArgumentException">An unknown parameter.</exception>
    protected EmbeddingRecommender(IReadOnlyDictionary<string, double>? parameters, Dictionary<string, double> defaults)
        : base(parameters, WithScoringDefaults(defaults)) { }

    private static Dictionary<string, double> WithScoringDefaults(Dictionary<string, double> d)
    {
        d.TryAdd("alpha", 0); d.TryAdd("halflife_days", 30); d.TryAdd("decay_days", 0);
        return d;
    }

    /// <inheritdoc />
    public override IReadOnlySet<string> ScoringParameters { get; } = new HashSet<string>(StringComparer.Ordinal) { "alpha", "halflife_days", "decay_days" };

    /// <summary>The nearest-neighbour index over the item vectors (rows = dense item ids of <see cref="IRecommender.Data"/>).</summary>
    /// <exception cref="InvalidOperationException">Not fitted.</exception>
    public VectorIndex Index => _index ?? throw new InvalidOperationException($"Model '{Name}' is not fitted.");

    /// <summary>Computes the item vectors (ItemCount × d floats, row-major; a zero row for an item without one).</summary>
    /// <param name="data">The data being fitted.</param>
    /// <param name="ct">Cancellation.</param>
    /// <param name="dimensions">d.</param>
    protected abstract float[] ItemVectors(InteractionSet data, CancellationToken ct, out int dimensions);

    /// <inheritdoc />
    protected sealed override void FitCore(InteractionSet data, CancellationToken ct)
    {
        var vectors = ItemVectors(data, ct, out var d);
        _index = new VectorIndex(vectors, d);
        OnScoringParametersChanged(data);
    }

    /// <inheritdoc />
    protected override void OnScoringParametersChanged(InteractionSet data)
    {
        _decay = RepeatRecommender.RecencyWeights(data, P("decay_days"));
        _repeat = RepeatRecommender.RecencyWeights(data, P("halflife_days"));
    }

    /// <summary>The user's decayed mean vector q_u (d floats, not normalised).</summary>
    /// <param name="user">Dense user id.</param>
    public float[] UserVector(int user)
    {
        var data = Data;
        var index = Index;
        var q = new float[index.Dimensions];
        for (var p = data.UserOffsets[user]; p < data.UserOffsets[user + 1]; p++)
        {
            var v = index.Vector(data.UserItems[p]);
            var w = _decay[p];
            for (var j = 0; j < q.Length; j++) q[j] += w * v[j];
        }
        return q;
    }

    /// <inheritdoc />
    protected override void ScoreCore(int user, Span<float> scores)
    {
        var data = Data;
        Index.Scores(UserVector(user), scores);
        var alpha = (float)P("alpha");
        if (alpha != 0)
            for (var p = data.UserOffsets[user]; p < data.UserOffsets[user + 1]; p++) scores[data.UserItems[p]] += alpha * _repeat[p];
        AddPopularityBackfill(data, scores, 1e-4f);
    }

    /// <inheritdoc />
    protected override Explanation ExplainCore(int user, int item, int maxItems)
    {
        var data = Data;
        var index = Index;
        var parts = new List<(int, double)>();
        for (var p = data.UserOffsets[user]; p < data.UserOffsets[user + 1]; p++)
        {
            var j = data.UserItems[p];
            if (j != item) parts.Add((j, _decay[p] * index.Cosine(j, item)));
        }
        var own = PairIndex(data, user, item);
        var self = own < 0 ? 0 : P("alpha") * _repeat[own];
        var q = UserVector(user);
        VectorIndex.Normalise(q);
        var cosine = VectorIndex.Dot(q, index.Vector(item));
        var detail = new Dictionary<string, double> { ["cosine"] = cosine };
        if (own >= 0) { detail["repeat"] = self; detail["times"] = data.UserItemCounts[own]; }
        if (self > 0 && self > cosine) return new Explanation("repeat", [new Contribution(data.Items[item], self)], detail);
        if (!index.HasVector[item] || cosine <= 0) return Popular(data, item);
        return new Explanation("similar-items", Strongest(data, parts, maxItems), detail);
    }

    /// <summary>Writes d, n and the item vectors (as fitted, n × d floats), then <see cref="SaveExtra"/>.</summary>
    public sealed override void SaveState(BinaryWriter writer)
    {
        var index = Index;
        writer.Write(index.Dimensions);
        writer.Write(index.Count);
        foreach (var x in index.Raw) writer.Write(x);
        SaveExtra(writer);
    }

    /// <summary>Model-specific state after the vectors (default: nothing).</summary>
    protected virtual void SaveExtra(BinaryWriter writer) { }

    /// <summary>Reads what <see cref="SaveExtra"/> wrote (default: nothing).</summary>
    protected virtual void LoadExtra(BinaryReader reader, InteractionSet data) { }

    /// <inheritdoc />
    protected sealed override void LoadStateCore(BinaryReader reader, InteractionSet data)
    {
        var d = reader.ReadInt32();
        var n = reader.ReadInt32();
        if (d < 1 || n != data.ItemCount) throw new InvalidDataException($"{Name} state has {n} item vectors; the data has {data.ItemCount} items.");
        var v = new float[(long)n * d];
        for (var i = 0; i < v.Length; i++) v[i] = reader.ReadSingle();
        _index = new VectorIndex(v, d);
        LoadExtra(reader, data);
        OnScoringParametersChanged(data);
    }
}

/// <summary>A fitted model with one vector per catalogue item (for the similar-items panel and the embedding recall).</summary>
public interface IItemVectorModel
{
    /// <summary>The nearest-neighbour index; row r is the item <c>Data.Items[r]</c>.</summary>
    VectorIndex Index { get; }
}

/// <summary>
/// A model that reads product text: the training pipeline hands it the catalogue's item id → text map before
/// fitting (<see cref="Training.Pipeline.PipelineOptions.CatalogueText"/>), and for serving it is fitted on an
/// <see cref="InteractionSet"/> that also holds the catalogue's items without events (cold start).
/// </summary>
public interface ICatalogueTextModel
{
    /// <summary>Sets the item id → text map (name, description...) used by the next fit.</summary>
    /// <param name="text">The catalogue's texts; items missing from it get no text vector.</param>
    void UseCatalogueText(IReadOnlyDictionary<string, string> text);
}
