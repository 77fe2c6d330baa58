using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Portal.Core.Access;
using Portal.Core.ApiKeys;
using Portal.Core.Data;
using Portal.Tests.Dashboards;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.ApiKeys;

/// <summary>
/// A real Portal.Server process (its build output, SQLite, Hangfire) on a fresh data folder without the first start's
/// import and training, with a small per-key rate limit (<see cref="PermitLimit"/> requests per minute), over the
/// hand-made merchants, products, customers, campaign and batch of <see cref="OnlineCtrQueriesTests.Seed"/> (feedback
/// rows removed). Keys are created with the real <see cref="ApiKeyService"/> on the server's database.
/// </summary>
public sealed class ApiServerFixture : IAsyncLifetime
{
    /// <summary>Requests per key per minute on this server.</summary>
    public const int PermitLimit = 12;

    private PortalProcess? _server;

    /// <summary>Base address of the server.</summary>
    public string BaseUrl { get; private set; } = "";

    /// <summary>The server's data folder.</summary>
    public string DataDirectory { get; } = Path.Combine(Path.GetTempPath(), "portal-api-tests", Guid.NewGuid().ToString("n"));

    /// <summary>Ids of the seeded rows.</summary>
    internal OnlineCtrQueriesTests.Seeded Ids { get; private set; } = null!;

    /// <summary>Contexts on the server's database.</summary>
    public IDbContextFactory<PortalDbContext> Contexts { get; private set; } = null!;

    /// <summary>The key store on the server's database.</summary>
    public ApiKeyService Keys { get; private set; } = null!;

    /// <summary>What the server printed (for failure messages).</summary>
    public string ServerLog => _server?.Log ?? "";

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(DataDirectory);
        var port = PortalProcess.FreePort();
        BaseUrl = $"http://127.0.0.1:{port}";
        _server = PortalProcess.Start(["--urls", BaseUrl], new Dictionary<string, string>
        {
            ["DataDirectory"] = DataDirectory,
            ["Bootstrap__Enabled"] = "false",
            ["Seed__Password"] = PortalLogin.TestPassword,
            ["ApiKeys__RateLimit__PermitLimit"] = PermitLimit.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["ApiKeys__RateLimit__WindowSeconds"] = "60",
        });
        await PortalProcess.WaitForAsync(async () =>
        {
            using var http = new HttpClient();
            try { return (await http.GetAsync(BaseUrl + "/health/ready")).IsSuccessStatusCode; } catch (HttpRequestException) { return false; }
        }, TimeSpan.FromMinutes(2), "the server to answer", _server);
        Contexts = new FileContexts($"Data Source={Path.Combine(DataDirectory, "portal.db")};Pooling=False");
        Keys = new ApiKeyService(Contexts);
        await using var db = await Contexts.CreateDbContextAsync();
        Ids = OnlineCtrQueriesTests.Seed(db);
        db.FeedbackEvents.RemoveRange(db.FeedbackEvents);
        // c1 bought P1 of shop A: a customer of shop A for the recommend endpoint, not of shop B.
        db.Events.Add(new Portal.Core.Behavior.BehaviorEvent
        {
            CustomerId = Ids.C1, ProductId = await db.Products.Where(p => p.MerchantId == Ids.ShopA && p.ExternalId == "P1").Select(p => p.Id).SingleAsync(),
            Timestamp = new DateTime(2026, 10, 1, 9, 0, 0, DateTimeKind.Utc), Type = Portal.Core.Behavior.EventType.Purchase, DedupKey = "api-test:1",
        });
        await db.SaveChangesAsync();
    }

    /// <summary>A new key of <paramref name="merchantId"/> (plain text).</summary>
    public async Task<string> NewKeyAsync(int merchantId, string name = "test") => (await Keys.CreateAsync(Actor.System, merchantId, name)).PlainTextKey;

    /// <summary>A client sending <paramref name="key"/> in X-Api-Key (none when null).</summary>
    public HttpClient Client(string? key)
    {
        var http = new HttpClient { BaseAddress = new Uri(BaseUrl) };
        if (key is not null) http.DefaultRequestHeaders.Add("X-Api-Key", key);
        return http;
    }

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        if (_server is not null) await _server.DisposeAsync();
        try { Directory.Delete(DataDirectory, recursive: true); } catch (IOException) { }
    }

    private sealed class FileContexts(string connectionString) : IDbContextFactory<PortalDbContext>
    {
        public PortalDbContext CreateDbContext() => new SqlitePortalDbContext(new DbContextOptionsBuilder<SqlitePortalDbContext>().UseSqlite(connectionString).Options);
    }
}
