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

        var context = await portal.Browser.NewContextAsync(new() { ViewportSize = new() { Width = 1440, Height = 1000 }, Locale = "en-GB" });
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
    public async Task Pages_render_with_data(string culture, string path, string name)
    {
        var page = await portal.Browser.NewPageAsync(new() { ViewportSize = new() { Width = 1440, Height = 1000 } });
        await page.GotoAsync($"{portal.BaseUrl}/culture/set?culture={culture}&redirectUri={Uri.EscapeDataString(path)}");
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
        // Blazor's circuit is up when the reconnect UI exists and no error banner is shown.
        await Assertions.Expect(page.Locator("#blazor-error-ui")).ToBeHiddenAsync();
        var probe = name switch
        {
            "dashboard" => "[data-testid=metrics-table]",
            "models" => "[data-testid=run-row]",
            "products" => "[data-testid=products-grid] tbody tr",
            _ => "tr.import-row",
        };
        await Assertions.Expect(page.Locator(probe).First).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await page.ScreenshotAsync(new() { Path = Path.Combine(portal.ScreenshotDirectory, $"{name}-{culture}.png"), FullPage = true });
        await page.Context.CloseAsync();
    }

    [Theory]
    [InlineData("/products/abc")]
    [InlineData("/no-such-page")]
    public async Task Unknown_addresses_show_the_portal_not_found_page(string path)
    {
        var page = await portal.Browser.NewPageAsync();
        var response = await page.GotoAsync(portal.BaseUrl + path);
        Assert.Equal(404, response!.Status);
        await Assertions.Expect(page.Locator("[data-testid=not-found]")).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await Assertions.Expect(page.Locator("[data-testid=nav-menu]")).ToBeVisibleAsync();
        await page.Context.CloseAsync();
    }
}
