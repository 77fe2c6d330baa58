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
        await using (var db = portal.CreateContext())
        {
            // The customer with the most purchases in the slice: a real history on the left side.
            var top = await db.Events.Where(e => e.Type == EventType.Purchase)
                .GroupBy(e => e.CustomerId).OrderByDescending(g => g.Count()).ThenBy(g => g.Key)
                .Select(g => g.Key).FirstAsync();
            customerId = top;
            externalId = await db.Customers.Where(c => c.Id == top).Select(c => c.ExternalId).SingleAsync();
        }

        var page = await portal.Browser.NewPageAsync(new() { ViewportSize = new() { Width = 1440, Height = 1000 }, Locale = "en-GB" });
        await page.GotoAsync($"{portal.BaseUrl}/preview/{customerId}");
        var items = page.Locator("[data-testid=push-list] [data-testid=push-item]");
        await Assertions.Expect(items).ToHaveCountAsync(20, new() { Timeout = 30_000 });
        await Assertions.Expect(page.Locator("[data-testid=history-item]").First).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Combobox).First).ToHaveValueAsync(new System.Text.RegularExpressions.Regex(externalId));
        // Every item carries a reason.
        var reasons = await page.Locator("[data-testid=push-item] [data-testid=push-reason]").AllInnerTextsAsync();
        Assert.Equal(20, reasons.Count);
        Assert.All(reasons, r => Assert.False(string.IsNullOrWhiteSpace(r)));
        await page.ScreenshotAsync(new() { Path = Path.Combine(portal.ScreenshotDirectory, "preview-en.png"), FullPage = true });

        await page.Locator("[data-testid=language-switch]").ClickAsync();
        await page.Locator("[data-testid=lang-zh-CN]").ClickAsync();
        await Assertions.Expect(page.Locator("h4", new() { HasTextString = "推荐预览" })).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await Assertions.Expect(items).ToHaveCountAsync(20, new() { Timeout = 30_000 });
        await page.ScreenshotAsync(new() { Path = Path.Combine(portal.ScreenshotDirectory, "preview-zh-CN.png"), FullPage = true });

        // The choice is remembered by the browser: a new page of the same context stays in Chinese.
        var again = await page.Context.NewPageAsync();
        await again.GotoAsync($"{portal.BaseUrl}/preview");
        await Assertions.Expect(again.Locator("h4", new() { HasTextString = "推荐预览" })).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await page.Context.CloseAsync();
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
}
