using System.Net;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Portal.Core.Access;
using Portal.Core.Behavior;
using Portal.Core.Campaigns;
using Portal.Core.Catalog;
using Portal.Core.Customers;
using Portal.Core.Data;
using Portal.Core.Tiers;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Access;

/// <summary>
/// The real Portal.Server process (its build output, Development, fresh data folder, no first-start import) with the
/// seeded accounts (every password <see cref="PortalLogin.TestPassword"/>) and a small catalogue for two merchants
/// written straight into its SQLite database: merchant "default" owns Alpha Mug and Alpha Lamp, merchant-b owns
/// Northwind Teapot; CUST-A bought only from default, CUST-B only from merchant-b, CUST-S from both; one campaign
/// per merchant; one tiers run over the three customers.
/// </summary>
public sealed class AccessServerFixture : IAsyncLifetime
{
    private PortalProcess? _server;

    /// <summary>Base address (<c>http://127.0.0.1:PORT</c>).</summary>
    public string BaseUrl { get; private set; } = "";
    /// <summary>The server's data folder.</summary>
    public string DataDirectory { get; } = Path.Combine(Path.GetTempPath(), "portal-access-tests", Guid.NewGuid().ToString("n"));
    /// <summary>What the server printed.</summary>
    public string ServerLog => _server?.Log ?? "";

    /// <summary>Merchant ids.</summary>
    public int MerchantA { get; private set; }
    /// <summary>The second merchant (merchant-b).</summary>
    public int MerchantB { get; private set; }
    /// <summary>Products: default's Alpha Mug.</summary>
    public int ProductA1 { get; private set; }
    /// <summary>default's Alpha Lamp.</summary>
    public int ProductA2 { get; private set; }
    /// <summary>merchant-b's Northwind Teapot.</summary>
    public int ProductB1 { get; private set; }
    /// <summary>Customer with events on default's products only.</summary>
    public int CustomerA { get; private set; }
    /// <summary>Customer with events on merchant-b's products only.</summary>
    public int CustomerB { get; private set; }
    /// <summary>Customer with events on both merchants' products.</summary>
    public int CustomerShared { get; private set; }

    /// <summary>A context on the server's database (unrestricted: no <see cref="PortalScope"/>).</summary>
    public PortalDbContext CreateContext() => new SqlitePortalDbContext(new DbContextOptionsBuilder<SqlitePortalDbContext>()
        .UseSqlite($"Data Source={Path.Combine(DataDirectory, "portal.db")};Pooling=False").Options);

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(DataDirectory);
        BaseUrl = $"http://127.0.0.1:{PortalProcess.FreePort()}";
        _server = PortalProcess.Start(["--urls", BaseUrl], new Dictionary<string, string>
        {
            ["DataDirectory"] = DataDirectory,
            ["Bootstrap__Enabled"] = "false",
            ["Seed__Password"] = PortalLogin.TestPassword,
            ["Jobs__WorkerCount"] = "1",
        });
        await PortalProcess.WaitForAsync(async () =>
        {
            using var http = new HttpClient();
            try { return (await http.GetAsync(BaseUrl + "/health/live")).IsSuccessStatusCode; } catch (HttpRequestException) { return false; }
        }, TimeSpan.FromMinutes(2), "the access test server to answer", _server);
        await PortalProcess.WaitForAsync(async () =>
        {
            await using var db = CreateContext();
            return await db.Users.CountAsync() >= 5;
        }, TimeSpan.FromMinutes(1), "the seeded accounts", _server);
        await SeedCatalogueAsync();
    }

    private async Task SeedCatalogueAsync()
    {
        await using var db = CreateContext();
        var merchants = await db.Merchants.ToDictionaryAsync(m => m.Code, m => m);
        var a = merchants[Merchant.DefaultCode];
        var b = merchants["merchant-b"];
        MerchantA = a.Id;
        MerchantB = b.Id;
        var day = new DateTime(2011, 3, 1, 10, 0, 0, DateTimeKind.Utc);
        var a1 = new Product { MerchantId = a.Id, ExternalId = "A1", Name = "Alpha Mug", Price = 3.5m, FirstSeen = day };
        var a2 = new Product { MerchantId = a.Id, ExternalId = "A2", Name = "Alpha Lamp", Price = 12m, FirstSeen = day };
        var b1 = new Product { MerchantId = b.Id, ExternalId = "B1", Name = "Northwind Teapot", Price = 20m, FirstSeen = day };
        var ca = new Customer { ExternalId = "CUST-A", Country = "United Kingdom", FirstSeen = day };
        var cb = new Customer { ExternalId = "CUST-B", Country = "Germany", FirstSeen = day };
        var cs = new Customer { ExternalId = "CUST-S", Country = "France", FirstSeen = day };
        db.AddRange(a1, a2, b1, ca, cb, cs);
        await db.SaveChangesAsync();
        var n = 0;
        BehaviorEvent Buy(Customer c, Product p, int days) => new()
        {
            CustomerId = c.Id, ProductId = p.Id, Timestamp = day.AddDays(days), Type = EventType.Purchase, Quantity = 1,
            Price = p.Price, SessionId = $"order-{++n}", DedupKey = $"access-test-{n}",
        };
        db.Events.AddRange(Buy(ca, a1, 1), Buy(ca, a2, 2), Buy(cb, b1, 3), Buy(cs, a2, 4), Buy(cs, b1, 5));
        db.Campaigns.AddRange(
            new Campaign { MerchantId = a.Id, Name = "Alpha Spring", CreatedByUserId = "test", CreatedAt = day, UpdatedAt = day },
            new Campaign { MerchantId = b.Id, Name = "Northwind Winter", CreatedByUserId = "test", CreatedAt = day, UpdatedAt = day });
        var run = new SegmentationRun { Trigger = "test", Status = SegmentationStatus.Succeeded, StartedAt = day, FinishedAt = day, AsOf = day.AddDays(6), Customers = 3 };
        db.SegmentationRuns.Add(run);
        await db.SaveChangesAsync();
        foreach (var c in new[] { ca, cb, cs })
            db.CustomerTiers.Add(new CustomerTier { SegmentationRunId = run.Id, CustomerId = c.Id, Lifecycle = "active", Segment = "champions", R = 5, F = 5, M = 5, Frequency = 2, Monetary = 10 });
        await db.SaveChangesAsync();
        (ProductA1, ProductA2, ProductB1) = (a1.Id, a2.Id, b1.Id);
        (CustomerA, CustomerB, CustomerShared) = (ca.Id, cb.Id, cs.Id);
    }

    /// <summary>Adds an account straight to the database (Identity's own password hasher), for tests that must not disturb the seeded ones.</summary>
    /// <param name="email">Login name.</param>
    /// <param name="role">Role.</param>
    /// <param name="password">Password.</param>
    public async Task AddAccountAsync(string email, string role, string password)
    {
        await using var db = CreateContext();
        var user = new PortalUser
        {
            UserName = email, NormalizedUserName = email.ToUpperInvariant(), Email = email, NormalizedEmail = email.ToUpperInvariant(),
            EmailConfirmed = true, LockoutEnabled = true, SecurityStamp = Guid.NewGuid().ToString("N"), ConcurrencyStamp = Guid.NewGuid().ToString(),
        };
        user.PasswordHash = new PasswordHasher<PortalUser>().HashPassword(user, password);
        db.Users.Add(user);
        var roleId = await db.Roles.Where(r => r.Name == role).Select(r => r.Id).SingleAsync();
        db.UserRoles.Add(new IdentityUserRole<string> { UserId = user.Id, RoleId = roleId });
        await db.SaveChangesAsync();
    }

    /// <summary>A signed-in client per seeded account, made once (keyed by e-mail; null key = anonymous).</summary>
    public async Task<HttpClient> ClientAsync(string? email)
    {
        if (email is null) return PortalLogin.Anonymous(BaseUrl);
        await _gate.WaitAsync();
        try
        {
            if (!_clients.TryGetValue(email, out var client))
                _clients[email] = client = await PortalLogin.SignInAsync(BaseUrl, email);
            return client;
        }
        finally { _gate.Release(); }
    }

    private readonly Dictionary<string, HttpClient> _clients = [];
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        foreach (var c in _clients.Values) c.Dispose();
        if (_server is not null) await _server.DisposeAsync();
        try { Directory.Delete(DataDirectory, recursive: true); } catch (IOException) { }
    }
}

/// <summary>Tests that share the access test server.</summary>
[CollectionDefinition(Name)]
public sealed class AccessCollection : ICollectionFixture<AccessServerFixture>
{
    /// <summary>The collection's name.</summary>
    public const string Name = "access";
}
