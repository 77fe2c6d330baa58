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
        var serving = await store.GetActiveAsync("blend", ct) ?? throw new PushModelUnavailableException("The push-list model 'blend' has no active trained version yet.");
        var blend = (BlendRecommender)serving.Recommender;
        var unavailable = (await db.Products.AsNoTracking().Where(p => !p.IsAvailable)
                .Select(p => new { p.ExternalId, Merchant = p.Merchant!.Code }).ToListAsync(ct))
            .Select(p => StoreInteractions.ItemKey(p.Merchant, p.ExternalId)).ToHashSet(StringComparer.Ordinal);
        var pushed = await recentlyPushed.ItemsPushedAsync(customerId, RecentlyPushedDays, ct);
        rules = (rules ?? PushRules.None) with
        {
            Unavailable = (rules?.Unavailable ?? new HashSet<string>()).Concat(unavailable).ToHashSet(StringComparer.Ordinal),
            RecentlyPushed = (rules?.RecentlyPushed ?? new HashSet<string>()).Concat(pushed).ToHashSet(StringComparer.Ordinal),
        };
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
