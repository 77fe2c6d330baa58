using Portal.Core.Evaluation;

namespace Portal.Core.Recommendation;

/// <summary>
/// A model that chooses its own settings on the validation split inside <see cref="IRecommender.Fit"/> (the push
/// pipeline, <c>blend</c>: its ranker needs the validation window's labels anyway). The training pipeline then skips its
/// own grid search for it (which would nest a second validation split inside the first) and records these metrics.
/// </summary>
public interface ISelfValidatingRecommender : IRecommender
{
    /// <summary>Validation metrics of task "all" from the last fit (null before a fit or when the task was not trained).</summary>
    TaskMetrics? ValidationAll { get; }
    /// <summary>Validation metrics of task "novel" from the last fit (null before a fit or when the task was not trained).</summary>
    TaskMetrics? ValidationNovel { get; }
}

/// <summary>A model with price features: the training pipeline hands it the catalogue's unit prices before fitting.</summary>
public interface IItemPriceModel
{
    /// <summary>Sets the unit price per item id (items without one get the model's "unknown" value).</summary>
    /// <param name="prices">Item id to unit price (&gt; 0).</param>
    void UseItemPrices(IReadOnlyDictionary<string, double> prices);
}
