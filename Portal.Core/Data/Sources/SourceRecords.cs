using Portal.Core.Behavior;

namespace Portal.Core.Data.Sources;

/// <summary>
/// One behaviour event read from a generic events file (CSV or JSON lines, shared/FORMATS.md) or from an OTTO session
/// file (then <see cref="UserId"/> and <see cref="SessionId"/> are the session id and <see cref="ItemId"/> the aid).
/// </summary>
/// <param name="Row">Row number in the file: 1 = the CSV header; for JSON lines, the line number (1-based).</param>
/// <param name="UserId">The end customer's id in the source system (trimmed, never empty, at most 64 characters).</param>
/// <param name="ItemId">The product's id in the source system (trimmed, never empty, at most 64 characters).</param>
/// <param name="Timestamp">When it happened, UTC (<see cref="DateTimeKind.Utc"/>); a timestamp without an offset is read as UTC.</param>
/// <param name="Type">What happened.</param>
/// <param name="Quantity">Units, greater than 0; 1 when the file gives none.</param>
/// <param name="Price">Unit price in the shop's currency (0 or more), if given.</param>
/// <param name="SessionId">Visit id (at most 64 characters), if given.</param>
public sealed record SourceEvent(long Row, string UserId, string ItemId, DateTime Timestamp, EventType Type,
    double Quantity, decimal? Price, string? SessionId);

/// <summary>One product read from a generic catalogue file (CSV or JSON lines, shared/FORMATS.md).</summary>
/// <param name="Row">Row number in the file: 1 = the CSV header; for JSON lines, the line number (1-based).</param>
/// <param name="ItemId">The product's id, as in events (trimmed, never empty, at most 64 characters).</param>
/// <param name="Name">Product title, any language (trimmed, never empty, at most 400 characters).</param>
/// <param name="Description">Free text, if any.</param>
/// <param name="CategoryPath">Category levels from the top (<c>["电子产品", "手机"]</c>), empty when none given.</param>
/// <param name="Brand">Brand (at most 200 characters), if any.</param>
/// <param name="Price">List price (0 or more), if any.</param>
/// <param name="Merchant">The merchant's code or name (at most 64 characters), null for the default merchant.</param>
public sealed record SourceProduct(long Row, string ItemId, string Name, string? Description,
    IReadOnlyList<string> CategoryPath, string? Brand, decimal? Price, string? Merchant);
