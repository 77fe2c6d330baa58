namespace Portal.Core.Recommendation;

/// <summary>Progress inside one <see cref="IRecommender.Fit"/> (for models whose fit takes long, such as the GRU).</summary>
/// <param name="Fraction">Done of this fit, 0 to 1.</param>
/// <param name="Text">What is being done, for people (<c>epoch 2/5, loss 0.5731, 5,120 events/s</c>).</param>
public sealed record FitProgress(double Fraction, string Text);

/// <summary>
/// A recommender that reports progress while it fits. The training pipeline sets <see cref="FitProgress"/> before
/// calling <see cref="IRecommender.Fit"/> and folds the reports into its own (the Models page shows them live).
/// </summary>
public interface IReportsFitProgress
{
    /// <summary>Receives reports during <see cref="IRecommender.Fit"/>, one at a time (a model that fits parts on several threads, such as the GRU ensemble, serialises them); null: none.</summary>
    IProgress<FitProgress>? FitProgress { get; set; }
}
