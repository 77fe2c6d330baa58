using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using Portal.Core.Data;
using Portal.Core.PushBatches;
using Portal.Tests.Batches;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Browser;

/// <summary>
/// The real server (its own data folder, first-started on the UCI slice with popularity only: the batches need real
/// customers and products, not trained models) and a real local webhook receiver that the default merchant's pushes go
/// to. Runs alone (its own collection, not in parallel with the shared browser fixture).
/// </summary>
public sealed class BatchesServerFixture : IAsyncLifetime
{
    private PortalProcess? _server;
    private IPlaywright? _playwright;

    /// <summary>Base address of the server.</summary>
    public string BaseUrl { get; private set; } = "";
    /// <summary>Headless Chromium.</summary>
    public IBrowser Browser { get; private set; } = null!;
    /// <summary>The webhook receiver.</summary>
    public WebhookReceiver Receiver { get; private set; } = null!;
    /// <summary>The server's data folder.</summary>
    public string DataDirectory { get; } = Path.Combine(Path.GetTempPath(), "portal-batches-browser", Guid.NewGuid().ToString("n"));
    /// <summary>artifacts/screenshots.</summary>
    public string ScreenshotDirectory { get; } = Path.Combine(PortalServerFixture.RepositoryRoot, "artifacts", "screenshots");
    /// <summary>Contexts on the server's database.</summary>
    public IDbContextFactory<PortalDbContext> Contexts { get; }

    /// <summary>Creates the fixture (nothing starts before <see cref="InitializeAsync"/>).</summary>
    public BatchesServerFixture() => Contexts = new Factory(Path.Combine(DataDirectory, "portal.db"));

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(DataDirectory);
        Directory.CreateDirectory(ScreenshotDirectory);
        Receiver = await WebhookReceiver.StartAsync();
        var slice = Path.Combine(DataDirectory, "online_retail_slice.csv.gz");
        PortalServerFixture.WriteSlice(Path.Combine(PortalServerFixture.RepositoryRoot, "data", "online_retail.csv.gz"), slice, PortalServerFixture.SliceRows);
        BaseUrl = $"http://127.0.0.1:{PortalProcess.FreePort()}";
        _server = PortalProcess.Start(["--urls", BaseUrl], new Dictionary<string, string>
        {
            ["DataDirectory"] = DataDirectory,
            ["Bootstrap__DataFile"] = slice,
            ["Bootstrap__Models"] = "popularity",
            ["Delivery__PushesPerSecond"] = "10",
            ["Seed__Password"] = PortalLogin.TestPassword,
        });
        await PortalProcess.WaitForAsync(async () =>
        {
            using var http = new HttpClient();
            try { return (await http.GetAsync(BaseUrl + "/")).IsSuccessStatusCode; } catch (HttpRequestException) { return false; }
        }, TimeSpan.FromMinutes(2), "the server to answer", _server);
        await PortalProcess.WaitForAsync(async () =>
        {
            await using var db = await Contexts.CreateDbContextAsync();
            return await db.ImportRuns.AnyAsync(r => r.Status == Portal.Core.Data.Import.ImportStatus.Succeeded);
        }, TimeSpan.FromMinutes(10), "the first start to import the slice", _server);
        await using (var db = await Contexts.CreateDbContextAsync())
        {
            var merchant = await BatchSeed.DefaultMerchantAsync(db);
            merchant.WebhookUrl = Receiver.Url;
            merchant.WebhookSecret = Receiver.Secret;
            await db.SaveChangesAsync();
        }
        _playwright = await Playwright.CreateAsync();
        Browser = await PortalLogin.LaunchChromiumAsync(_playwright);
        OperationsState = await PortalLogin.SignInStateAsync(Browser, BaseUrl, "operations@portal.local");
    }

    /// <summary>The browser storage state of the signed-in operations user (the approver).</summary>
    public string OperationsState { get; private set; } = "";

    /// <summary>What the server printed.</summary>
    public string ServerLog => _server?.Log ?? "";

    /// <summary>The server process (for waits that must fail when it dies).</summary>
    public PortalProcess Server => _server!;

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.CloseAsync();
        _playwright?.Dispose();
        if (_server is not null) await _server.DisposeAsync();
        if (Receiver is not null) await Receiver.DisposeAsync();
        try { Directory.Delete(DataDirectory, recursive: true); } catch (IOException) { }
    }

    private sealed class Factory(string file) : IDbContextFactory<PortalDbContext>
    {
        public PortalDbContext CreateDbContext() => new SqlitePortalDbContext(new DbContextOptionsBuilder<SqlitePortalDbContext>()
            .UseSqlite($"Data Source={file};Pooling=False").Options);
    }
}

/// <summary>The batches browser test runs alone.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class BatchesBrowserCollection : ICollectionFixture<BatchesServerFixture>
{
    /// <summary>The collection's name.</summary>
    public const string Name = "batches-browser";
}

/// <summary>
/// An operations user approves pending batches on the Operations page (English, then Chinese, the second batch beside
/// the first as its campaign's previous batch); the server's delivery job sends every push to the webhook receiver
/// (signed, one request per push), and the detail page shows the batch Sent with its history. Screenshots:
/// batches-queue-en.png, batch-detail-en.png, batches-queue-zh-CN.png, batch-detail-zh-CN.png.
/// </summary>
[Collection(BatchesBrowserCollection.Name)]
public sealed class BatchesFlowTests(BatchesServerFixture portal)
{
    [Fact]
    public async Task An_operations_user_approves_a_batch_and_the_webhook_receives_its_pushes()
    {
        const int pushes = 20;
        var first = await BatchSeed.CreateBatchAsync(portal.Contexts, PushBatchStatus.PendingApproval, pushes, campaign: "Christmas lights",
            scheduledFor: new DateTime(2026, 12, 1, 9, 0, 0, DateTimeKind.Utc));
        var page = await portal.Browser.NewPageAsync(new() { ViewportSize = new() { Width = 1440, Height = 1000 }, StorageState = portal.OperationsState });
        await ApproveAsync(page, "en", first);
        Assert.Equal(pushes, portal.Receiver.AcceptedKeys.Count);
        await DetailAsync(page, first, pushes, "batch-detail-en.png", "Sent");

        // A week later the same campaign's next batch, smaller: the queue shows it beside the first one.
        var second = await BatchSeed.CreateBatchAsync(portal.Contexts, PushBatchStatus.PendingApproval, pushes - 6, campaign: "Christmas lights",
            scheduledFor: new DateTime(2026, 12, 8, 9, 0, 0, DateTimeKind.Utc));
        await ApproveAsync(page, "zh-CN", second);
        await DetailAsync(page, second, pushes - 6, "batch-detail-zh-CN.png", "已发送");

        // Where the pushes went: the merchant's webhook, its secret only masked.
        await page.GotoAsync($"{portal.BaseUrl}/culture/set?culture=en&redirectUri={Uri.EscapeDataString("/delivery")}");
        var row = page.Locator("[data-testid=webhook-row][data-merchant=default]");
        await Assertions.Expect(row).ToContainTextAsync(portal.Receiver.Url);
        await Assertions.Expect(row.Locator("[data-testid=masked-secret]")).ToHaveTextAsync("••••" + portal.Receiver.Secret[^4..]);
        Assert.DoesNotContain(portal.Receiver.Secret, await page.ContentAsync());
        await page.ScreenshotAsync(new() { Path = Path.Combine(portal.ScreenshotDirectory, "delivery-settings-en.png"), FullPage = true });

        var requests = portal.Receiver.Requests.ToList();
        Assert.Equal(2 * pushes - 6, portal.Receiver.AcceptedKeys.Count);
        Assert.Equal(2 * pushes - 6, requests.Count);
        Assert.All(requests, r => Assert.True(r.SignatureValid));
        await using var db = await portal.Contexts.CreateDbContextAsync();
        Assert.Equal(2, await db.PushBatches.CountAsync(b => b.Status == PushBatchStatus.Sent));
        Assert.Equal(["batch.approve", "batch.send", "batch.sent"],
            await db.AuditEntries.Where(e => e.EntityId == second.ToString()).OrderBy(e => e.Id).Select(e => e.Action).ToListAsync());
    }

    private async Task ApproveAsync(IPage page, string culture, int batchId)
    {
        await page.GotoAsync($"{portal.BaseUrl}/culture/set?culture={culture}&redirectUri={Uri.EscapeDataString("/batches")}");
        var card = page.Locator($"[data-testid=pending-batch][data-batch='{batchId}']");
        await Assertions.Expect(card).ToBeVisibleAsync(new() { Timeout = 60_000 });
        if (culture == "zh-CN")
        {
            await Assertions.Expect(page.Locator("[data-testid=pending-heading]")).ToContainTextAsync("待审批");
            await Assertions.Expect(card.Locator("[data-testid=previous-header]")).ToBeVisibleAsync();
        }
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
        await page.ScreenshotAsync(new() { Path = Path.Combine(portal.ScreenshotDirectory, $"batches-queue-{culture}.png"), FullPage = true });
        // The prerendered button does nothing until the circuit is interactive: click until the batch leaves the queue.
        await PortalProcess.WaitForAsync(async () =>
        {
            try
            {
                if (await card.CountAsync() > 0) await card.Locator("[data-testid=batch-approve]").ClickAsync(new() { Timeout = 5_000 });
            }
            catch (TimeoutException)
            {
                // The card left the queue between the count and the click.
            }
            await page.WaitForTimeoutAsync(700);
            await using var db = await portal.Contexts.CreateDbContextAsync();
            return (await db.PushBatches.SingleAsync(b => b.Id == batchId)).Status != PushBatchStatus.PendingApproval;
        }, TimeSpan.FromSeconds(60), $"batch {batchId} to be approved in the browser", portal.Server);
        await PortalProcess.WaitForAsync(async () =>
        {
            await using var db = await portal.Contexts.CreateDbContextAsync();
            return (await db.PushBatches.SingleAsync(b => b.Id == batchId)).Status == PushBatchStatus.Sent;
        }, TimeSpan.FromMinutes(2), $"the delivery job to send batch {batchId}", portal.Server);
    }

    private async Task DetailAsync(IPage page, int batchId, int pushes, string screenshot, string sentLabel)
    {
        await page.GotoAsync($"{portal.BaseUrl}/batches/{batchId}");
        await Assertions.Expect(page.Locator("[data-testid=count-delivered]")).ToHaveTextAsync(pushes.ToString(), new() { Timeout = 30_000 });
        await Assertions.Expect(page.Locator("[data-testid=batch-status]").First).ToContainTextAsync(sentLabel);
        await Assertions.Expect(page.Locator("[data-testid=history-entry]")).ToHaveCountAsync(3);
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
        await page.ScreenshotAsync(new() { Path = Path.Combine(portal.ScreenshotDirectory, screenshot), FullPage = true });
    }
}
