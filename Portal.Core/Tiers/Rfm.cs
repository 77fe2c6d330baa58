namespace Portal.Core.Tiers;

/// <summary>Recency, frequency and monetary value of one customer (purchases net of returns).</summary>
/// <param name="RecencyDays">Days from the last purchase to the as-of time (≥ 0).</param>
/// <param name="Frequency">Distinct purchase orders (≥ 1).</param>
/// <param name="Monetary">Purchase value net of returns, merchant currency (may be ≤ 0 when everything was returned).</param>
public readonly record struct RfmValues(double RecencyDays, int Frequency, double Monetary);

/// <summary>R, F and M scores 1 to 5 and the combined FM score.</summary>
/// <param name="R">Recency score (5 = most recent fifth).</param>
/// <param name="F">Frequency score (5 = most frequent fifth).</param>
/// <param name="M">Monetary score (5 = highest spending fifth).</param>
public readonly record struct RfmScores(int R, int F, int M)
{
    /// <summary>FM = (F + M) / 2 rounded half up, 1 to 5 (the column of the RFM grid).</summary>
    public int FM => (F + M + 1) / 2;
}

/// <summary>
/// RFM quintile scoring (Hughes, <i>Strategic Database Marketing</i>, 1994): each measure is ranked over all
/// customers with purchases and cut into five equal groups. A value's score is 1 + ⌊5 · (number of customers with
/// a strictly worse value) / n⌋, so equal values always get the same score (no arbitrary tie split) and the result
/// does not depend on the order of the input. "Worse" is a longer recency, a lower frequency, a lower monetary value.
/// </summary>
public static class RfmScoring
{
    /// <summary>Scores every customer.</summary>
    /// <param name="values">One entry per customer with purchases (n ≥ 1).</param>
    /// <returns>Scores, same order and length.</returns>
    public static RfmScores[] Score(IReadOnlyList<RfmValues> values)
    {
        var n = values.Count;
        var result = new RfmScores[n];
        if (n == 0) return result;
        // Recency: lower is better, so score the negated days.
        var r = Quintiles(values.Select(v => -v.RecencyDays).ToArray());
        var f = Quintiles(values.Select(v => (double)v.Frequency).ToArray());
        var m = Quintiles(values.Select(v => v.Monetary).ToArray());
        for (var i = 0; i < n; i++) result[i] = new RfmScores(r[i], f[i], m[i]);
        return result;
    }

    /// <summary>Quintile scores of <paramref name="values"/> (higher value = higher score): 1 + ⌊5 · below / n⌋.</summary>
    /// <param name="values">Finite values.</param>
    /// <returns>Scores 1 to 5, same order.</returns>
    /// <exception cref="ArgumentException">A value is NaN or infinite.</exception>
    public static int[] Quintiles(double[] values)
    {
        var n = values.Length;
        var order = Enumerable.Range(0, n).ToArray();
        foreach (var v in values)
            if (!double.IsFinite(v)) throw new ArgumentException($"RFM scoring: the value {v} is not a finite number.", nameof(values));
        Array.Sort(order, (a, b) => values[a].CompareTo(values[b]));
        var scores = new int[n];
        var i = 0;
        while (i < n)
        {
            var j = i;
            while (j < n && values[order[j]] == values[order[i]]) j++;
            var score = 1 + (int)(5L * i / n);   // i = number of strictly smaller values
            for (var t = i; t < j; t++) scores[order[t]] = Math.Min(5, score);
            i = j;
        }
        return scores;
    }
}
