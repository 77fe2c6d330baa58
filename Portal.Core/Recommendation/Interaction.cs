using Portal.Core.Behavior;

namespace Portal.Core.Recommendation;

/// <summary>
/// One behaviour event as the recommenders and the offline protocol see it (shared/EVALUATION.md, "Interactions").
/// </summary>
/// <param name="UserId">The customer's source id (for UCI: CustomerID as an integer string, <c>17850</c>).</param>
/// <param name="ItemId">The product's source id (for UCI: StockCode trimmed and upper-cased).</param>
/// <param name="Timestamp">When it happened, UTC.</param>
/// <param name="Type">The event type.</param>
/// <param name="Quantity">Units (1 when the source has none).</param>
public readonly record struct Interaction(string UserId, string ItemId, DateTime Timestamp, EventType Type, double Quantity);
