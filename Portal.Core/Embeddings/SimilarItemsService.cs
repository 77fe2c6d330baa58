using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Portal.Core.Data;
using Portal.Core.Recommendation;
using Portal.Core.Training;

namespace Portal.Core.Embeddings;

/// <summary>One similar product.</summary>
/// <param name="ProductId">Database id (null when the model knows an item the catalogue no longer has).</param>
/// <param name="ItemId">The model-facing item id (<see cref="StoreInteractions.ItemKey"/>).</param>
/// <param name="Name">Product name (the item id when unknown).</param>
/// <param name="Cosine">Cosine similarity with the product, −1 to 1.</param>
/// <param name="SharedTokens">Text tokens both products have (text similarity only; empty for behaviour).</param>
public sealed record SimilarItem(int? ProductId, string ItemId, string Name, double Cosine, IReadOnlyList<string> SharedTokens);

/// <summary>The similar-items panel of a product: text and behaviour neighbours side by side.</summary>
/// <param name="TextVersion">Version of the active text2vec model, or null when there is none.</param>
/// <param name="BehaviourVersion">Version of the active item2vec model, or null when there is none.</param>
/// <param name="QueryTokens">The product's own tokens in the text model (empty without one).</param>
/// <param name="ByText">Nearest products by text vector (empty when the model has no vector for the product).</param>
/// <param name="ByBehaviour">Nearest products by item2vec vector (empty when the product had no events at training).</param>
/// <param name="SearchMilliseconds">Time of the two nearest-neighbour searches, milliseconds.</param>
public sealed record SimilarItems(string? TextVersion, string? BehaviourVersion, IReadOnlyList<string> QueryTokens,
    IReadOnlyList<SimilarItem> ByText, IReadOnlyList<SimilarItem> ByBehaviour, double SearchMilliseconds);

/// <summary>
/// Similar products from the active <c>text2vec</c> and <c>item2vec</c> serving models (<see cref="ModelStore"/>):
/// cosine nearest neighbours of the product's vectors (<see cref="VectorIndex"/>), names mapped back from the
/// catalogue, and for text the tokens both products share. Thread-safe.
/// </summary>
public sealed class SimilarItemsService(IDbContextFactory<PortalDbContext> dbFactory, ModelStore store)
{
    /// <summary>The neighbours of product <paramref name="productId"/>.</summary>
    /// <param name="productId">Database id of the product.</param>
    /// <param name="k">Neighbours per list, 1 to 100.</param>
    /// <param name="ct">Cancellation.</param>
    /// <exception cref="KeyNotFoundException">No such product.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="k"/> out of range.</exception>
    public async Task<SimilarItems> GetAsync(int productId, int k = 10, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(k, 100);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var product = await db.Products.AsNoTracking().Where(p => p.Id == productId)
            .Select(p => new { p.ExternalId, Merchant = p.Merchant!.Code }).FirstOrDefaultAsync(ct)
            ?? throw new KeyNotFoundException($"Product {productId} does not exist.");
        var key = StoreInteractions.ItemKey(product.Merchant, product.ExternalId);
        var text = await store.GetActiveAsync("text2vec", ct);
        var behaviour = await store.GetActiveAsync("item2vec", ct);

        var clock = Stopwatch.StartNew();
        var textModel = text?.Recommender as Text2VecRecommender;
        var queryTokens = Array.Empty<string>() as IReadOnlyList<string>;
        var byText = new List<(string Item, double Cosine, IReadOnlyList<string> Shared)>();
        if (textModel is not null && text!.Data.ItemIndex(key) is var row && row >= 0)
        {
            queryTokens = textModel.ItemTokens(row);
            foreach (var n in textModel.Index.Nearest(row, k))
                byText.Add((text.Data.Items[n.Row], n.Cosine, textModel.ItemTokens(n.Row).Intersect(queryTokens, StringComparer.Ordinal).ToList()));
        }
        var byBehaviour = new List<(string Item, double Cosine, IReadOnlyList<string> Shared)>();
        if (behaviour?.Recommender is IItemVectorModel vectors && behaviour.Data.ItemIndex(key) is var brow && brow >= 0)
            foreach (var n in vectors.Index.Nearest(brow, k))
                byBehaviour.Add((behaviour.Data.Items[n.Row], n.Cosine, []));
        var searchMs = clock.Elapsed.TotalMilliseconds;

        var externalIds = byText.Concat(byBehaviour).Select(x => x.Item.Contains('/') ? x.Item[(x.Item.IndexOf('/') + 1)..] : x.Item)
            .ToHashSet(StringComparer.Ordinal);
        var products = (await db.Products.AsNoTracking().Where(p => externalIds.Contains(p.ExternalId))
                .Select(p => new { p.Id, p.ExternalId, p.Name, Merchant = p.Merchant!.Code }).ToListAsync(ct))
            .ToDictionary(p => StoreInteractions.ItemKey(p.Merchant, p.ExternalId), StringComparer.Ordinal);
        SimilarItem Map((string Item, double Cosine, IReadOnlyList<string> Shared) x) =>
            products.TryGetValue(x.Item, out var p) ? new SimilarItem(p.Id, x.Item, p.Name, x.Cosine, x.Shared) : new SimilarItem(null, x.Item, x.Item, x.Cosine, x.Shared);
        return new SimilarItems(text?.Version, behaviour?.Version, queryTokens, byText.Select(Map).ToList(), byBehaviour.Select(Map).ToList(), searchMs);
    }
}
