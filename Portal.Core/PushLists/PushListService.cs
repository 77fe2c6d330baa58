using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Portal.Core.Data;
using Portal.Core.Recommendation;
using Portal.Core.Training;

namespace Portal.Core.PushLists;

/// <summary>One channel's part in a pushed item.</summary>
/// <param name="Channel">Channel name (<c>ease</c>, <c>repeat</c>, ...).</param>
/// <param name="Score">The channel's score (model-specific scale), null when it cannot score the item.</param>
/// <param name="Rank">1-based rank in the channel's proposals.</param>
public sealed record ChannelProposal(string Channel, double? Score, int Rank);

/// <summary>One item of a served push list.</summary>
/// <param name="Rank">1-based position.</param>
/// <param name="ItemId">The product's source id (StockCode).</param>
/// <param name="ProductId">Database id of the product, null when the catalogue no longer has it.</param>
/// <param name="ProductName">Product name (the id when unknown).</param>
/// <param name="Price">List price, if known.</param>
/// <param name="RankerScore">The learning-to-rank model's score.</param>
/// <param name="Probability">The binary ranker's purchase probability (next 30 days), null for a LambdaRank ranker.</param>
/// <param name="RankBeforeMmr">Position by ranker score before the MMR re-rank.</param>
/// <param name="MmrPenalty">MMR's diversity adjustment (1 − λ)·max similarity to the items above.</param>
/// <param name="Channels">The channels that proposed it, best rank first.</param>
/// <param name="Reason">Why: kind and past items (the proposing channel's explanation), with the numbers in Detail.</param>
public sealed record PushListEntry(int Rank, string ItemId, int? ProductId, string ProductName, decimal? Price, double RankerScore,
    double? Probability, int RankBeforeMmr, double MmrPenalty, IReadOnlyList<ChannelProposal> Channels, PreviewReason Reason);

/// <summary>A customer's served push list.</summary>
/// <param name="CustomerId">The customer's source id.</param>
/// <param name="Model">Always <c>blend</c>.</param>
/// <param name="Version">The blend version that answered.</param>
/// <param name="Items">The list, best first.</param>
/// <param name="MmrLambda">The MMR λ used.</param>
/// <param name="IntraListDiversity">Intra-list diversity of the first 20 (before business rules cut items), NaN without item vectors.</param>
/// <param name="ElapsedMilliseconds">Time to build the list, ms.</param>
public sealed record PushListResponse(string CustomerId, string Model, string Version, IReadOnlyList<PushListEntry> Items,
    double MmrLambda, double? IntraListDiversity, double ElapsedMilliseconds);

/// <summary>Thrown when no push-list model (<c>blend</c>) has an active trained version.</summary>
/// <param name="message">What is missing.</param>
public sealed class PushModelUnavailableException(string message) : Exception(message);

/// <summary>
/// Serves push lists from the active <c>blend</c> model with the store's business rules: unavailable products and
/// items pushed to the customer within <see cref="RecentlyPushedDays"/> days (<see cref="IRecentlyPushed"/>) are never
/// pushed; callers may add rules (campaign scope, exclusions, price floor and ceiling).
/// </summary>
public sealed class PushListService(IDbContextFactory<PortalDbContext> dbFactory, ModelStore store, IRecentlyPushed recentlyPushed)
{
    /// <summary>The "already pushed" window, days.</summary>
    public const int RecentlyPushedDays = 14;

    /// <summary>The push list of customer <paramref name="customerId"/> (source id).</summary>
    /// <param name="customerId">The customer's source id (<c>17850</c>).</param>
    /// <param name="n">List length, 1 to 100.</param>
    /// <param name="rules">Extra rules (null: none); availability and recently pushed are always added.</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>Null when the store has no such customer.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="n"/> outside 1..100.</exception>
    /// <exception cref="PushModelUnavailableException">No active blend model.</exception>
    public async Task<PushListResponse?> ForCustomerAsync(string customerId, int n = 20, PushRules? rules = null, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(n, 100);
        var clock = Stopwatch.StartNew();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (!await db.Customers.AnyAsync(c => c.ExternalId == customerId, ct)) return null;
        var context = await LoadAsync(db, rules, ct);
        return await ListAsync(db, context, customerId, n, clock, ct);
    }

    /// <summary>
    /// The push lists of many customers with the same rules (a campaign's batch): the model, the unavailable items and
    /// the prices are loaded once; each list is built exactly as <see cref="ForCustomerAsync"/> builds it.
    /// </summary>
    /// <param name="customerIds">Customers' source ids (unknown ones get the cold-start list of popular and new products).</param>
    /// <param name="n">List length, 1 to 100.</param>
    /// <param name="rules">Extra rules (null: none), e.g. from <see cref="CampaignRulesAsync"/>.</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>One response per customer, in input order.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="n"/> outside 1..100.</exception>
    /// <exception cref="PushModelUnavailableException">No active blend model.</exception>
    public async Task<IReadOnlyList<PushListResponse>> ForCustomersAsync(IReadOnlyList<string> customerIds, int n, PushRules? rules = null, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(n, 100);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var context = await LoadAsync(db, rules, ct);
        var lists = new List<PushListResponse>(customerIds.Count);
        foreach (var id in customerIds)
        {
            ct.ThrowIfCancellationRequested();
            lists.Add(await ListAsync(db, context, id, n, Stopwatch.StartNew(), ct));
        }
        return lists;
    }

    /// <summary>
    /// The rules that restrict push lists to a campaign's product scope: <see cref="PushRules.CampaignScope"/> = the
    /// merchant's products in any listed category (sub-categories included), interest topic (of the latest succeeded
    /// segmentation run) or product list (all lists empty: every product of the merchant), plus the price band with the
    /// products' prices loaded (an item without a price passes the band, as <see cref="PushRules.Violation"/> says).
    /// </summary>
    /// <param name="merchantId">The campaign's merchant.</param>
    /// <param name="scope">The scope.</param>
    /// <param name="ct">Cancellation.</param>
    /// <exception cref="ArgumentException">The price floor is above the ceiling.</exception>
    public async Task<PushRules> CampaignRulesAsync(int merchantId, Campaigns.CampaignProductScope scope, CancellationToken ct = default)
    {
        if (scope.PriceMin is { } lo && scope.PriceMax is { } hi && lo > hi) throw new ArgumentException($"Price floor {lo} is above the price ceiling {hi}.", nameof(scope));
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var products = db.Products.AsNoTracking().Where(p => p.MerchantId == merchantId);
        if (scope.CategoryIds.Count > 0 || scope.TopicIds.Count > 0 || scope.ProductIds.Count > 0)
        {
            var paths = await db.Categories.AsNoTracking().Where(c => c.MerchantId == merchantId && scope.CategoryIds.Contains(c.Id)).Select(c => c.Path).ToListAsync(ct);
            var categoryIds = (await db.Categories.AsNoTracking().Where(c => c.MerchantId == merchantId).Select(c => new { c.Id, c.Path }).ToListAsync(ct))
                .Where(c => paths.Any(p => c.Path == p || c.Path.StartsWith(p + Catalog.Category.PathSeparator, StringComparison.Ordinal))).Select(c => c.Id).ToList();
            var runId = await db.SegmentationRuns.Where(r => r.Status == Tiers.SegmentationStatus.Succeeded).OrderByDescending(r => r.Id).Select(r => (int?)r.Id).FirstOrDefaultAsync(ct);
            var topicProducts = db.ProductTopics.Where(t => t.SegmentationRunId == runId && scope.TopicIds.Contains(t.TopicId)).Select(t => t.ProductId);
            var listed = scope.ProductIds;
            products = products.Where(p => (p.CategoryId != null && categoryIds.Contains(p.CategoryId.Value)) || topicProducts.Contains(p.Id) || listed.Contains(p.ExternalId));
        }
        var rows = await products.Select(p => new { p.ExternalId, p.Price, Merchant = p.Merchant!.Code }).ToListAsync(ct);
        var keys = rows.Select(p => StoreInteractions.ItemKey(p.Merchant, p.ExternalId)).ToHashSet(StringComparer.Ordinal);
        return new PushRules
        {
            CampaignScope = keys, PriceFloor = scope.PriceMin, PriceCeiling = scope.PriceMax,
            Prices = scope.PriceMin is null && scope.PriceMax is null ? null : await PricesAsync(db, ct),
        };
    }

    private sealed record ListContext(ServingModel Serving, BlendRecommender Blend, PushRules Rules);

    private async Task<ListContext> LoadAsync(PortalDbContext db, PushRules? rules, CancellationToken ct)
    {
        var serving = await store.GetActiveAsync("blend", ct) ?? throw new PushModelUnavailableException("The push-list model 'blend' has no active trained version yet.");
        var unavailable = (await db.Products.AsNoTracking().Where(p => !p.IsAvailable)
                .Select(p => new { p.ExternalId, Merchant = p.Merchant!.Code }).ToListAsync(ct))
            .Select(p => StoreInteractions.ItemKey(p.Merchant, p.ExternalId)).ToHashSet(StringComparer.Ordinal);
        rules ??= PushRules.None;
        rules = rules with
        {
            Unavailable = rules.Unavailable.Concat(unavailable).ToHashSet(StringComparer.Ordinal),
            // A price floor or ceiling needs the prices: without them every item passed the price rules.
            Prices = rules.Prices ?? (rules.PriceFloor is null && rules.PriceCeiling is null ? null : await PricesAsync(db, ct)),
        };
        return new ListContext(serving, (BlendRecommender)serving.Recommender, rules);
    }

    /// <summary>Unit price per item key of every product with a price.</summary>
    private static async Task<Dictionary<string, decimal>> PricesAsync(PortalDbContext db, CancellationToken ct) =>
        (await db.Products.AsNoTracking().Where(p => p.Price != null).Select(p => new { p.ExternalId, p.Price, Merchant = p.Merchant!.Code }).ToListAsync(ct))
        .ToDictionary(p => StoreInteractions.ItemKey(p.Merchant, p.ExternalId), p => p.Price!.Value, StringComparer.Ordinal);

    private async Task<PushListResponse> ListAsync(PortalDbContext db, ListContext context, string customerId, int n, Stopwatch clock, CancellationToken ct)
    {
        var (serving, blend, rules) = context;
        var pushed = await recentlyPushed.ItemsPushedAsync(customerId, RecentlyPushedDays, ct);
        if (pushed.Count > 0) rules = rules with { RecentlyPushed = rules.RecentlyPushed.Concat(pushed).ToHashSet(StringComparer.Ordinal) };
        var data = serving.Data;
        var user = data.UserIndex(customerId);
        var result = blend.PushList(user, rules.AllowedMask(data.Items));
        var head = result.Items.Take(n).ToList();
        var keys = head.Select(c => data.Items[c.Item]).ToList();
        var explanations = head.Select(c => blend.Explain(result, user, c.Item)).ToList();
        var names = keys.Concat(explanations.SelectMany(e => e.BecauseOf.Select(b => b.ItemId))).ToHashSet(StringComparer.Ordinal);
        var externals = names.Select(ExternalId).ToHashSet(StringComparer.Ordinal);
        var products = (await db.Products.AsNoTracking().Where(p => externals.Contains(p.ExternalId))
                .Select(p => new { p.Id, p.ExternalId, p.Name, p.Price, Merchant = p.Merchant!.Code }).ToListAsync(ct))
            .ToDictionary(p => StoreInteractions.ItemKey(p.Merchant, p.ExternalId), StringComparer.Ordinal);
        var channels = blend.Channels;
        var entries = new List<PushListEntry>(head.Count);
        for (var x = 0; x < head.Count; x++)
        {
            var c = head[x];
            products.TryGetValue(keys[x], out var p);
            var proposals = Enumerable.Range(0, channels.Count).Where(k => c.ChannelRanks[k] > 0).OrderBy(k => c.ChannelRanks[k])
                .Select(k => new ChannelProposal(channels[k].Name, float.IsNaN(c.ChannelScores[k]) ? null : c.ChannelScores[k], c.ChannelRanks[k])).ToList();
            var e = explanations[x];
            var because = e.BecauseOf.Select(b => new ReasonItem(ExternalId(b.ItemId), products.TryGetValue(b.ItemId, out var bp) ? bp.Name : ExternalId(b.ItemId), b.Weight)).ToList();
            entries.Add(new PushListEntry(x + 1, ExternalId(keys[x]), p?.Id, p?.Name ?? ExternalId(keys[x]), p?.Price, c.RankerScore,
                float.IsNaN(c.Probability) ? null : c.Probability, c.RankBeforeMmr, c.MmrPenalty, proposals, new PreviewReason(e.Kind, because, e.Detail)));
        }
        return new PushListResponse(customerId, "blend", serving.Version, entries, result.Lambda,
            double.IsNaN(result.IntraListDiversity) ? null : result.IntraListDiversity, clock.Elapsed.TotalMilliseconds);
    }

    /// <summary>The source id in an item key (<c>merchant/StockCode</c> → <c>StockCode</c>).</summary>
    private static string ExternalId(string key) => key.Contains('/') ? key[(key.IndexOf('/') + 1)..] : key;
}
