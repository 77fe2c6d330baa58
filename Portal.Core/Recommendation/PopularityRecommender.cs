namespace Portal.Core.Recommendation;

/// <summary>
/// Most-popular baseline: score = number of training events of the item, the same list for everyone
/// (shared/EVALUATION.md, "Conformance figures"; the standard non-personalised baseline, e.g. Cremonesi, Koren and
/// Turrin, "Performance of recommender algorithms on top-N recommendation tasks", RecSys 2010).
/// No hyper-parameters.
/// </summary>
public sealed class PopularityRecommender(IReadOnlyDictionary<string, double>? parameters = null)
    : RecommenderBase(parameters, new Dictionary<string, double>())
{
    /// <inheritdoc />
    public override string Name => "popularity";
    /// <inheritdoc />
    protected override void FitCore(InteractionSet data, CancellationToken ct) { }
    /// <inheritdoc />
    protected override void ScoreCore(int user, Span<float> scores) => PopularityScores(Data, scores);
    /// <inheritdoc />
    protected override Explanation ExplainCore(int user, int item, int maxItems) => Popular(Data, item);
}
