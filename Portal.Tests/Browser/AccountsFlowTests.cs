using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;

namespace Portal.Tests.Browser;

/// <summary>
/// Accounts in a real browser against the real server: the login page in both languages, a wrong password, a merchant
/// whose menu has no staff pages, and an admin whose audited change (a topic rename on the Tiers page) shows in the
/// audit log with its before and after. Screenshots: login-en.png, login-zh-CN.png, audit-log-en.png.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class AccountsFlowTests(PortalServerFixture portal)
{
    [Theory]
    [InlineData("en", "Sign in", "Wrong e-mail or password.")]
    [InlineData("zh-CN", "登录", "邮箱或密码错误。")]
    public async Task Login_page_in_both_languages_refuses_a_wrong_password(string culture, string title, string error)
    {
        var page = await portal.Browser.NewPageAsync(new() { ViewportSize = new() { Width = 1280, Height = 800 } });
        var response = await page.GotoAsync($"{portal.BaseUrl}/models");
        Assert.Contains("/Account/Login?ReturnUrl=%2Fmodels", page.Url);
        Assert.Equal(200, response!.Status);
        await page.GotoAsync($"{portal.BaseUrl}/culture/set?culture={culture}&redirectUri={Uri.EscapeDataString("/Account/Login?ReturnUrl=%2Fmodels")}");
        await Assertions.Expect(page.Locator("[data-testid=login-page] h5")).ToHaveTextAsync(title);
        await page.ScreenshotAsync(new() { Path = Path.Combine(portal.ScreenshotDirectory, $"login-{culture}.png") });
        await page.FillAsync("#login-email", "operations@portal.local");
        await page.FillAsync("#login-password", "not-the-password");
        await page.ClickAsync("[data-testid=login-submit]");
        await Assertions.Expect(page.Locator("[data-testid=login-error]")).ToHaveTextAsync(error);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_merchant_sees_only_the_pages_of_its_role_and_its_name_in_the_app_bar()
    {
        var state = await portal.SignInStateAsync("merchant-b@portal.local");
        var context = await portal.Browser.NewContextAsync(new() { StorageState = state, ViewportSize = new() { Width = 1280, Height = 800 } });
        var page = await context.NewPageAsync();
        await page.GotoAsync($"{portal.BaseUrl}/culture/set?culture=en&redirectUri=%2F");
        await Assertions.Expect(page.Locator("[data-testid=user-name]")).ToHaveTextAsync("merchant-b@portal.local");
        await Assertions.Expect(page.Locator("[data-testid=user-role]")).ToHaveTextAsync("Merchant");
        var nav = page.Locator("[data-testid=nav-menu]");
        await Assertions.Expect(nav).ToContainTextAsync("Catalogue");
        foreach (var staff in new[] { "Models", "Imports", "System health", "Audit log" })
            await Assertions.Expect(nav).Not.ToContainTextAsync(staff);
        await Assertions.Expect(page.Locator("[data-testid=jobs-link]")).ToHaveCountAsync(0);
        // Merchant isolation inside the interactive circuit (the grids load their rows over the circuit, not in the
        // prerendered HTML): merchant-b's catalogue holds only its own product, never the UCI shop's.
        var teapot = "Northwind Teapot " + Guid.NewGuid().ToString("n")[..6];
        string uciProduct;
        await using (var db = portal.CreateContext())
        {
            var merchantB = await db.Merchants.SingleAsync(m => m.Code == "merchant-b");
            db.Products.Add(new Portal.Core.Catalog.Product { MerchantId = merchantB.Id, ExternalId = "NW-" + Guid.NewGuid().ToString("n")[..8], Name = teapot, FirstSeen = DateTime.UtcNow });
            await db.SaveChangesAsync();
            uciProduct = await db.Products.Where(p => p.MerchantId != merchantB.Id).OrderBy(p => p.Name).Select(p => p.Name).FirstAsync();
        }
        await page.GotoAsync($"{portal.BaseUrl}/products");
        var grid = page.Locator("[data-testid=products-grid]");
        await Assertions.Expect(grid).ToContainTextAsync(teapot, new() { Timeout = 30_000 });
        await Assertions.Expect(grid).Not.ToContainTextAsync(uciProduct);
        // A staff page by its address: 403 with the access-denied text.
        var denied = await page.GotoAsync($"{portal.BaseUrl}/imports");
        Assert.Equal(403, denied!.Status);
        await Assertions.Expect(page.Locator("[data-testid=access-denied]")).ToBeVisibleAsync();
        await context.CloseAsync();
    }

    [Fact]
    public async Task An_admins_topic_rename_is_in_the_audit_log_with_before_and_after()
    {
        // Topics exist once the first tiers run has finished.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            await using (var db = portal.CreateContext())
                if (await db.InterestTopics.AnyAsync()) break;
            if (clock.Elapsed > TimeSpan.FromMinutes(5)) Assert.Fail("No interest topics after 5 minutes.\n" + portal.ServerLog);
            await Task.Delay(1000);
        }
        var context = await portal.NewContextAsync(new() { ViewportSize = new() { Width = 1440, Height = 1000 }, Locale = "en-GB" });
        var page = await context.NewPageAsync();
        await page.GotoAsync($"{portal.BaseUrl}/culture/set?culture=en&redirectUri=%2Ftiers");
        var topics = page.Locator("[data-testid=tier-topics]");
        await Assertions.Expect(topics.Locator("tbody tr").First).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
        var name = "Audited gifts " + Guid.NewGuid().ToString("n")[..6];
        // The page is prerendered: click until the interactive circuit answers with the name field.
        var field = topics.Locator("input").First;
        for (var i = 0; i < 30 && await field.CountAsync() == 0; i++)
        {
            await topics.Locator("button[aria-label=Rename]").First.ClickAsync();
            await Task.Delay(500);
        }
        await field.FillAsync(name);
        await field.PressAsync("Tab");
        await topics.Locator("button[aria-label=Save]").First.ClickAsync();
        await Assertions.Expect(topics).ToContainTextAsync(name, new() { Timeout = 30_000 });

        await using (var db = portal.CreateContext())
        {
            var entry = await db.AuditEntries.AsNoTracking().OrderByDescending(e => e.Id).FirstAsync(e => e.Action == "topic.rename");
            Assert.Equal("admin@portal.local", entry.UserName);
            Assert.Contains(name, entry.AfterJson);
            Assert.DoesNotContain(name, entry.BeforeJson);
        }

        await page.GotoAsync($"{portal.BaseUrl}/admin/audit");
        var grid = page.Locator("[data-testid=audit-grid]");
        var row = grid.Locator("tbody tr", new() { HasText = "topic.rename" }).First;
        await Assertions.Expect(row).ToContainTextAsync("admin@portal.local", new() { Timeout = 30_000 });
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
        var after = page.Locator("[data-testid=audit-after]").First;
        for (var i = 0; i < 30 && await after.CountAsync() == 0; i++)
        {
            await row.Locator("button").First.ClickAsync();
            await Task.Delay(500);
        }
        await Assertions.Expect(after).ToContainTextAsync(name);
        await Assertions.Expect(page.Locator("[data-testid=audit-before]").First).ToContainTextAsync("AutoName");
        await page.ScreenshotAsync(new() { Path = Path.Combine(portal.ScreenshotDirectory, "audit-log-en.png"), FullPage = true });
        await context.CloseAsync();
    }
}
