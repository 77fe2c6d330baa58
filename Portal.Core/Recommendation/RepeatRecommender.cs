namespace Portal.Core.Recommendation;

/// <summary>
/// Repeat-buy: recommends the user's own past items first, ranked by a recency-weighted purchase count
/// Σ_events 2^(−age/h), age measured from the latest event of the fitted data and h = <c>halflife_days</c>
/// (0: no decay, plain count); then all other items by popularity. Re-purchase baselines of this kind are strong in
/// grocery/retail next-basket tasks (Hu, Rijke et al., "Modeling personalized item frequency information for
/// next-basket recommendation", SIGIR 2020; Li et al., "A next basket recommendation reality check", TOIS 2023).
/// Scores: own items 1 + weight (≥ 1), other items popularity / (max popularity + 1) (&lt; 1).
/// </summary>
public sealed class RepeatRecommender(IReadOnlyDictionary<string, double>? parameters = null)
    : RecommenderBase(parameters, new Dictionary<string, double> { ["halflife_days"] = 30 })
{
    private float[] _weights = [];

    /// <inheritdoc />
    public override string Name => "repeat";

    /// <inheritdoc />
    protected override void FitCore(InteractionSet data, CancellationToken ct) => _weights = RecencyWeights(data, P("halflife_days"));

    /// <summary>
    /// Recency-weighted event count of every (user, item) pair, aligned with <see cref="InteractionSet.UserItems"/>:
    /// Σ over the pair's events of 2^(−age/h), age in days before the set's latest event; h ≤ 0 gives the plain count.
    /// </summary>
    public static float[] RecencyWeights(InteractionSet data, double halflifeDays)
    {
        var w = new double[data.UserItems.Length];
        var last = data.LastTimestamp.Ticks;
        for (var k = 0; k < data.EventCount; k++)
        {
            var p = PairIndex(data, data.EventUser[k], data.EventItem[k]);
            w[p] += halflifeDays <= 0 ? 1.0 : Math.Pow(2, -(last - data.EventTicks[k]) / (double)TimeSpan.TicksPerDay / halflifeDays);
        }
        return w.Select(x => (float)x).ToArray();
    }

    /// <inheritdoc />
    protected override void ScoreCore(int user, Span<float> scores)
    {
        var data = Data;
        var max = 1;
        foreach (var c in data.ItemEventCounts) max = Math.Max(max, c);
        for (var i = 0; i < scores.Length; i++) scores[i] = data.ItemEventCounts[i] / (max + 1f);
        for (var p = data.UserOffsets[user]; p < data.UserOffsets[user + 1]; p++) scores[data.UserItems[p]] = 1f + _weights[p];
    }

    /// <inheritdoc />
    protected override Explanation ExplainCore(int user, int item, int maxItems)
    {
        var data = Data;
        var p = PairIndex(data, user, item);
        if (p < 0) return Popular(data, item);
        var days = (data.LastTimestamp.Ticks - data.UserItemLastTicks[p]) / (double)TimeSpan.TicksPerDay;
        return new Explanation("repeat", maxItems > 0 ? [new Contribution(data.Items[item], _weights[p])] : [],
            new Dictionary<string, double> { ["times"] = data.UserItemCounts[p], ["days_since_last"] = Math.Round(days, 1), ["weight"] = _weights[p] });
    }

    /// <inheritdoc />
    protected override void OnScoringParametersChanged(InteractionSet data) => _weights = RepeatRecommender.RecencyWeights(data, P("halflife_days"));
}
