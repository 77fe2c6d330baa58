using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Portal.Core.Behavior;
using Portal.Core.Catalog;
using Portal.Core.Data;
using Portal.Core.Recommendation;

namespace Portal.Core.Training;

/// <summary>
/// The stored behaviour events as the recommenders see them: every event except returns, ordered by
/// (timestamp, import, source line), with user = the customer's external id and item = <see cref="ItemKey"/>.
/// For the bundled UCI file this is exactly the protocol's event list (shared/EVALUATION.md).
/// </summary>
public static class StoreInteractions
{
    /// <summary>Dataset name recorded in training runs for data read from the database.</summary>
    public const string DatasetName = "store";

    /// <summary>
    /// The model-facing id of a product: its external id for the default merchant, <c>code/external-id</c> for
    /// other merchants (external ids are unique only per merchant).
    /// </summary>
    public static string ItemKey(string merchantCode, string externalId) =>
        merchantCode == Merchant.DefaultCode ? externalId : merchantCode + "/" + externalId;

    /// <summary>Loads the interactions (returns excluded), in protocol order.</summary>
    /// <param name="db">The database.</param>
    /// <param name="ct">Cancellation.</param>
    public static async Task<List<Interaction>> LoadAsync(PortalDbContext db, CancellationToken ct)
    {
        var rows = db.Events.AsNoTracking()
            .Where(e => e.Type != EventType.Return)
            .OrderBy(e => e.Timestamp).ThenBy(e => e.ImportRunId).ThenBy(e => e.SourceLine).ThenBy(e => e.Id)
            .Select(e => new { User = e.Customer!.ExternalId, Merchant = e.Product!.Merchant!.Code, Item = e.Product.ExternalId, e.Timestamp, e.Type, e.Quantity })
            .AsAsyncEnumerable();
        var result = new List<Interaction>();
        // Item keys repeat a lot: intern them so that 400k events share a few thousand strings.
        var keys = new Dictionary<(string, string), string>();
        await foreach (var r in rows.WithCancellation(ct))
        {
            if (!keys.TryGetValue((r.Merchant, r.Item), out var key)) keys[(r.Merchant, r.Item)] = key = ItemKey(r.Merchant, r.Item);
            result.Add(new Interaction(r.User, key, DateTime.SpecifyKind(r.Timestamp, DateTimeKind.Utc), r.Type, r.Quantity));
        }
        return result;
    }

    /// <summary>
    /// The catalogue's product text for text models (<see cref="Embeddings.Text2VecRecommender"/>): item key
    /// (<see cref="ItemKey"/>) → name, brand, category and description joined by newlines (missing parts left out).
    /// Every product is included, with or without events, so that new products get a text vector (cold start).
    /// </summary>
    /// <param name="db">The database.</param>
    /// <param name="ct">Cancellation.</param>
    public static async Task<Dictionary<string, string>> LoadCatalogueTextAsync(PortalDbContext db, CancellationToken ct)
    {
        var rows = await db.Products.AsNoTracking()
            .OrderBy(p => p.Id)
            .Select(p => new { Merchant = p.Merchant!.Code, p.ExternalId, p.Name, p.Brand, Category = p.Category != null ? p.Category.Name : null, p.Description })
            .ToListAsync(ct);
        var result = new Dictionary<string, string>(rows.Count, StringComparer.Ordinal);
        foreach (var r in rows)
            result[ItemKey(r.Merchant, r.ExternalId)] = string.Join('\n', new[] { r.Name, r.Brand, r.Category, r.Description }.Where(x => !string.IsNullOrWhiteSpace(x)));
        return result;
    }

    /// <summary>The catalogue's list prices: item key (<see cref="ItemKey"/>) → unit price, for products with a positive price.</summary>
    public static async Task<Dictionary<string, double>> LoadPricesAsync(PortalDbContext db, CancellationToken ct)
    {
        var rows = await db.Products.AsNoTracking().Where(p => p.Price != null)
            .Select(p => new { Merchant = p.Merchant!.Code, p.ExternalId, p.Price }).ToListAsync(ct);
        return rows.Where(r => r.Price > 0).ToDictionary(r => ItemKey(r.Merchant, r.ExternalId), r => (double)r.Price!.Value, StringComparer.Ordinal);
    }

    /// <summary>SHA-256 (hex) of the interactions in order: one line <c>user,item,ticks,type,quantity</c> each.</summary>
    public static string Checksum(IReadOnlyList<Interaction> interactions)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var sb = new StringBuilder();
        foreach (var e in interactions)
        {
            sb.Clear().Append(e.UserId).Append(',').Append(e.ItemId).Append(',').Append(e.Timestamp.Ticks).Append(',')
              .Append(e.Type.ToFileName()).Append(',').Append(e.Quantity.ToString(CultureInfo.InvariantCulture)).Append('\n');
            hash.AppendData(Encoding.UTF8.GetBytes(sb.ToString()));
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
