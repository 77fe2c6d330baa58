using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using Portal.Core.Tiers;

namespace Portal.Tests.Browser;

/// <summary>
/// The tiers page, the customer profile and the audience export in a real browser against the real server: the
/// first start's import and each training run are followed by a tiers recomputation (Hangfire job on the default
/// queue), so the slice has several runs. Screenshots: artifacts/screenshots/tiers-en.png and tiers-zh-CN.png.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class TiersFlowTests(PortalServerFixture portal)
{
    /// <summary>Waits until the import's and every first-start training run's tiers runs have succeeded.</summary>
    private async Task<List<SegmentationRun>> WaitForRunsAsync()
    {
        var expected = 1 + PortalServerFixture.Models.Length;
        var clock = Stopwatch.StartNew();
        while (true)
        {
            await using (var db = portal.CreateContext())
            {
                var runs = await db.SegmentationRuns.AsNoTracking().OrderBy(r => r.Id).ToListAsync();
                Assert.DoesNotContain(runs, r => r.Status == SegmentationStatus.Failed);
                if (runs.Count(r => r.Status == SegmentationStatus.Succeeded) >= expected) return runs;
            }
            if (clock.Elapsed > TimeSpan.FromMinutes(5))
                throw new TimeoutException($"Fewer than {expected} tiers runs after 5 minutes.\n{portal.ServerLog}");
            await Task.Delay(1000);
        }
    }

    [Fact]
    public async Task Tiers_page_shows_sizes_history_flows_and_a_what_if_preview_in_both_languages()
    {
        var runs = await WaitForRunsAsync();
        var latest = runs.Last(r => r.Status == SegmentationStatus.Succeeded);
        Assert.Contains(runs, r => r.Trigger == "import");
        Assert.Contains(runs, r => r.Trigger == "training");

        var context = await portal.NewContextAsync(new() { ViewportSize = new() { Width = 1440, Height = 1000 }, Locale = "en-GB" });
        var page = await context.NewPageAsync();
        await page.GotoAsync($"{portal.BaseUrl}/culture/set?culture=en&redirectUri=%2Ftiers");
        var sizes = page.Locator("[data-testid=tier-sizes] tbody tr");
        await Assertions.Expect(sizes.First).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await Assertions.Expect(page.Locator("[data-testid=tiers-run]")).ToContainTextAsync($"Run #{latest.Id}");
        var counts = (await page.Locator("[data-testid=tier-sizes] tbody tr td:nth-child(2)").AllInnerTextsAsync())
            .Select(t => int.Parse(t.Trim().Replace(",", ""))).ToList();
        Assert.Equal(latest.Customers, counts.Sum());
        await Assertions.Expect(page.Locator("[data-testid=tier-history] svg").First).ToBeVisibleAsync();
        // Runs of one day against themselves: everyone stays.
        await Assertions.Expect(page.Locator("[data-testid=flow-table-stayed]")).ToHaveTextAsync(latest.Customers.ToString("N0"));
        await Assertions.Expect(page.Locator("[data-testid=tier-topics] tbody tr")).ToHaveCountAsync(latest.TopicCount);
        await Assertions.Expect(page.Locator("[data-testid=definitions-version]")).ToContainTextAsync("version 1");
        // What-if of the unchanged definitions: nobody moves.
        // The page is prerendered: a click counts once the interactive circuit is up, so click until the preview answers.
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
        var summary = page.Locator("[data-testid=preview-summary]");
        for (var attempt = 0; attempt < 5 && await summary.CountAsync() == 0; attempt++)
        {
            await page.Locator("button[data-testid=definitions-preview]").ClickAsync();
            try { await summary.WaitForAsync(new() { Timeout = 15_000 }); } catch (TimeoutException) { }
        }
        await Assertions.Expect(summary).ToContainTextAsync($"0 of {latest.Customers:N0} customers", new() { Timeout = 60_000 });
        await Assertions.Expect(page.Locator("button[data-testid=definitions-save]")).ToBeEnabledAsync();
        await page.ScreenshotAsync(new() { Path = Path.Combine(portal.ScreenshotDirectory, "tiers-en.png"), FullPage = true });

        // The lifecycle layer and the Chinese page.
        await page.GotoAsync($"{portal.BaseUrl}/culture/set?culture=zh-CN&redirectUri=%2Ftiers");
        await Assertions.Expect(page.Locator("h4", new() { HasTextString = "用户兴趣分层" })).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await Assertions.Expect(page.Locator("[data-testid=tier-sizes]")).ToContainTextAsync("冠军用户");
        await page.ScreenshotAsync(new() { Path = Path.Combine(portal.ScreenshotDirectory, "tiers-zh-CN.png"), FullPage = true });
        await context.CloseAsync();
    }

    [Fact]
    public async Task Customer_profile_and_audience_export_follow_the_latest_run()
    {
        var runs = await WaitForRunsAsync();
        var latest = runs.Last(r => r.Status == SegmentationStatus.Succeeded);
        CustomerTier tier;
        int expected;
        await using (var db = portal.CreateContext())
        {
            tier = await db.CustomerTiers.AsNoTracking().Where(t => t.SegmentationRunId == latest.Id && t.Segment != null)
                .OrderByDescending(t => t.Frequency).ThenBy(t => t.CustomerId).FirstAsync();
            expected = await db.CustomerTiers.CountAsync(t => t.SegmentationRunId == latest.Id && t.Segment == tier.Segment);
        }
        var page = await portal.NewPageAsync(new() { ViewportSize = new() { Width = 1440, Height = 1200 } });
        await page.GotoAsync($"{portal.BaseUrl}/culture/set?culture=en&redirectUri={Uri.EscapeDataString($"/customers/{tier.CustomerId}")}");
        await Assertions.Expect(page.Locator("[data-testid=profile-r]")).ToHaveTextAsync(tier.R.ToString(), new() { Timeout = 30_000 });
        await Assertions.Expect(page.Locator("[data-testid=profile-frequency]")).ToHaveTextAsync(tier.Frequency.ToString("N0"));
        await Assertions.Expect(page.Locator("[data-testid=profile-nearest] .mud-list-item")).ToHaveCountAsync(8);
        await page.ScreenshotAsync(new() { Path = Path.Combine(portal.ScreenshotDirectory, "customer-profile-en.png"), FullPage = true });

        // The customers list filtered by the segment, and its CSV export.
        await page.GotoAsync($"{portal.BaseUrl}/customers?segment={tier.Segment}");
        await Assertions.Expect(page.Locator("a[data-testid=export-csv]")).ToHaveAttributeAsync("href", $"/api/tiers/audience.csv?segment={tier.Segment}", new() { Timeout = 30_000 });
        await Assertions.Expect(page.Locator("p.mud-table-pagination-caption[translate=no]")).ToContainTextAsync($"of {expected:N0}", new() { Timeout = 30_000 });
        using var http = await portal.AdminHttpClientAsync();
        var csv = await http.GetStringAsync($"{portal.BaseUrl}/api/tiers/audience.csv?segment={tier.Segment}");
        var lines = csv.TrimEnd().Split('\n');
        Assert.StartsWith("customer_id,country,segment", lines[0].TrimStart('\uFEFF'));
        Assert.Equal(expected + 1, lines.Length);
        var bad = await http.GetAsync($"{portal.BaseUrl}/api/tiers/audience.csv?segment=vip");
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("segment", await bad.Content.ReadAsStringAsync());
        await page.CloseAsync();
    }
}
