namespace Portal.Core.PushLists;

/// <summary>One pick of <see cref="Mmr.Rerank"/>.</summary>
/// <param name="Index">Position of the picked candidate in the input (0-based).</param>
/// <param name="Relevance">Its relevance as given (the λ-weighted term uses it unchanged).</param>
/// <param name="MaxSimilarity">Its largest similarity to the candidates picked before it (0 for the first pick).</param>
/// <param name="Value">Its MMR value when picked: λ·relevance − (1 − λ)·max similarity.</param>
/// <param name="Penalty">The diversity adjustment (1 − λ)·max similarity subtracted from λ·relevance (≥ 0 when similarities are).</param>
public readonly record struct MmrPick(int Index, double Relevance, double MaxSimilarity, double Value, double Penalty);

/// <summary>
/// Maximal marginal relevance (Carbonell and Goldstein, "The use of MMR, diversity-based reranking for reordering
/// documents and producing summaries", SIGIR 1998): greedily picks
/// argmax_{i ∈ R∖S} [ λ·rel(i) − (1 − λ)·max_{j ∈ S} sim(i, j) ], with S the items picked so far.
/// λ = 1 keeps the relevance order; smaller λ trades relevance for diversity. Ties go to the lower input position.
/// Also the intra-list diversity of a list (Ziegler, McNee, Konstan and Lausen, "Improving recommendation lists
/// through topic diversification", WWW 2005): the mean of 1 − sim(i, j) over all unordered pairs.
/// </summary>
public static class Mmr
{
    /// <summary>Re-ranks candidates by MMR.</summary>
    /// <param name="relevance">Relevance of each candidate (any scale; callers normalise to [0, 1] so that λ is comparable across users).</param>
    /// <param name="count">How many to pick (at most the number of candidates).</param>
    /// <param name="lambda">λ in [0, 1].</param>
    /// <param name="similarity">sim(a, b) of two candidate positions (symmetric; cosine of item vectors in the pipeline).</param>
    /// <returns>The picks in order.</returns>
    /// <exception cref="ArgumentOutOfRangeException">λ outside [0, 1] or a negative count.</exception>
    public static IReadOnlyList<MmrPick> Rerank(ReadOnlySpan<double> relevance, int count, double lambda, Func<int, int, double> similarity)
    {
        if (!(lambda >= 0 && lambda <= 1)) throw new ArgumentOutOfRangeException(nameof(lambda), lambda, "λ must lie in [0, 1].");
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var n = relevance.Length;
        count = Math.Min(count, n);
        var picked = new bool[n];
        var maxSim = new double[n]; // running max similarity to the picked set
        var result = new List<MmrPick>(count);
        for (var step = 0; step < count; step++)
        {
            var best = -1; var bestValue = double.NegativeInfinity;
            for (var i = 0; i < n; i++)
            {
                if (picked[i]) continue;
                var v = lambda * relevance[i] - (1 - lambda) * maxSim[i];
                if (best < 0 || v > bestValue) { best = i; bestValue = v; }
            }
            picked[best] = true;
            result.Add(new MmrPick(best, relevance[best], maxSim[best], bestValue, (1 - lambda) * maxSim[best]));
            if (lambda < 1)
                for (var i = 0; i < n; i++)
                    if (!picked[i]) maxSim[i] = step == 0 ? similarity(i, best) : Math.Max(maxSim[i], similarity(i, best));
        }
        return result;
    }

    /// <summary>Intra-list diversity: mean over unordered pairs of 1 − sim(a, b); 0 for lists shorter than 2.</summary>
    /// <param name="count">List length.</param>
    /// <param name="similarity">sim of two list positions.</param>
    public static double IntraListDiversity(int count, Func<int, int, double> similarity)
    {
        if (count < 2) return 0;
        double sum = 0; var pairs = 0;
        for (var a = 0; a < count; a++)
            for (var b = a + 1; b < count; b++) { sum += 1 - similarity(a, b); pairs++; }
        return sum / pairs;
    }
}
