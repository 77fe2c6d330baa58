using Microsoft.EntityFrameworkCore;
using Portal.Core.Data;
using Portal.Core.PushLists;
using Portal.Core.Training;

namespace Portal.Core.PushBatches;

/// <summary>
/// The "already pushed" rule's source: the items of a customer's pushes (<see cref="PushMessage"/> rows of every
/// campaign) delivered within the last N days, as model item keys (<see cref="StoreInteractions.ItemKey"/>).
/// </summary>
public sealed class RecentlyPushedItems(IDbContextFactory<PortalDbContext> dbFactory, TimeProvider? clock = null) : IRecentlyPushed
{
    /// <inheritdoc />
    public async Task<IReadOnlySet<string>> ItemsPushedAsync(string customerId, int days, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(days);
        var since = (clock ?? TimeProvider.System).GetUtcNow().UtcDateTime.AddDays(-days);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await db.PushMessages.IgnoreQueryFilters().AsNoTracking()
            .Where(m => m.Status == PushDeliveryStatus.Delivered && m.DeliveredAt >= since)
            .Join(db.Customers.Where(c => c.ExternalId == customerId), m => m.CustomerId, c => c.Id, (m, c) => new { m.MerchantId, m.ItemsJson })
            .ToListAsync(ct);
        if (rows.Count == 0) return new HashSet<string>();
        var codes = await db.Merchants.AsNoTracking().ToDictionaryAsync(m => m.Id, m => m.Code, ct);
        return rows.SelectMany(r => PushMessageItem.FromJson(r.ItemsJson).Select(i => StoreInteractions.ItemKey(codes[r.MerchantId], i.ExternalId)))
            .ToHashSet(StringComparer.Ordinal);
    }
}
