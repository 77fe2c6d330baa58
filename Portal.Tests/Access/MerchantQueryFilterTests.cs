using Microsoft.EntityFrameworkCore;
using Portal.Core.Access;
using Portal.Core.Audit;
using Portal.Core.Behavior;
using Portal.Core.Campaigns;
using Portal.Core.Catalog;
using Portal.Core.Customers;
using Portal.Core.Data;
using Portal.Core.Feedback;
using Portal.Core.PushBatches;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Access;

/// <summary>
/// The merchant query filters of <see cref="PortalDbContext"/> on a real SQLite database: a context made inside a
/// merchant account's <see cref="PortalScope"/> sees only that merchant's rows of every filtered entity type; staff and
/// code outside any scope see everything.
/// </summary>
public sealed class MerchantQueryFilterTests : IDisposable
{
    private readonly SqliteTestDatabase _db = new();
    private readonly int _a, _b, _productA, _productB, _customerA, _customerB, _customerShared;

    public MerchantQueryFilterTests()
    {
        using var db = _db.CreateContext();
        var a = new Merchant { Code = "default", Name = "Default" };
        var b = new Merchant { Code = "merchant-b", Name = "Northwind Gifts" };
        db.AddRange(a, b);
        db.SaveChanges();
        var day = new DateTime(2011, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        var catA = new Category { MerchantId = a.Id, Name = "Mugs", Path = "Mugs" };
        var catB = new Category { MerchantId = b.Id, Name = "Teapots", Path = "Teapots" };
        db.AddRange(catA, catB);
        db.SaveChanges();
        var pa = new Product { MerchantId = a.Id, ExternalId = "A1", Name = "Alpha Mug", CategoryId = catA.Id, FirstSeen = day };
        var pb = new Product { MerchantId = b.Id, ExternalId = "B1", Name = "Northwind Teapot", CategoryId = catB.Id, FirstSeen = day };
        var ca = new Customer { ExternalId = "CA", FirstSeen = day };
        var cb = new Customer { ExternalId = "CB", FirstSeen = day };
        var cs = new Customer { ExternalId = "CS", FirstSeen = day };
        db.AddRange(pa, pb, ca, cb, cs);
        db.SaveChanges();
        var n = 0;
        BehaviorEvent Ev(Customer c, Product p) => new() { CustomerId = c.Id, ProductId = p.Id, Timestamp = day.AddDays(++n), Type = EventType.Click, DedupKey = $"k{n}" };
        db.Events.AddRange(Ev(ca, pa), Ev(cb, pb), Ev(cs, pa), Ev(cs, pb));
        db.FeedbackEvents.AddRange(
            new FeedbackEvent { Kind = FeedbackKind.Impression, MerchantId = a.Id, ProductId = pa.Id, Timestamp = day, DedupKey = "fa", ImpressionKey = "fa" },
            new FeedbackEvent { Kind = FeedbackKind.Impression, MerchantId = b.Id, ProductId = pb.Id, Timestamp = day, DedupKey = "fb", ImpressionKey = "fb" });
        var campA = new Campaign { MerchantId = a.Id, Name = "Alpha Spring", CreatedByUserId = "u", CreatedAt = day, UpdatedAt = day };
        var campB = new Campaign { MerchantId = b.Id, Name = "Northwind Winter", CreatedByUserId = "u", CreatedAt = day, UpdatedAt = day };
        db.Campaigns.AddRange(campA, campB);
        AuditLog.Add(db, Actor.System, "campaign.create", nameof(Campaign), "1", a.Id, null, new { Name = "Alpha Spring" });
        AuditLog.Add(db, Actor.System, "campaign.create", nameof(Campaign), "2", b.Id, null, new { Name = "Northwind Winter" });
        AuditLog.Add(db, Actor.System, "model.promote", "TrainingRun", "7", null, new { V = 1 }, new { V = 2 });
        db.SaveChanges();
        (_a, _b, _productA, _productB, _customerA, _customerB, _customerShared) = (a.Id, b.Id, pa.Id, pb.Id, ca.Id, cb.Id, cs.Id);
    }

    private static Actor MerchantActor(int merchantId) =>
        new("u-" + merchantId, "m" + merchantId + "@portal.local", new HashSet<string> { PortalRoles.Merchant }, merchantId);

    private PortalDbContext ContextAs(Actor? actor)
    {
        using (PortalScope.Enter(actor)) return _db.CreateContext();
    }

    [Fact]
    public async Task A_merchant_account_sees_only_its_own_rows_of_every_filtered_type()
    {
        await using var db = ContextAs(MerchantActor(_b));
        Assert.Equal(_b, db.CurrentMerchantId);
        Assert.Equal([_b], await db.Merchants.Select(m => m.Id).ToListAsync());
        Assert.Equal(["Teapots"], await db.Categories.Select(c => c.Name).ToListAsync());
        Assert.Equal([_productB], await db.Products.Select(p => p.Id).ToListAsync());
        Assert.Equal([_customerB, _customerShared], await db.Customers.OrderBy(c => c.Id).Select(c => c.Id).ToListAsync());
        Assert.All(await db.Events.ToListAsync(), e => Assert.Equal(_productB, e.ProductId));
        Assert.Equal(2, await db.Events.CountAsync());
        Assert.Equal(["Northwind Winter"], await db.Campaigns.Select(c => c.Name).ToListAsync());
        Assert.Equal(["fb"], await db.FeedbackEvents.Select(f => f.DedupKey).ToListAsync());
        Assert.Equal(["2"], await db.AuditEntries.Select(e => e.EntityId).ToListAsync());
        // Another merchant's ids find nothing, also through Find and navigations.
        Assert.Null(await db.Products.FindAsync(_productA));
        Assert.Null(await db.Customers.FindAsync(_customerA));
        Assert.Empty(await db.Events.Where(e => e.CustomerId == _customerShared && e.ProductId == _productA).ToListAsync());
        Assert.Empty(await db.Campaigns.Where(c => c.MerchantId == _a).ToListAsync());
        Assert.Empty(await db.PushBatches.Where(x => x.MerchantId == _a).ToListAsync());
        Assert.Empty(await db.PushMessages.Where(x => x.MerchantId == _a).ToListAsync());
    }

    [Fact]
    public async Task The_other_merchant_sees_the_mirror_image()
    {
        await using var db = ContextAs(MerchantActor(_a));
        Assert.Equal([_productA], await db.Products.Select(p => p.Id).ToListAsync());
        Assert.Equal([_customerA, _customerShared], await db.Customers.OrderBy(c => c.Id).Select(c => c.Id).ToListAsync());
        Assert.Equal(["Alpha Spring"], await db.Campaigns.Select(c => c.Name).ToListAsync());
    }

    [Theory]
    [InlineData(PortalRoles.Operations)]
    [InlineData(PortalRoles.Admin)]
    public async Task Staff_and_code_outside_a_scope_see_every_merchant(string role)
    {
        foreach (var actor in new[] { new Actor("s", "staff", new HashSet<string> { role }, null), null })
        {
            await using var db = ContextAs(actor);
            Assert.Null(db.CurrentMerchantId);
            Assert.Equal(2, await db.Products.CountAsync());
            Assert.Equal(3, await db.Customers.CountAsync());
            Assert.Equal(4, await db.Events.CountAsync());
            Assert.Equal(2, await db.Campaigns.CountAsync());
            Assert.Equal(3, await db.AuditEntries.CountAsync());
        }
    }

    [Fact]
    public async Task A_merchant_account_without_a_merchant_sees_nothing()
    {
        await using var db = ContextAs(new Actor("x", "broken@portal.local", new HashSet<string> { PortalRoles.Merchant }, null));
        Assert.Equal(PortalScope.NoMerchant, db.CurrentMerchantId);
        Assert.Equal(0, await db.Products.CountAsync());
        Assert.Equal(0, await db.Customers.CountAsync());
        Assert.Equal(0, await db.Campaigns.CountAsync());
    }

    [Fact]
    public void The_scope_is_read_when_the_context_is_made_and_restored_after()
    {
        using (PortalScope.Enter(MerchantActor(_b)))
        {
            Assert.Equal(_b, PortalScope.RestrictedMerchantId);
            using (PortalScope.Enter(null)) Assert.Null(PortalScope.RestrictedMerchantId);
            Assert.Equal(_b, PortalScope.RestrictedMerchantId);
        }
        Assert.Null(PortalScope.RestrictedMerchantId);
    }

    public void Dispose() => _db.Dispose();
}
