namespace Portal.Core.Recommendation;

/// <summary>
/// Serves the recommendation preview: for one customer and one trained model, the customer's history and the
/// top-N push list with a score and a reason per item. Answers from models loaded in memory (no training).
/// </summary>
public interface IRecommendationPreviewService
{
    /// <summary>Names of the models that have an active trained version and can serve now (<c>popularity</c>, <c>itemknn</c>, ...).</summary>
    Task<IReadOnlyList<string>> AvailableModelsAsync(CancellationToken ct = default);

    /// <summary>Builds the preview.</summary>
    /// <param name="customerId">Database id of the customer.</param>
    /// <param name="model">Model name as in shared/FORMATS.md.</param>
    /// <param name="n">Length of the push list (1 to 100).</param>
    /// <param name="ct">Cancellation.</param>
    /// <exception cref="KeyNotFoundException">No such customer, or the model has no active trained version.</exception>
    Task<RecommendationPreview> PreviewAsync(int customerId, string model, int n = 20, CancellationToken ct = default);
}

/// <summary>The preview for one customer.</summary>
/// <param name="CustomerId">Database id of the customer.</param>
/// <param name="CustomerExternalId">Source id of the customer (<c>17850</c>).</param>
/// <param name="Model">Model name.</param>
/// <param name="ModelVersion">Version of the model that answered.</param>
/// <param name="History">The customer's past events, newest first (at most 200).</param>
/// <param name="Items">The push list, best first.</param>
/// <param name="ElapsedMilliseconds">Time to build the list, in ms.</param>
public sealed record RecommendationPreview(int CustomerId, string CustomerExternalId, string Model, string ModelVersion,
    IReadOnlyList<PreviewHistoryItem> History, IReadOnlyList<PreviewItem> Items, double ElapsedMilliseconds);

/// <summary>One past event in the preview's history column.</summary>
/// <param name="ProductId">Database id of the product.</param>
/// <param name="ProductExternalId">Source id (StockCode).</param>
/// <param name="ProductName">Product name.</param>
/// <param name="Timestamp">When (UTC).</param>
/// <param name="EventType">Event type in file spelling (<c>purchase</c>).</param>
/// <param name="Quantity">Units.</param>
public sealed record PreviewHistoryItem(int ProductId, string ProductExternalId, string ProductName, DateTime Timestamp, string EventType, double Quantity);

/// <summary>One pushed item with its reason.</summary>
/// <param name="Rank">1-based position.</param>
/// <param name="ProductId">Database id of the product.</param>
/// <param name="ProductExternalId">Source id (StockCode).</param>
/// <param name="ProductName">Product name.</param>
/// <param name="Price">List price, if known.</param>
/// <param name="Score">The model's score (model-specific scale; higher is better).</param>
/// <param name="Reason">Why the item is proposed.</param>
public sealed record PreviewItem(int Rank, int ProductId, string ProductExternalId, string ProductName, decimal? Price, double Score, PreviewReason Reason);

/// <summary>
/// Why an item was proposed: a reason kind plus the past items it comes from (for ItemKNN: the past purchases it is
/// most similar to, with their similarity). The UI turns the kind into a sentence in its language.
/// </summary>
/// <param name="Kind">One of <c>popular</c>, <c>repeat</c>, <c>similar-items</c>, <c>similar-users</c>, <c>linear</c>.</param>
/// <param name="BecauseOf">Past items behind the proposal (name and contribution), strongest first; may be empty.</param>
/// <param name="Detail">Extra numbers (for example <c>bought 3 times, last 12 days ago</c> as data: key to value).</param>
public sealed record PreviewReason(string Kind, IReadOnlyList<ReasonItem> BecauseOf, IReadOnlyDictionary<string, double>? Detail = null);

/// <summary>A past item that contributed to a proposal.</summary>
/// <param name="ProductExternalId">Source id.</param>
/// <param name="ProductName">Name.</param>
/// <param name="Weight">Its contribution (similarity, or share of the score).</param>
public sealed record ReasonItem(string ProductExternalId, string ProductName, double Weight);
