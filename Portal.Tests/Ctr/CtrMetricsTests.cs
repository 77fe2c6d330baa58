using Portal.Core.Ctr;

namespace Portal.Tests.Ctr;

/// <summary>AUC and log loss on examples computed by hand.</summary>
public sealed class CtrMetricsTests
{
    [Fact]
    public void Auc_counts_correctly_ordered_pairs()
    {
        // Positives 0.35 and 0.8; negatives 0.1 and 0.4. Pairs (pos > neg): 0.35>0.1 yes, 0.35>0.4 no, 0.8>0.1 yes, 0.8>0.4 yes = 3/4.
        Assert.Equal(0.75, CtrMetrics.RocAuc([0.1, 0.4, 0.35, 0.8], [false, false, true, true]), 12);
    }

    [Fact]
    public void Auc_counts_ties_half()
    {
        // Positives 0.5 and 0.9; negatives 0.5 and 0.2: (0.5,0.5) tie = 0.5, (0.5,0.2) 1, (0.9,0.5) 1, (0.9,0.2) 1 → 3.5/4.
        Assert.Equal(0.875, CtrMetrics.RocAuc([0.5, 0.5, 0.2, 0.9], [true, false, false, true]), 12);
        // A constant score ties every pair: 0.5.
        Assert.Equal(0.5, CtrMetrics.RocAuc([0.3, 0.3, 0.3, 0.3, 0.3], [true, false, false, true, false]), 12);
        // Three positives, two negatives, one tie group spanning both labels: pos {0.7, 0.7, 0.9}, neg {0.7, 0.1}:
        // (0.7,0.7) .5 ×2, (0.7,0.1) 1 ×2, (0.9,0.7) 1, (0.9,0.1) 1 → 5/6.
        Assert.Equal(5.0 / 6, CtrMetrics.RocAuc([0.7, 0.7, 0.9, 0.7, 0.1], [true, true, true, false, false]), 12);
    }

    [Fact]
    public void Auc_is_one_for_a_perfect_ranking_and_zero_for_a_reversed_one()
    {
        Assert.Equal(1.0, CtrMetrics.RocAuc([0.9, 0.8, 0.1], [true, true, false]), 12);
        Assert.Equal(0.0, CtrMetrics.RocAuc([0.1, 0.2, 0.9], [true, true, false]), 12);
    }

    [Fact]
    public void Auc_refuses_a_single_class_and_mismatched_lengths()
    {
        Assert.Contains("positive", Assert.Throws<ArgumentException>(() => CtrMetrics.RocAuc([0.1, 0.2], [false, false])).Message);
        Assert.Throws<ArgumentException>(() => CtrMetrics.RocAuc([0.1, 0.2], [true]));
        Assert.Throws<ArgumentException>(() => CtrMetrics.RocAuc([double.NaN, 0.2], [true, false]));
    }

    [Fact]
    public void Log_loss_is_the_mean_negative_log_likelihood()
    {
        // −(ln 0.9 + ln 0.8) / 2 = (0.1053605157 + 0.2231435513) / 2 = 0.1642520335.
        Assert.Equal(0.1642520335, CtrMetrics.LogLoss([0.9, 0.2], [true, false]), 1e-9);
        Assert.Equal(Math.Log(2), CtrMetrics.LogLoss([0.5, 0.5, 0.5], [true, false, false]), 12);
        Assert.Equal(0.0, CtrMetrics.LogLoss([1.0, 0.0], [true, false]), 12);
    }

    [Fact]
    public void Log_loss_clips_certain_mistakes_and_refuses_bad_input()
    {
        // p = 1 for a non-click: clipped to 1 − 1e-15, loss ≈ −ln(1e-15) = 34.54 (1 − 1e-15 is not exact in a double:
        // 1 − (1 − 1e-15) = 9.99e-16, so the loss is 34.5396).
        Assert.Equal(-Math.Log(1e-15), CtrMetrics.LogLoss([1.0], [false]), 0.01);
        Assert.Equal(-Math.Log(1e-15), CtrMetrics.LogLoss([0.0], [true]), 0.01);
        Assert.Throws<ArgumentException>(() => CtrMetrics.LogLoss([1.2], [true]));
        Assert.Throws<ArgumentException>(() => CtrMetrics.LogLoss([], []));
        Assert.Throws<ArgumentException>(() => CtrMetrics.LogLoss([0.5], [true, false]));
    }

    [Fact]
    public void Auc_standard_error_follows_Hanley_and_McNeil()
    {
        // A = 0.75, n+ = n- = 2: Q1 = 0.75/1.25 = 0.6, Q2 = 2·0.5625/1.75 = 0.642857;
        // (0.1875 + 1·(0.6 − 0.5625) + 1·(0.642857 − 0.5625)) / 4 = 0.076339, √ = 0.276295.
        Assert.Equal(0.276295, CtrMetrics.AucStandardError(0.75, 2, 2), 1e-6);
        // A perfect ranking still has a finite error; more examples shrink it.
        Assert.True(CtrMetrics.AucStandardError(0.6, 10, 1990) > CtrMetrics.AucStandardError(0.6, 100, 19900));
        Assert.Throws<ArgumentOutOfRangeException>(() => CtrMetrics.AucStandardError(1.5, 2, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => CtrMetrics.AucStandardError(0.5, 0, 2));
    }
}
