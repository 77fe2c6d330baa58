namespace Portal.Core.Ctr;

/// <summary>
/// The two metrics of binary click prediction that shared/EVALUATION.md asks for: area under the ROC curve and log
/// loss. Written here (evaluation is the portal's core), not taken from ML.NET, so that every trainer is scored by the
/// same code.
/// </summary>
public static class CtrMetrics
{
    /// <summary>Probabilities are clipped to [ε, 1 − ε] before the logarithm so that one confident mistake gives a finite loss.</summary>
    public const double LogLossEpsilon = 1e-15;

    /// <summary>
    /// Area under the ROC curve (AUC): the probability that a randomly drawn positive is scored above a randomly drawn
    /// negative, ties counted one half. Computed as the Mann-Whitney U statistic over average ranks:
    /// AUC = (Σ rank(positive) − n⁺(n⁺+1)/2) / (n⁺ n⁻), where tied scores share the mean of their ranks (Hanley &amp;
    /// McNeil, "The meaning and use of the area under a receiver operating characteristic (ROC) curve", Radiology 143,
    /// 1982; Fawcett, "An introduction to ROC analysis", Pattern Recognition Letters 27, 2006). O(n log n).
    /// </summary>
    /// <param name="scores">One score per example (any monotone scale: probability, logit); same length as <paramref name="labels"/>.</param>
    /// <param name="labels">True for a positive (clicked) example.</param>
    /// <returns>AUC in [0, 1]; 0.5 for a constant score.</returns>
    /// <exception cref="ArgumentException">The lengths differ, a score is NaN, or there is no positive or no negative (AUC is undefined).</exception>
    public static double RocAuc(IReadOnlyList<double> scores, IReadOnlyList<bool> labels)
    {
        ArgumentNullException.ThrowIfNull(scores);
        ArgumentNullException.ThrowIfNull(labels);
        if (scores.Count != labels.Count)
            throw new ArgumentException($"scores ({scores.Count}) and labels ({labels.Count}) differ in length.", nameof(scores));
        long positives = 0;
        for (var i = 0; i < labels.Count; i++)
        {
            if (double.IsNaN(scores[i])) throw new ArgumentException($"score {i} is NaN.", nameof(scores));
            if (labels[i]) positives++;
        }
        long negatives = labels.Count - positives;
        if (positives == 0 || negatives == 0)
            throw new ArgumentException($"AUC needs at least one positive and one negative example (got {positives} positives, {negatives} negatives).", nameof(labels));

        var order = Enumerable.Range(0, scores.Count).ToArray();
        Array.Sort(order, (a, b) => scores[a].CompareTo(scores[b]));
        double positiveRankSum = 0;
        for (var start = 0; start < order.Length;)
        {
            var end = start + 1;
            while (end < order.Length && scores[order[end]] == scores[order[start]]) end++;
            // Ranks start+1 .. end (1-based) share their mean.
            var meanRank = (start + 1 + end) / 2.0;
            for (var k = start; k < end; k++)
                if (labels[order[k]]) positiveRankSum += meanRank;
            start = end;
        }
        return (positiveRankSum - positives * (positives + 1) / 2.0) / ((double)positives * negatives);
    }

    /// <summary>
    /// Standard error of an AUC estimate (Hanley &amp; McNeil, Radiology 143, 1982, eq. 2):
    /// SE = √[(A(1 − A) + (n⁺ − 1)(Q₁ − A²) + (n⁻ − 1)(Q₂ − A²)) / (n⁺ n⁻)], Q₁ = A / (2 − A), Q₂ = 2A² / (1 + A).
    /// Tells how far apart two AUCs on the same small test slice must be before the difference means anything.
    /// </summary>
    /// <param name="auc">The AUC, in [0, 1].</param>
    /// <param name="positives">Positive examples (n⁺ ≥ 1).</param>
    /// <param name="negatives">Negative examples (n⁻ ≥ 1).</param>
    /// <exception cref="ArgumentOutOfRangeException">The AUC is outside [0, 1] or a count is below 1.</exception>
    public static double AucStandardError(double auc, long positives, long negatives)
    {
        if (!(auc >= 0 && auc <= 1)) throw new ArgumentOutOfRangeException(nameof(auc), auc, "AUC must be in [0, 1].");
        ArgumentOutOfRangeException.ThrowIfLessThan(positives, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(negatives, 1);
        var q1 = auc / (2 - auc);
        var q2 = 2 * auc * auc / (1 + auc);
        var variance = (auc * (1 - auc) + (positives - 1) * (q1 - auc * auc) + (negatives - 1) * (q2 - auc * auc)) / ((double)positives * negatives);
        return Math.Sqrt(Math.Max(0, variance));
    }

    /// <summary>
    /// Log loss (binary cross-entropy, the negative mean log-likelihood of the labels under the predicted click
    /// probabilities): −(1/N) Σ [y ln p + (1 − y) ln(1 − p)], natural logarithm, p clipped to [ε, 1 − ε] with
    /// <see cref="LogLossEpsilon"/> (Bishop, Pattern Recognition and Machine Learning, 2006, eq. 4.90; the CTR metric
    /// of Juan et al., "Field-aware Factorization Machines for CTR Prediction", RecSys 2016).
    /// </summary>
    /// <param name="probabilities">Predicted click probability per example, in [0, 1].</param>
    /// <param name="labels">True for a clicked example.</param>
    /// <returns>The mean loss in nats (0 is perfect; ln 2 ≈ 0.693 for p = 0.5 everywhere).</returns>
    /// <exception cref="ArgumentException">The lengths differ, the lists are empty, or a probability is outside [0, 1] or NaN.</exception>
    public static double LogLoss(IReadOnlyList<double> probabilities, IReadOnlyList<bool> labels)
    {
        ArgumentNullException.ThrowIfNull(probabilities);
        ArgumentNullException.ThrowIfNull(labels);
        if (probabilities.Count != labels.Count)
            throw new ArgumentException($"probabilities ({probabilities.Count}) and labels ({labels.Count}) differ in length.", nameof(probabilities));
        if (probabilities.Count == 0) throw new ArgumentException("log loss of no examples is undefined.", nameof(probabilities));
        double sum = 0;
        for (var i = 0; i < probabilities.Count; i++)
        {
            var p = probabilities[i];
            if (!(p >= 0 && p <= 1)) throw new ArgumentException($"probability {i} is {p}, outside [0, 1].", nameof(probabilities));
            p = Math.Clamp(p, LogLossEpsilon, 1 - LogLossEpsilon);
            sum += labels[i] ? Math.Log(p) : Math.Log(1 - p);
        }
        return -sum / probabilities.Count;
    }
}
