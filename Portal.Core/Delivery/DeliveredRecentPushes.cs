using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Portal.Core.Data;
using Portal.Core.PushBatches;
using Portal.Core.PushLists;
using Portal.Core.Training;

namespace Portal.Core.Delivery;

/// <summary>
/// The "already pushed in the last N days" rule of the push-list pipeline (<see cref="IRecentlyPushed"/>) read from
/// the outbox: the items of the customer's pushes with status Delivered and <see cref="PushMessage.DeliveredAt"/>
/// within the last <c>days</c> days (now from <see cref="TimeProvider"/>), across all campaigns and merchants, as the
/// model's item keys (<see cref="StoreInteractions.ItemKey"/>: <c>StockCode</c> for the default merchant, else
/// <c>merchant/StockCode</c>). Each item of <see cref="PushMessage.ItemsJson"/> is read by its <c>externalId</c> (or
/// <c>productExternalId</c>; any letter case) or else its <c>productId</c> (Products.Id).
/// </summary>
/// <param name="dbFactory">The database.</param>
/// <param name="clock">The clock.</param>
public sealed class DeliveredRecentPushes(IDbContextFactory<PortalDbContext> dbFactory, TimeProvider clock) : IRecentlyPushed
{
    /// <inheritdoc />
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="days"/> is negative.</exception>
    public async Task<IReadOnlySet<string>> ItemsPushedAsync(string customerId, int days, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(days);
        var since = clock.GetUtcNow().UtcDateTime.AddDays(-days);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await db.PushMessages.AsNoTracking()
            .Where(m => m.Status == PushDeliveryStatus.Delivered && m.DeliveredAt >= since)
            .Join(db.Customers.Where(c => c.ExternalId == customerId), m => m.CustomerId, c => c.Id, (m, c) => new { m.MerchantId, m.ItemsJson })
            .Join(db.Merchants, m => m.MerchantId, x => x.Id, (m, x) => new { x.Code, m.ItemsJson })
            .ToListAsync(ct);
        var keys = new HashSet<string>(StringComparer.Ordinal);
        var byProductId = new List<int>();
        foreach (var row in rows)
        {
            using var doc = JsonDocument.Parse(row.ItemsJson);
            if (doc.RootElement.ValueKind != JsonValueKind.Array) continue;
            foreach (var item in doc.RootElement.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.Object) continue;
                if ((Property(item, "externalId") ?? Property(item, "productExternalId")) is { ValueKind: JsonValueKind.String } ext)
                    keys.Add(StoreInteractions.ItemKey(row.Code, ext.GetString()!));
                else if (Property(item, "productId") is { ValueKind: JsonValueKind.Number } pid && pid.TryGetInt32(out var id))
                    byProductId.Add(id);
            }
        }
        if (byProductId.Count > 0)
        {
            var products = await db.Products.AsNoTracking().Where(p => byProductId.Contains(p.Id))
                .Select(p => new { p.ExternalId, p.Merchant!.Code }).ToListAsync(ct);
            foreach (var p in products) keys.Add(StoreInteractions.ItemKey(p.Code, p.ExternalId));
        }
        return keys;
    }

    private static JsonElement? Property(JsonElement item, string name)
    {
        foreach (var p in item.EnumerateObject())
            if (string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase)) return p.Value;
        return null;
    }
}
