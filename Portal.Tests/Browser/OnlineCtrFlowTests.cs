using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using Portal.Core.Behavior;
using Portal.Core.Data.Import;
using Portal.Tests.Ctr;

namespace Portal.Tests.Browser;

/// <summary>
/// On the real server: the Open Bandit men's random log (real impressions and clicks, no campaign) imported into its
/// database shows as online CTR on the trends page in English and Chinese, apart from the replayed figures; and a
/// merchant API key made on the API keys page (shown once) works against GET /api/recommend until it is revoked there.
/// Screenshots: trends-online-en.png, trends-online-zh-CN.png, apikeys-created-en.png, apikeys-list-zh-CN.png.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class OnlineCtrFlowTests(PortalServerFixture portal)
{
    [Fact]
    public async Task Trends_page_shows_the_online_ctr_of_the_real_click_log_in_both_languages()
    {
        // A second import of the same log adds nothing (dedup), so the order of the browser tests does not matter; the run
        // is named apart from CtrFlowTests' upload of men.csv.gz, which looks for its own row on the Imports page.
        int id;
        await using (var db = portal.CreateContext())
        {
            var run = new ImportRun { FileName = "open_bandit_random_men_log.csv.gz", StoredPath = OpenBanditData.Log("random"), Format = ImportFormat.Auto, Status = ImportStatus.Queued, RequestedBy = "online-ctr-test" };
            db.ImportRuns.Add(run);
            await db.SaveChangesAsync();
            id = run.Id;
        }
        await new ImportJob(portal.Contexts, new ImportProgressTracker(), new ImportJobOptions { BatchSize = 1_000 }).RunAsync(id, CancellationToken.None);

        var context = await portal.NewContextAsync(new() { ViewportSize = new() { Width = 1440, Height = 1000 } });
        var page = await context.NewPageAsync();
        await page.GotoAsync($"{portal.BaseUrl}/culture/set?culture=en&redirectUri={Uri.EscapeDataString("/trends")}");
        var online = page.Locator("[data-testid=online-section]");
        await Assertions.Expect(online.Locator("[data-testid=online-total-ctr]")).ToHaveTextAsync("0.46%", new() { Timeout = 30_000 });
        await Assertions.Expect(online.Locator("[data-testid=online-totals]")).ToContainTextAsync("Impressions: 10,000");
        await Assertions.Expect(online.Locator("[data-testid=online-label]")).ToHaveTextAsync("online");
        await Assertions.Expect(online.Locator("[data-testid=online-campaigns] tr[data-key=none]")).ToContainTextAsync("No campaign");
        await Assertions.Expect(online.Locator("[data-testid=online-tiers] tr[data-key=anonymous]")).ToContainTextAsync("Anonymous");
        Assert.Equal(1, await online.Locator("[data-testid=chart-online-ctr] path.mud-chart-line").CountAsync());
        // The replayed section stays separate and keeps its own label.
        Assert.Equal(0, await page.Locator("[data-testid=replayed-section] [data-testid=online-section]").CountAsync());
        // The CSV behind the chart has the same numbers.
        using (var http = await portal.AdminHttpClientAsync())
        {
            var href = await online.Locator("[data-testid=online-csv-campaign]").GetAttributeAsync("href");
            var csv = await http.GetStringAsync(href);
            Assert.Contains("none,,10000,46,0,0.0046", csv);
        }
        await page.ScreenshotAsync(new() { Path = Path.Combine(portal.ScreenshotDirectory, "trends-online-en.png"), FullPage = true });

        await page.GotoAsync($"{portal.BaseUrl}/culture/set?culture=zh-CN&redirectUri={Uri.EscapeDataString("/trends")}");
        await Assertions.Expect(online.Locator("[data-testid=online-label]")).ToHaveTextAsync("线上", new() { Timeout = 30_000 });
        await Assertions.Expect(online.Locator("[data-testid=online-campaigns]")).ToContainTextAsync("无活动");
        await Assertions.Expect(online.Locator("[data-testid=online-total-ctr]")).ToHaveTextAsync("0.46%");
        await page.ScreenshotAsync(new() { Path = Path.Combine(portal.ScreenshotDirectory, "trends-online-zh-CN.png"), FullPage = true });
        await context.CloseAsync();
    }

    [Fact]
    public async Task A_key_made_on_the_api_keys_page_is_shown_once_works_and_stops_when_revoked()
    {
        string customer;
        await using (var db = portal.CreateContext())
            customer = await db.Events.Where(e => e.Type == EventType.Purchase).OrderBy(e => e.Id).Select(e => e.Customer!.ExternalId).FirstAsync();
        var context = await portal.NewContextAsync(new() { ViewportSize = new() { Width = 1440, Height = 1000 } });
        await context.GrantPermissionsAsync(["clipboard-read", "clipboard-write"], new() { Origin = portal.BaseUrl });
        var page = await context.NewPageAsync();
        await page.GotoAsync($"{portal.BaseUrl}/culture/set?culture=en&redirectUri={Uri.EscapeDataString("/api-keys")}");
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
        // The prerendered page is not interactive until the circuit is up: click until the dialog opens.
        var name = page.Locator("[data-testid=apikey-dialog] input").First;
        for (var i = 0; i < 20 && await name.CountAsync() == 0; i++)
        {
            await page.Locator("button[data-testid=apikeys-create]").ClickAsync();
            await page.WaitForTimeoutAsync(500);
        }
        // A click that was queued before the circuit came up may have opened a second dialog: keep one.
        var cancel = page.Locator("button[data-testid=apikey-cancel]");
        await page.WaitForTimeoutAsync(1000);
        for (var open = await cancel.CountAsync(); open > 1; open--)
        {
            await cancel.Last.ClickAsync(); // the top dialog; the one below cannot be clicked through it
            await Assertions.Expect(cancel).ToHaveCountAsync(open - 1);
        }
        await name.FillAsync("browser shop backend");
        await page.Locator("button[data-testid=apikey-submit]").ClickAsync();
        var plain = page.Locator("input[data-testid=apikey-plain], [data-testid=apikey-plain] input").First;
        await Assertions.Expect(plain).ToHaveValueAsync(new System.Text.RegularExpressions.Regex("^pk_[0-9a-f]{8}_"), new() { Timeout = 30_000 });
        var key = await plain.InputValueAsync();
        await page.Locator("button[data-testid=apikey-copy]").ClickAsync();
        // The copy goes through the circuit (server round trip, then JS interop): on a loaded machine the clipboard is
        // written a moment after the click, so poll it (CI once read it empty right after the click).
        var copied = "";
        for (var i = 0; i < 50 && copied != key; i++)
        {
            copied = await page.EvaluateAsync<string>("() => navigator.clipboard.readText()");
            if (copied != key) await page.WaitForTimeoutAsync(200);
        }
        Assert.Equal(key, copied);
        await page.ScreenshotAsync(new() { Path = Path.Combine(portal.ScreenshotDirectory, "apikeys-created-en.png"), FullPage = true });
        await page.Locator("button[data-testid=apikey-done]").ClickAsync();
        var row = page.Locator("[data-testid=apikey-row]", new() { HasTextString = "browser shop backend" });
        await Assertions.Expect(row).ToContainTextAsync(key[..11]);
        Assert.DoesNotContain(key, await page.ContentAsync());

        using var http = new HttpClient { BaseAddress = new Uri(portal.BaseUrl) };
        http.DefaultRequestHeaders.Add("X-Api-Key", key);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"/api/recommend/{customer}?n=5")).StatusCode);

        await row.Locator("button[data-testid=apikey-revoke]").ClickAsync();
        await page.Locator(".mud-dialog button", new() { HasTextString = "Revoke" }).ClickAsync();
        await Assertions.Expect(row.Locator("[data-testid=apikey-status]")).ToContainTextAsync("Revoked", new() { Timeout = 30_000 });
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync($"/api/recommend/{customer}?n=5")).StatusCode);

        await page.GotoAsync($"{portal.BaseUrl}/culture/set?culture=zh-CN&redirectUri={Uri.EscapeDataString("/api-keys")}");
        await Assertions.Expect(page.Locator("[data-testid=apikey-row]", new() { HasTextString = "browser shop backend" })).ToContainTextAsync("已于", new() { Timeout = 30_000 });
        await page.ScreenshotAsync(new() { Path = Path.Combine(portal.ScreenshotDirectory, "apikeys-list-zh-CN.png"), FullPage = true });
        await context.CloseAsync();
    }
}
