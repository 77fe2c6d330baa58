using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Portal.Core.Catalog;
using Portal.Core.Campaigns;
using Portal.Core.Customers;
using Portal.Core.Data;
using Portal.Core.PushBatches;

namespace Portal.Tests.Batches;

/// <summary>
/// Creates campaigns, push batches and their pushes directly in the database (engineer C's builder makes them in the
/// product), over the customers and products already stored (the UCI import of the test or the browser fixture).
/// On an empty database it first stores a few real rows of the UCI file's first invoice (customer 17850, invoice
/// 536365) and the next customers' ids, so that pushes always point at real ids.
/// </summary>
public static class BatchSeed
{
    /// <summary>User id of the merchant user who "created" seeded batches (the approver must differ).</summary>
    public const string MerchantUserId = "merchant-user-1";

    private static readonly (string Id, string Name, decimal Price)[] FirstInvoice =
    [
        ("85123A", "WHITE HANGING HEART T-LIGHT HOLDER", 2.55m), ("71053", "WHITE METAL LANTERN", 3.39m),
        ("84406B", "CREAM CUPID HEARTS COAT HANGER", 2.75m), ("84029G", "KNITTED UNION FLAG HOT WATER BOTTLE", 3.39m),
        ("84029E", "RED WOOLLY HOTTIE WHITE HEART.", 3.39m), ("22752", "SET 7 BABUSHKA NESTING BOXES", 7.65m),
        ("21730", "GLASS STAR FROSTED T-LIGHT HOLDER", 4.25m),
    ];

    private static readonly string[] FirstCustomers = ["17850", "13047", "12583", "13748", "15100", "15291", "14688", "17809", "15311", "14527", "16098", "18074"];

    /// <summary>The default merchant (created when missing).</summary>
    /// <param name="db">The context.</param>
    public static async Task<Merchant> DefaultMerchantAsync(PortalDbContext db)
    {
        var m = await db.Merchants.SingleOrDefaultAsync(x => x.Code == Merchant.DefaultCode);
        if (m is not null) return m;
        m = new Merchant { Code = Merchant.DefaultCode, Name = "Online Retail (UCI)" };
        db.Merchants.Add(m);
        await db.SaveChangesAsync();
        return m;
    }

    /// <summary>Makes sure the database holds at least <paramref name="customers"/> customers and some products of the default merchant.</summary>
    /// <param name="db">The context.</param>
    /// <param name="customers">Customers needed.</param>
    public static async Task EnsureCatalogueAsync(PortalDbContext db, int customers)
    {
        var merchant = await DefaultMerchantAsync(db);
        if (!await db.Products.AnyAsync(p => p.MerchantId == merchant.Id))
            foreach (var (id, name, price) in FirstInvoice)
                db.Products.Add(new Product { MerchantId = merchant.Id, ExternalId = id, Name = name, Price = price, FirstSeen = new DateTime(2010, 12, 1, 8, 26, 0, DateTimeKind.Utc) });
        var have = await db.Customers.CountAsync();
        for (var i = have; i < customers; i++)
        {
            var id = i < FirstCustomers.Length ? FirstCustomers[i] : (20000 + i).ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (!await db.Customers.AnyAsync(c => c.ExternalId == id))
                db.Customers.Add(new Customer { ExternalId = id, Country = "United Kingdom", FirstSeen = new DateTime(2010, 12, 1, 8, 26, 0, DateTimeKind.Utc) });
        }
        await db.SaveChangesAsync();
    }

    /// <summary>
    /// Stores a campaign (or reuses one of that name) and a batch in <paramref name="status"/> with one push of
    /// <paramref name="itemsPerPush"/> items per customer for the first <paramref name="pushes"/> customers (by id).
    /// </summary>
    /// <param name="factory">The database.</param>
    /// <param name="status">The batch's status.</param>
    /// <param name="pushes">Pushes (customers) in the batch.</param>
    /// <param name="campaign">Campaign name.</param>
    /// <param name="scheduledFor">The occurrence (unique per campaign); null: now plus a random offset.</param>
    /// <param name="summary">Summary to store (null: one computed from the stored pushes).</param>
    /// <param name="createdBy">The creator's user id.</param>
    /// <param name="itemsPerPush">Items per push.</param>
    /// <param name="notBefore">Earliest delivery time of every push (null: now).</param>
    /// <param name="merchantId">The merchant (null: the default merchant).</param>
    /// <returns>The batch id.</returns>
    public static async Task<int> CreateBatchAsync(IDbContextFactory<PortalDbContext> factory, PushBatchStatus status, int pushes,
        string campaign = "Spring tea lights", DateTime? scheduledFor = null, PushBatchSummary? summary = null,
        string createdBy = MerchantUserId, int itemsPerPush = 3, DateTime? notBefore = null, int? merchantId = null)
    {
        await using var db = await factory.CreateDbContextAsync();
        await EnsureCatalogueAsync(db, pushes);
        var merchant = merchantId is { } mid ? await db.Merchants.SingleAsync(m => m.Id == mid) : await DefaultMerchantAsync(db);
        var c = await db.Campaigns.SingleOrDefaultAsync(x => x.MerchantId == merchant.Id && x.Name == campaign);
        if (c is null)
        {
            c = new Campaign { MerchantId = merchant.Id, Name = campaign, CreatedByUserId = createdBy, CreatedAt = DateTime.UtcNow, UpdatedAt = DateTime.UtcNow };
            db.Campaigns.Add(c);
            await db.SaveChangesAsync();
        }
        var customers = await db.Customers.OrderBy(x => x.Id).Take(pushes).ToListAsync();
        if (customers.Count < pushes) throw new InvalidOperationException($"Only {customers.Count} customers stored, {pushes} needed.");
        var products = await db.Products.Where(p => p.MerchantId == merchant.Id).OrderBy(p => p.Id).Take(200).ToListAsync();
        var batch = new PushBatch
        {
            MerchantId = merchant.Id, CampaignId = c.Id, Status = status, CreatedByUserId = createdBy, CreatedAt = DateTime.UtcNow,
            ScheduledFor = scheduledFor ?? DateTime.UtcNow.AddMinutes(Random.Shared.Next(1, 1_000_000)),
        };
        db.PushBatches.Add(batch);
        await db.SaveChangesAsync();
        var messages = new List<PushMessage>();
        for (var i = 0; i < customers.Count; i++)
        {
            var items = Enumerable.Range(0, itemsPerPush).Select(k => products[(i + k * 7) % products.Count])
                .DistinctBy(p => p.Id)
                .Select((p, r) => new { productId = p.Id, externalId = p.ExternalId, name = p.Name, score = Math.Round(0.9 - 0.1 * r, 3), reason = "Popular now" }).ToList();
            messages.Add(new PushMessage
            {
                MerchantId = merchant.Id, BatchId = batch.Id, CustomerId = customers[i].Id, ItemsJson = JsonSerializer.Serialize(items),
                ItemCount = items.Count, IdempotencyKey = $"batch-{batch.Id}-customer-{customers[i].Id}", NotBefore = notBefore ?? DateTime.UtcNow.AddSeconds(-1),
            });
        }
        db.PushMessages.AddRange(messages);
        batch.SummaryJson = JsonSerializer.Serialize(summary ?? SummaryOf(messages, customers, products));
        await db.SaveChangesAsync();
        return batch.Id;
    }

    /// <summary>A summary computed from the stored pushes (audience = pushes; coverage over the merchant's products; no CTR model).</summary>
    private static PushBatchSummary SummaryOf(List<PushMessage> messages, List<Customer> customers, List<Product> products)
    {
        var lists = messages.Select(m => JsonSerializer.Deserialize<List<JsonElement>>(m.ItemsJson)!).ToList();
        var distinct = lists.SelectMany(l => l.Select(i => i.GetProperty("productId").GetInt32())).Distinct().Count();
        return new PushBatchSummary
        {
            AudienceSize = customers.Count,
            Pushes = messages.Count,
            ItemsPushed = messages.Sum(m => m.ItemCount),
            Coverage = products.Count == 0 ? 0 : (double)distinct / products.Count,
            // No tiers were computed for the seeded customers: every push is in the "no tier" bucket.
            PushesBySegment = new Dictionary<string, int> { [Portal.Core.Tiers.SegmentationService.None] = messages.Count },
            SampleLists = lists.Take(2).Select((l, i) => new PushBatchSampleList(customers[i].ExternalId,
                l.Select(x => new PushBatchSampleItem(x.GetProperty("externalId").GetString()!, x.GetProperty("name").GetString()!,
                    x.GetProperty("score").GetDouble(), x.GetProperty("reason").GetString()!)).ToList())).ToList(),
        };
    }
}
