namespace Portal.Core.Behavior;

/// <summary>
/// The kind of a behaviour event, as named in shared/FORMATS.md (<c>event_type</c> column).
/// Stored by name (lower case) so that the database stays readable.
/// </summary>
public enum EventType
{
    /// <summary>The customer looked at the product page.</summary>
    View,
    /// <summary>The customer clicked the product (for example in a push or a list).</summary>
    Click,
    /// <summary>The customer added the product to the cart.</summary>
    Cart,
    /// <summary>The customer marked the product as a favourite.</summary>
    Favorite,
    /// <summary>The customer bought the product.</summary>
    Purchase,
    /// <summary>The customer returned or cancelled a purchase (UCI invoices starting with <c>C</c>).</summary>
    Return,
    /// <summary>The customer wrote a comment or review.</summary>
    Comment,
}

/// <summary>Parsing and naming of <see cref="EventType"/> values in the file formats' spelling.</summary>
public static class EventTypes
{
    /// <summary>The names used in files (<c>view</c>, <c>click</c>, <c>cart</c>, <c>favorite</c>, <c>purchase</c>, <c>return</c>, <c>comment</c>).</summary>
    public static IReadOnlyList<string> FileNames { get; } = ["view", "click", "cart", "favorite", "purchase", "return", "comment"];

    /// <summary>Parses a file spelling (case-insensitive; <c>favourite</c>, <c>add-to-cart</c>, OTTO's <c>clicks</c>/<c>carts</c>/<c>orders</c> accepted).</summary>
    /// <param name="text">The value of the <c>event_type</c> field.</param>
    /// <param name="type">The parsed type when the method returns true.</param>
    /// <returns>False when the text names no known type.</returns>
    public static bool TryParse(string? text, out EventType type)
    {
        switch (text?.Trim().ToLowerInvariant())
        {
            case "view": case "views": type = EventType.View; return true;
            case "click": case "clicks": type = EventType.Click; return true;
            case "cart": case "carts": case "add-to-cart": case "add_to_cart": type = EventType.Cart; return true;
            case "favorite": case "favourite": case "fav": type = EventType.Favorite; return true;
            case "purchase": case "order": case "orders": case "buy": type = EventType.Purchase; return true;
            case "return": case "returns": type = EventType.Return; return true;
            case "comment": case "review": type = EventType.Comment; return true;
            default: type = default; return false;
        }
    }

    /// <summary>The file spelling of <paramref name="type"/> (lower case).</summary>
    public static string ToFileName(this EventType type) => FileNames[(int)type];
}
