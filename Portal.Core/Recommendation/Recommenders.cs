using Portal.Core.Evaluation;

namespace Portal.Core.Recommendation;

/// <summary>The recommenders this build has, by shared/FORMATS.md name, and their hyper-parameter grids.</summary>
public static class Recommenders
{
    /// <summary>Models that exist now, in the order <c>--model all</c> runs them.</summary>
    public static IReadOnlyList<string> Names { get; } = ["popularity", "repeat", "itemknn", "userknn", "ease", "gru", "item2vec", "text2vec", "blend"];

    /// <summary>Models named in shared/FORMATS.md that come later (not available in this build).</summary>
    public static IReadOnlyList<string> Planned { get; } = [];

    /// <summary>Creates an unfitted model.</summary>
    /// <param name="name">A name of <see cref="Names"/>.</param>
    /// <param name="parameters">Hyper-parameters (missing ones take defaults).</param>
    /// <exception cref="ArgumentException">Unknown model or parameter.</exception>
    public static IRecommender Create(string name, IReadOnlyDictionary<string, double>? parameters = null) => name switch
    {
        "popularity" => new PopularityRecommender(parameters),
        "repeat" => new RepeatRecommender(parameters),
        "itemknn" => new ItemKnnRecommender(parameters),
        "userknn" => new UserKnnRecommender(parameters),
        "ease" => new EaseRecommender(parameters),
        "gru" => new Gru.GruRecommender(parameters),
        "item2vec" => new Embeddings.Item2VecRecommender(parameters),
        "text2vec" => new Embeddings.Text2VecRecommender(parameters),
        "blend" => new PushLists.BlendRecommender(parameters),
        _ => throw new ArgumentException($"Unknown model '{name}'.", nameof(name)),
    };

    /// <summary>
    /// The hyper-parameter grid searched on the validation split for <paramref name="task"/>. For "novel", the
    /// re-purchase weight <c>alpha</c> has no effect (the user's own items are not candidates), so it stays 0.
    /// Sized so that <c>evaluate --model all</c> on the UCI file runs in a few minutes on 2 cores.
    /// </summary>
    /// <exception cref="ArgumentException">Unknown model.</exception>
    public static IReadOnlyList<IReadOnlyDictionary<string, double>> Grid(string name, EvaluationTask task)
    {
        var all = task == EvaluationTask.All;
        double[] alphas = all ? [0, 0.5, 2, 8, 32] : [0];
        double[] halflives = all ? [0, 60] : [0];
        return name switch
        {
            "popularity" => [new Dictionary<string, double>()],
            "repeat" => Product(("halflife_days", all ? [0, 7, 14, 30, 60, 120, 365] : [0])),
            "itemknn" => Product(("k", [10, 25, 50, 100, 200, 400, 1000]), ("shrink", [0, 10, 50]), ("alpha", alphas), ("halflife_days", halflives)),
            "userknn" => Product(("k", [25, 50, 100, 200]), ("alpha", alphas), ("halflife_days", halflives)),
            "ease" => Product(("lambda", [100, 200, 400, 800, 1600, 3200]), ("alpha", alphas), ("halflife_days", halflives)),
            // One network fit per split (training is the expensive part); pool_steps, alpha and halflife_days only change scoring.
            // state_decay re-runs the users' sequences (seconds). Pooling (pool_steps) is not searched: it keeps
            // users × steps × hidden floats (gigabytes at a million customers) and lost to state_decay 0.98 on UCI validation.
            "gru" => Product(("state_decay", all ? [0, 0.98] : [0, 0.9, 0.98]), ("alpha", alphas), ("halflife_days", halflives)),
            // Embedding models: cosine scores lie in [-1, 1], so the re-purchase weights are smaller than the others'.
            // item2vec: window 5 only; a whole-history window (0) is quadratic in the history length (hours on UCI).
            "item2vec" => Product(("window", [5]), ("decay_days", [0, 30]), ("alpha", all ? [0, 0.05, 0.2, 1, 4] : [0]), ("halflife_days", halflives)),
            "text2vec" => Product(("decay_days", [0, 30]), ("alpha", all ? [0, 0.05, 0.2, 1, 4] : [0]), ("halflife_days", halflives)),
            // The push pipeline chooses its ranker and MMR λ on validation itself (ISelfValidatingRecommender); the task picks the ranker.
            "blend" => [new Dictionary<string, double> { ["novel"] = all ? 0 : 1 }],
            _ => throw new ArgumentException($"Unknown model '{name}'.", nameof(name)),
        };
    }

    /// <summary>The Cartesian product of the axes, without the duplicates where <c>alpha</c> = 0 makes <c>halflife_days</c> irrelevant.</summary>
    private static List<IReadOnlyDictionary<string, double>> Product(params (string Name, double[] Values)[] axes)
    {
        var result = new List<IReadOnlyDictionary<string, double>> { new Dictionary<string, double>() };
        foreach (var (name, values) in axes)
            result = result.SelectMany(p => values.Select(v => (IReadOnlyDictionary<string, double>)new Dictionary<string, double>(p) { [name] = v })).ToList();
        var halflives = axes.FirstOrDefault(a => a.Name == "halflife_days").Values;
        if (halflives is null || !axes.Any(a => a.Name == "alpha")) return result;
        return result.Where(p => p["alpha"] != 0 || p["halflife_days"] == halflives[0]).ToList();
    }
}
