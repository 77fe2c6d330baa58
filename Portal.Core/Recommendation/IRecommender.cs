namespace Portal.Core.Recommendation;

/// <summary>
/// A top-N recommender on implicit feedback: fitted on an <see cref="InteractionSet"/>, it scores every item of that
/// set (the catalogue) for one user and explains a score by the user's past items. Implementations are
/// deterministic (same data and parameters, same scores) and <see cref="Score"/>/<see cref="Explain"/> are
/// thread-safe after <see cref="Fit"/>.
/// </summary>
public interface IRecommender
{
    /// <summary>Model name as in shared/FORMATS.md (<c>popularity</c>, <c>repeat</c>, <c>itemknn</c>, <c>userknn</c>, <c>ease</c>).</summary>
    string Name { get; }
    /// <summary>Version of the implementation (changes when scores would change).</summary>
    string ImplementationVersion { get; }
    /// <summary>Hyper-parameters (name to value; integers are whole numbers).</summary>
    IReadOnlyDictionary<string, double> Parameters { get; }
    /// <summary>The data the model was fitted on; its items are the catalogue.</summary>
    /// <exception cref="InvalidOperationException">Not fitted yet.</exception>
    InteractionSet Data { get; }

    /// <summary>
    /// A copy of this fitted model with other values of parameters that only affect scoring (<c>alpha</c>,
    /// <c>halflife_days</c>), sharing the fitted state: used by the hyper-parameter search to avoid refits.
    /// </summary>
    /// <param name="changes">Parameter name to new value.</param>
    /// <exception cref="ArgumentException">A parameter that needs a refit, or an unknown one.</exception>
    /// <exception cref="InvalidOperationException">Not fitted yet.</exception>
    IRecommender WithScoringParameters(IReadOnlyDictionary<string, double> changes);

    /// <summary>The names of the parameters <see cref="WithScoringParameters"/> accepts.</summary>
    IReadOnlySet<string> ScoringParameters { get; }

    /// <summary>Fits the model on <paramref name="data"/> (replacing any earlier fit).</summary>
    /// <exception cref="OperationCanceledException"><paramref name="ct"/> was cancelled.</exception>
    void Fit(InteractionSet data, CancellationToken ct = default);

    /// <summary>
    /// Writes the score of every catalogue item for <paramref name="user"/> into <paramref name="scores"/>
    /// (length <c>Data.ItemCount</c>, indexed by dense item id; higher is better; the scale is model-specific).
    /// </summary>
    /// <param name="user">Dense user id in <see cref="Data"/>, or -1 for a user without history (gets popularity).</param>
    /// <param name="scores">Output buffer, overwritten.</param>
    /// <exception cref="ArgumentException">The buffer length is not <c>Data.ItemCount</c>.</exception>
    void Score(int user, Span<float> scores);

    /// <summary>Why <paramref name="item"/> scores as it does for <paramref name="user"/>: the reason kind and the user's past items that contributed, strongest first.</summary>
    /// <param name="user">Dense user id, or -1.</param>
    /// <param name="item">Dense item id.</param>
    /// <param name="maxItems">At most this many contributing items.</param>
    Explanation Explain(int user, int item, int maxItems = 3);

    /// <summary>Writes the fitted state (not the data) for <see cref="LoadState"/>.</summary>
    void SaveState(BinaryWriter writer);

    /// <summary>Restores a state written by <see cref="SaveState"/> for a model fitted on <paramref name="data"/>.</summary>
    /// <exception cref="InvalidDataException">The state does not match the data.</exception>
    void LoadState(BinaryReader reader, InteractionSet data);
}

/// <summary>Why an item is recommended; the preview maps it to <see cref="PreviewReason"/>.</summary>
/// <param name="Kind">One of <c>popular</c>, <c>repeat</c>, <c>similar-items</c>, <c>similar-users</c>, <c>linear</c>, <c>sequence</c> (the GRU: the user's recent items, most similar to the pushed one first).</param>
/// <param name="BecauseOf">The user's past items behind the score, strongest first (may be empty).</param>
/// <param name="Detail">Extra numbers (key to value), for example <c>times</c> and <c>days_since_last</c>.</param>
public sealed record Explanation(string Kind, IReadOnlyList<Contribution> BecauseOf, IReadOnlyDictionary<string, double>? Detail = null);

/// <summary>One past item's part in a score.</summary>
/// <param name="ItemId">The past item's source id.</param>
/// <param name="Weight">Its contribution (similarity, model weight, or recency-weighted count).</param>
public sealed record Contribution(string ItemId, double Weight);

/// <summary>Top-K selection with the protocol's tie-break.</summary>
public static class Ranking
{
    /// <summary>
    /// The <paramref name="k"/> best items by score, descending; equal scores are ordered by dense item id ascending,
    /// which is the item id's ordinal order in an <see cref="InteractionSet"/> (shared/EVALUATION.md).
    /// </summary>
    /// <param name="scores">Scores indexed by dense item id. NaN is treated as the lowest score.</param>
    /// <param name="k">List length (fewer when there are fewer candidates).</param>
    /// <param name="excludeSorted">Dense ids that are not candidates, ascending (for example the user's past items); may be empty.</param>
    /// <returns>Dense item ids, best first.</returns>
    public static int[] TopK(ReadOnlySpan<float> scores, int k, ReadOnlySpan<int> excludeSorted = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        var idx = new int[Math.Min(k, scores.Length)];
        var val = new float[idx.Length];
        var count = 0;
        var ex = 0;
        for (var i = 0; i < scores.Length; i++)
        {
            while (ex < excludeSorted.Length && excludeSorted[ex] < i) ex++;
            if (ex < excludeSorted.Length && excludeSorted[ex] == i) continue;
            var s = float.IsNaN(scores[i]) ? float.NegativeInfinity : scores[i];
            if (count == idx.Length)
            {
                if (count == 0 || !(s > val[count - 1])) continue;
                count--;
            }
            var p = count;
            while (p > 0 && val[p - 1] < s) { idx[p] = idx[p - 1]; val[p] = val[p - 1]; p--; }
            idx[p] = i; val[p] = s;
            count++;
        }
        return count == idx.Length ? idx : idx[..count];
    }
}
