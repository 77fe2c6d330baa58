using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Portal.Core.Behavior;
using Portal.Core.Data;
using Portal.Core.Training;

namespace Portal.Core.Recommendation;

/// <summary>
/// The preview from the active serving models: the customer's history from the database, the push list and its
/// reasons from <see cref="ModelStore"/>, product names and prices mapped back from the catalogue.
/// </summary>
public sealed class RecommendationPreviewService(IDbContextFactory<PortalDbContext> dbFactory, ModelStore store) : IRecommendationPreviewService
{
    /// <summary>Most history events returned.</summary>
    public const int HistoryLimit = 200;

    /// <summary>Extra items asked of the model so that skipping unavailable products still fills the list.</summary>
    public const int UnavailableMargin = 20;

    /// <inheritdoc />
    /// <remarks>The push pipeline (<c>blend</c>) first when it is active; then best first by the active version's test NDCG@20 (task all), then in <see cref="Recommenders.Names"/> order.</remarks>
    public async Task<IReadOnlyList<string>> AvailableModelsAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var active = await db.TrainingRuns.AsNoTracking()
            .Where(r => r.ModelStatus == ModelStatus.Active && r.ArtifactPath != null)
            .Select(r => new { r.Model, Ndcg = r.Metrics.Where(m => m.Task == "all" && m.Name == "ndcg@20").Select(m => (double?)m.Value).FirstOrDefault() })
            .ToListAsync(ct);
        var order = Recommenders.Names.ToList();
        return active.GroupBy(a => a.Model).Select(g => (Model: g.Key, Ndcg: g.Max(a => a.Ndcg) ?? -1))
            .OrderByDescending(a => a.Model == "blend")
            .ThenByDescending(a => a.Ndcg)
            .ThenBy(a => order.IndexOf(a.Model) is var i && i >= 0 ? i : int.MaxValue)
            .ThenBy(a => a.Model, StringComparer.Ordinal)
            .Select(a => a.Model).ToList();
    }

    /// <inheritdoc />
    public async Task<RecommendationPreview> PreviewAsync(int customerId, string model, int n = 20, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(n, 100);
        var clock = Stopwatch.StartNew();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var customer = await db.Customers.AsNoTracking().Where(c => c.Id == customerId)
            .Select(c => new { c.Id, c.ExternalId }).FirstOrDefaultAsync(ct)
            ?? throw new KeyNotFoundException($"Customer {customerId} does not exist.");
        var serving = await store.GetActiveAsync(model, ct)
            ?? throw new KeyNotFoundException($"Model '{model}' has no active trained version.");

        var history = await db.Events.AsNoTracking()
            .Where(e => e.CustomerId == customerId)
            .OrderByDescending(e => e.Timestamp).ThenByDescending(e => e.Id)
            .Take(HistoryLimit)
            .Select(e => new { e.ProductId, e.Product!.ExternalId, e.Product.Name, e.Timestamp, e.Type, e.Quantity })
            .ToListAsync(ct);

        // Unavailable products (withdrawn, or charges such as postage) are never pushed: ask for a margin and skip them.
        var items = serving.Recommend(customer.ExternalId, n + UnavailableMargin);
        var keys = items.Select(i => i.ItemId).Concat(items.SelectMany(i => i.Reason.BecauseOf.Select(c => c.ItemId))).ToHashSet(StringComparer.Ordinal);
        var externalIds = keys.Select(k => k.Contains('/') ? k[(k.IndexOf('/') + 1)..] : k).ToHashSet(StringComparer.Ordinal);
        var products = (await db.Products.AsNoTracking()
                .Where(p => externalIds.Contains(p.ExternalId))
                .Select(p => new { p.Id, p.ExternalId, p.Name, p.Price, p.IsAvailable, Merchant = p.Merchant!.Code })
                .ToListAsync(ct))
            .ToDictionary(p => StoreInteractions.ItemKey(p.Merchant, p.ExternalId), StringComparer.Ordinal);

        var list = new List<PreviewItem>(items.Count);
        foreach (var item in items)
        {
            if (list.Count == n) break;
            if (!products.TryGetValue(item.ItemId, out var p) || !p.IsAvailable) continue; // removed or unavailable since training
            var because = item.Reason.BecauseOf
                .Select(c => new ReasonItem(c.ItemId, products.TryGetValue(c.ItemId, out var cp) ? cp.Name : c.ItemId, c.Weight))
                .ToList();
            // The push pipeline's list scores only encode positions; its ranker score is the meaningful number.
            var score = item.Reason.Detail?.TryGetValue("ranker_score", out var ranker) == true ? ranker : item.Score;
            list.Add(new PreviewItem(list.Count + 1, p.Id, p.ExternalId, p.Name, p.Price, score,
                new PreviewReason(item.Reason.Kind, because, item.Reason.Detail)));
        }

        return new RecommendationPreview(customer.Id, customer.ExternalId, model, serving.Version,
            history.Select(h => new PreviewHistoryItem(h.ProductId, h.ExternalId, h.Name, DateTime.SpecifyKind(h.Timestamp, DateTimeKind.Utc), h.Type.ToFileName(), h.Quantity)).ToList(),
            list, clock.Elapsed.TotalMilliseconds);
    }
}
