using System.Text.Json;

namespace Portal.Core.PushBatches;

/// <summary>One item of a push, as stored in <see cref="PushMessage.ItemsJson"/> (a JSON array in rank order) and sent by delivery.</summary>
/// <param name="ProductId">Products.Id (null when the catalogue no longer has it).</param>
/// <param name="ExternalId">The product's id in the merchant's data (StockCode).</param>
/// <param name="Name">Product name.</param>
/// <param name="Score">The ranker's score.</param>
/// <param name="Probability">The binary ranker's purchase probability, if any.</param>
/// <param name="Reason">One-line reason in English: the reason kind and the customer's past items it refers to.</param>
public sealed record PushMessageItem(int? ProductId, string ExternalId, string Name, double Score, double? Probability, string Reason)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>The JSON of <see cref="PushMessage.ItemsJson"/>.</summary>
    /// <param name="items">Items in rank order.</param>
    public static string ToJson(IReadOnlyList<PushMessageItem> items) => JsonSerializer.Serialize(items, Json);

    /// <summary>Reads <see cref="PushMessage.ItemsJson"/>.</summary>
    /// <param name="json">The stored JSON.</param>
    /// <exception cref="JsonException">Not an array of items.</exception>
    public static IReadOnlyList<PushMessageItem> FromJson(string json) => JsonSerializer.Deserialize<List<PushMessageItem>>(json, Json) ?? [];
}
