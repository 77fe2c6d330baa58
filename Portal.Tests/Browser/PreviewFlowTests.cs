using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using Portal.Core.Behavior;

namespace Portal.Tests.Browser;

/// <summary>
/// Flows in a real browser (Debian's Chromium through Playwright) against the real server, first-started on a slice
/// of the bundled UCI data. Screenshots go to artifacts/screenshots.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class PreviewFlowTests(PortalServerFixture portal)
{
    [Fact]
    public async Task Preview_shows_twenty_items_for_a_real_customer_then_switches_to_Chinese()
    {
        int customerId;
        string externalId;
        List<string> bought;
        await using (var db = portal.CreateContext())
        {
            // A customer with a real but short history (5 to 10 distinct products): the list then holds both their
            // own repeat items and items similar to them, so both reason kinds show.
            var top = await db.Events.Where(e => e.Type == EventType.Purchase)
                .GroupBy(e => e.CustomerId)
                .Where(g => g.Select(e => e.ProductId).Distinct().Count() >= 5 && g.Select(e => e.ProductId).Distinct().Count() <= 10)
                .OrderBy(g => g.Key).Select(g => g.Key).FirstAsync();
            customerId = top;
            externalId = await db.Customers.Where(c => c.Id == top).Select(c => c.ExternalId).SingleAsync();
            bought = await db.Events.Where(e => e.CustomerId == top && e.Type == EventType.Purchase).Select(e => e.Product!.Name).Distinct().ToListAsync();
        }

        var context = await portal.NewContextAsync(new() { ViewportSize = new() { Width = 1440, Height = 1000 }, Locale = "en-GB" });
        var page = await context.NewPageAsync();
        // The push pipeline (blend) is preselected when active (PushPipelineTests); this flow looks at ItemKNN's own list.
        await page.GotoAsync($"{portal.BaseUrl}/preview/{customerId}?model=itemknn");
        await Assertions.Expect(page.Locator("[data-testid=preview-model]")).ToContainTextAsync("itemknn", new() { Timeout = 30_000 });
        var items = page.Locator("[data-testid=push-list] [data-testid=push-item]");
        await Assertions.Expect(items).ToHaveCountAsync(20, new() { Timeout = 30_000 });
        await Assertions.Expect(page.Locator("[data-testid=history-item]").First).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Combobox).First).ToHaveValueAsync(new System.Text.RegularExpressions.Regex(externalId));
        // Every item carries a reason.
        var reasons = await page.Locator("[data-testid=push-item] [data-testid=push-reason]").AllInnerTextsAsync();
        Assert.Equal(20, reasons.Count);
        Assert.All(reasons, r => Assert.False(string.IsNullOrWhiteSpace(r)));
        // ItemKNN explains by the customer's past purchases: "Because you bought …" names real products of the history.
        var similar = page.Locator("[data-testid=push-reason][data-reason-kind=similar-items]");
        Assert.True(await similar.CountAsync() > 0, "no similar-items reason in the ItemKNN list");
        var firstReason = (await similar.First.InnerTextAsync()).Trim();
        Assert.StartsWith("Because you bought", firstReason);
        Assert.Contains(bought, name => firstReason.Contains(name, StringComparison.Ordinal));
        await page.ScreenshotAsync(new() { Path = Path.Combine(portal.ScreenshotDirectory, "preview-en.png"), FullPage = true });

        await page.Locator("[data-testid=language-switch]").ClickAsync();
        await page.Locator("[data-testid=lang-zh-CN]").ClickAsync();
        await Assertions.Expect(page.Locator("h4", new() { HasTextString = "推荐预览" })).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await Assertions.Expect(items).ToHaveCountAsync(20, new() { Timeout = 30_000 });
        await page.ScreenshotAsync(new() { Path = Path.Combine(portal.ScreenshotDirectory, "preview-zh-CN.png"), FullPage = true });

        // The choice is remembered by the browser: a new page of the same context stays in Chinese.
        var again = await context.NewPageAsync();
        await again.GotoAsync($"{portal.BaseUrl}/preview");
        await Assertions.Expect(again.Locator("h4", new() { HasTextString = "推荐预览" })).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await context.CloseAsync();
    }

    [Theory]
    [InlineData("en", "/", "dashboard")]
    [InlineData("zh-CN", "/", "dashboard")]
    [InlineData("en", "/models", "models")]
    [InlineData("en", "/products", "products")]
    [InlineData("en", "/imports", "imports")]
    [InlineData("en", "/trends", "trends-nav")]
    [InlineData("en", "/system", "system")]
    [InlineData("zh-CN", "/system", "system")]
    public async Task Pages_render_with_data(string culture, string path, string name)
    {
        var page = await portal.NewPageAsync(new() { ViewportSize = new() { Width = 1440, Height = 1000 } });
        await page.GotoAsync($"{portal.BaseUrl}/culture/set?culture={culture}&redirectUri={Uri.EscapeDataString(path)}");
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
        // Blazor's circuit is up when the reconnect UI exists and no error banner is shown.
        await Assertions.Expect(page.Locator("#blazor-error-ui")).ToBeHiddenAsync();
        var probe = name switch
        {
            "dashboard" => "[data-testid=metrics-table]",
            "models" => "[data-testid=run-row]",
            "products" => "[data-testid=products-grid] tbody tr",
            "trends-nav" => "[data-testid=offline-section]",
            "system" => "[data-testid=server-row]",
            _ => "tr.import-row",
        };
        await Assertions.Expect(page.Locator(probe).First).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await page.ScreenshotAsync(new() { Path = Path.Combine(portal.ScreenshotDirectory, $"{name}-{culture}.png"), FullPage = true });
        await page.Context.CloseAsync();
    }

    [Theory]
    [InlineData("en")]
    [InlineData("zh-CN")]
    public async Task Product_page_shows_text_and_behaviour_neighbours_side_by_side(string culture)
    {
        int productId;
        await using (var db = portal.CreateContext())
            productId = await db.Products.Where(p => p.Name == "LUNCH BAG RED RETROSPOT").OrderBy(p => p.Id).Select(p => p.Id).FirstAsync();
        var page = await portal.NewPageAsync(new() { ViewportSize = new() { Width = 1440, Height = 1000 } });
        await page.GotoAsync($"{portal.BaseUrl}/culture/set?culture={culture}&redirectUri={Uri.EscapeDataString($"/products/{productId}")}");
        await Assertions.Expect(page.Locator("[data-testid=similar-text] [data-testid=similar-row]")).ToHaveCountAsync(10, new() { Timeout = 30_000 });
        await Assertions.Expect(page.Locator("[data-testid=similar-behaviour] [data-testid=similar-row]")).ToHaveCountAsync(10);
        // Text neighbours of a lunch bag are mostly lunch bags, with the shared tokens shown.
        var textNames = await page.Locator("[data-testid=similar-text] [data-testid=similar-row] td:first-child").AllInnerTextsAsync();
        Assert.True(textNames.Count(n => n.Contains("LUNCH BAG", StringComparison.Ordinal)) >= 6, string.Join(" | ", textNames));
        await Assertions.Expect(page.Locator("[data-testid=similar-text] .mud-chip", new() { HasTextString = "lunch" }).First).ToBeVisibleAsync();
        await page.ScreenshotAsync(new() { Path = Path.Combine(portal.ScreenshotDirectory, $"product-similar-{culture}.png"), FullPage = true });
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Models_page_shows_the_worker_and_a_runs_search_trials()
    {
        var page = await portal.NewPageAsync(new() { ViewportSize = new() { Width = 1440, Height = 1000 } });
        await page.GotoAsync($"{portal.BaseUrl}/culture/set?culture=en&redirectUri={Uri.EscapeDataString("/models")}");
        // The embedded default process serves the gpu queue and reports its heartbeat on the CPU.
        await Assertions.Expect(page.Locator("[data-testid=worker]")).ToHaveCountAsync(1, new() { Timeout = 30_000 });
        await Assertions.Expect(page.Locator("[data-testid=worker-device]")).ToHaveTextAsync("CPU");
        var itemknn = page.Locator("[data-testid=run-row]", new() { HasTextString = "itemknn" });
        // The prerendered page is not interactive until the circuit is up: click until the trials open.
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
        for (var i = 0; i < 20 && await page.Locator("[data-testid=trials-table]").CountAsync() == 0; i++)
        {
            await itemknn.Locator("[data-testid=trials-toggle]").ClickAsync();
            await page.WaitForTimeoutAsync(500);
        }
        await Assertions.Expect(page.Locator("[data-testid=trials-table] [data-testid=chosen-all]")).ToHaveCountAsync(1);
        Assert.True(await page.Locator("[data-testid=trials-table] [data-testid=trial]").CountAsync() > 1);
        await page.ScreenshotAsync(new() { Path = Path.Combine(portal.ScreenshotDirectory, "models-trials-en.png"), FullPage = true });
        await page.Context.CloseAsync();
    }

    [Theory]
    [InlineData("en", "replayed, not online CTR")]
    [InlineData("zh-CN", "回放结果，非线上 CTR")]
    public async Task Trends_page_shows_replayed_weeks_of_the_first_start_backtest(string culture, string label)
    {
        // The first start queued a backtest after the import; wait for it (the slice covers about 12 weeks).
        await WaitForBacktestAsync();
        var page = await portal.NewPageAsync(new() { ViewportSize = new() { Width = 1440, Height = 1000 } });
        await page.GotoAsync($"{portal.BaseUrl}/culture/set?culture={culture}&redirectUri={Uri.EscapeDataString("/trends")}");
        await Assertions.Expect(page.Locator("[data-testid=replayed-label]")).ToHaveTextAsync(label, new() { Timeout = 30_000 });
        await Assertions.Expect(page.Locator("[data-testid=chart-replayed-ctr] path.mud-chart-line")).ToHaveCountAsync(4);
        await Assertions.Expect(page.Locator("[data-testid=chart-replayed-recall] path.mud-chart-line")).ToHaveCountAsync(4);
        Assert.True(await page.Locator("[data-testid=chart-offline] path.mud-chart-line").CountAsync() >= 2);
        await page.ScreenshotAsync(new() { Path = Path.Combine(portal.ScreenshotDirectory, $"trends-{culture}.png"), FullPage = true });
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Replayed_figures_export_as_csv_and_bad_dates_are_refused()
    {
        await WaitForBacktestAsync();
        using var http = await portal.AdminHttpClientAsync();
        var csv = await http.GetStringAsync("/api/trends/replayed.csv?models=repeat");
        var lines = csv.Trim().Split('\n');
        Assert.Equal("model,week_start,replayed_ctr,recall_at_k,pushes,replayed_clicks,buyers,pushed_customers,train_events", lines[0].Trim('\uFEFF', '\r'));
        Assert.Equal(10, lines.Length - 1);
        Assert.All(lines.Skip(1), l => Assert.StartsWith("repeat,", l));
        var bad = await http.GetAsync("/api/trends/replayed.csv?from=yesterday");
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("'from'", await bad.Content.ReadAsStringAsync());
    }

    private async Task WaitForBacktestAsync()
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        while (sw.Elapsed < TimeSpan.FromMinutes(5))
        {
            await using var db = portal.CreateContext();
            var run = await db.BacktestRuns.AsNoTracking().OrderByDescending(r => r.Id).FirstOrDefaultAsync();
            if (run?.Status == Portal.Core.Backtest.BacktestStatus.Failed) Assert.Fail("The first-start backtest failed: " + run.Message);
            if (run?.Status == Portal.Core.Backtest.BacktestStatus.Succeeded) return;
            await Task.Delay(1000);
        }
        Assert.Fail("The first-start backtest did not finish in 5 minutes.\n" + portal.ServerLog);
    }

    [Theory]
    [InlineData("/products/abc")]
    [InlineData("/no-such-page")]
    public async Task Unknown_addresses_show_the_portal_not_found_page(string path)
    {
        var page = await portal.NewPageAsync();
        var response = await page.GotoAsync(portal.BaseUrl + path);
        Assert.Equal(404, response!.Status);
        await Assertions.Expect(page.Locator("[data-testid=not-found]")).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await Assertions.Expect(page.Locator("[data-testid=nav-menu]")).ToBeVisibleAsync();
        await page.Context.CloseAsync();
    }
}
