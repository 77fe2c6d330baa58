namespace Portal.Core.Recommendation;

/// <summary>Shared plumbing of the recommenders: parameters, fitted data, popularity fallback for unknown users.</summary>
public abstract class RecommenderBase : IRecommender
{
    private InteractionSet? _data;
    private SortedDictionary<string, double> _parameters = new(StringComparer.Ordinal);

    /// <summary>Creates a model with the given hyper-parameters (missing ones take their defaults).</summary>
    /// <param name="parameters">Name to value; unknown names throw.</param>
    /// <param name="defaults">The model's parameter names and default values.</param>
    /// <exception cref="ArgumentException">An unknown parameter name.</exception>
    protected RecommenderBase(IReadOnlyDictionary<string, double>? parameters, IReadOnlyDictionary<string, double> defaults)
    {
        foreach (var (k, v) in defaults) _parameters[k] = v;
        if (parameters is null) return;
        foreach (var (k, v) in parameters)
        {
            if (!defaults.ContainsKey(k)) throw new ArgumentException($"Unknown parameter '{k}' for model '{Name}'.", nameof(parameters));
            _parameters[k] = v;
        }
    }

    /// <inheritdoc />
    public abstract string Name { get; }
    /// <inheritdoc />
    public virtual string ImplementationVersion => "1";
    /// <inheritdoc />
    public IReadOnlyDictionary<string, double> Parameters => _parameters;
    /// <inheritdoc />
    public InteractionSet Data => _data ?? throw new InvalidOperationException($"Model '{Name}' is not fitted.");

    /// <inheritdoc />
    public virtual IReadOnlySet<string> ScoringParameters { get; } = new HashSet<string>(StringComparer.Ordinal) { "alpha", "halflife_days" };

    /// <inheritdoc />
    public IRecommender WithScoringParameters(IReadOnlyDictionary<string, double> changes)
    {
        var data = Data;
        var copy = (RecommenderBase)MemberwiseClone();
        copy._parameters = new SortedDictionary<string, double>(_parameters, StringComparer.Ordinal);
        foreach (var (k, v) in changes)
        {
            if (!_parameters.ContainsKey(k)) throw new ArgumentException($"Unknown parameter '{k}' for model '{Name}'.", nameof(changes));
            if (_parameters[k] == v) continue;
            if (!ScoringParameters.Contains(k)) throw new ArgumentException($"Parameter '{k}' of model '{Name}' needs a refit.", nameof(changes));
            copy._parameters[k] = v;
        }
        copy.OnScoringParametersChanged(data);
        return copy;
    }

    /// <summary>Recomputes what depends on scoring parameters (called on a copy made by <see cref="WithScoringParameters"/>; must not mutate shared arrays).</summary>
    protected virtual void OnScoringParametersChanged(InteractionSet data) { }

    /// <summary>The value of parameter <paramref name="name"/>.</summary>
    protected double P(string name) => _parameters[name];

    /// <inheritdoc />
    public void Fit(InteractionSet data, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        ct.ThrowIfCancellationRequested();
        FitCore(data, ct);
        _data = data;
    }

    /// <summary>Model-specific fitting.</summary>
    protected abstract void FitCore(InteractionSet data, CancellationToken ct);

    /// <inheritdoc />
    public void Score(int user, Span<float> scores)
    {
        var data = Data;
        if (scores.Length != data.ItemCount) throw new ArgumentException($"Expected {data.ItemCount} scores, got {scores.Length}.", nameof(scores));
        if (user < 0) { PopularityScores(data, scores); return; }
        ScoreCore(user, scores);
    }

    /// <summary>Scores for a known user (buffer length checked).</summary>
    protected abstract void ScoreCore(int user, Span<float> scores);

    /// <inheritdoc />
    public Explanation Explain(int user, int item, int maxItems = 3)
    {
        var data = Data;
        ArgumentOutOfRangeException.ThrowIfNegative(item);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(item, data.ItemCount);
        return user < 0 ? Popular(data, item) : ExplainCore(user, item, Math.Max(0, maxItems));
    }

    /// <summary>Explanation for a known user.</summary>
    protected abstract Explanation ExplainCore(int user, int item, int maxItems);

    /// <inheritdoc />
    public virtual void SaveState(BinaryWriter writer) { }

    /// <inheritdoc />
    public void LoadState(BinaryReader reader, InteractionSet data)
    {
        LoadStateCore(reader, data);
        _data = data;
    }

    /// <summary>Restores the state; the default refits (for models whose fit is a cheap pass over the data).</summary>
    protected virtual void LoadStateCore(BinaryReader reader, InteractionSet data) => FitCore(data, CancellationToken.None);

    /// <summary>Score = number of events of the item in <paramref name="data"/>.</summary>
    protected static void PopularityScores(InteractionSet data, Span<float> scores)
    {
        for (var i = 0; i < scores.Length; i++) scores[i] = data.ItemEventCounts[i];
    }

    /// <summary>A <c>popular</c> explanation with the item's event count.</summary>
    protected static Explanation Popular(InteractionSet data, int item) =>
        new("popular", [], new Dictionary<string, double> { ["events"] = data.ItemEventCounts[item] });

    /// <summary>The best <paramref name="max"/> contributions (weight descending, then item id ordinal), dropping non-positive ones.</summary>
    protected static IReadOnlyList<Contribution> Strongest(InteractionSet data, IEnumerable<(int Item, double Weight)> parts, int max) =>
        parts.Where(p => p.Weight > 0).OrderByDescending(p => p.Weight).ThenBy(p => p.Item).Take(max)
             .Select(p => new Contribution(data.Items[p.Item], p.Weight)).ToList();

    /// <summary>Adds <paramref name="epsilon"/> × popularity / max popularity to every score (backfill that only breaks ties among equal scores).</summary>
    protected static void AddPopularityBackfill(InteractionSet data, Span<float> scores, float epsilon)
    {
        var max = 1;
        foreach (var c in data.ItemEventCounts) max = Math.Max(max, c);
        for (var i = 0; i < scores.Length; i++) scores[i] += epsilon * data.ItemEventCounts[i] / max;
    }

    /// <summary>Position of <paramref name="item"/> in user <paramref name="user"/>'s CSR row, or -1.</summary>
    protected static int PairIndex(InteractionSet data, int user, int item)
    {
        var p = data.ItemsOf(user).BinarySearch(item);
        return p < 0 ? -1 : data.UserOffsets[user] + p;
    }
}
