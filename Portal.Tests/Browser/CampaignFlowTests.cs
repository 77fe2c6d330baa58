using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using Portal.Core.Campaigns;
using Portal.Core.PushBatches;

namespace Portal.Tests.Browser;

/// <summary>
/// The whole push flow across roles, in the browser against the real server (the slice's first start trained blend and
/// ran the tiers): a merchant (merchant@portal.local) creates a campaign, sees the live audience size and sample lists
/// before saving, builds a batch with "Build now" (a real Hangfire job) and sees it pending approval with its summary;
/// an operations user (operations@portal.local) approves it on the Operations page, and the delivery job posts every
/// push that is due (outside the customer's quiet hours) to a real local webhook receiver, signed. Screenshots:
/// campaign-form-en.png, campaign-detail-en.png, campaigns-zh-CN.png, campaign-detail-zh-CN.png and
/// flow-approved-en.png under artifacts/screenshots.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class CampaignFlowTests(PortalServerFixture portal)
{
    private static ILocator Field(IPage page, string testId) =>
        page.Locator($":is(input,textarea)[data-testid={testId}], [data-testid={testId}] :is(input,textarea)").First;

    [Fact]
    public async Task A_merchant_creates_a_campaign_operations_approves_its_batch_and_the_webhook_receives_the_pushes()
    {
        var context = await portal.NewContextAsync(new()
        {
            ViewportSize = new() { Width = 1440, Height = 1100 }, Locale = "en-GB",
            StorageState = await portal.SignInStateAsync("merchant@portal.local"),
        });
        var page = await context.NewPageAsync();
        await page.GotoAsync($"{portal.BaseUrl}/culture/set?culture=en&redirectUri=%2Fcampaigns");
        await Assertions.Expect(page.Locator("h4", new() { HasTextString = "Campaigns" })).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
        // The page is prerendered: a click counts once the interactive circuit is up, so click until the dialog opens.
        var dialog = page.Locator("[data-testid=campaign-save]");
        for (var attempt = 0; attempt < 6 && await dialog.CountAsync() == 0; attempt++)
        {
            await page.Locator("button[data-testid=campaign-new]").ClickAsync();
            try { await dialog.WaitForAsync(new() { Timeout = 10_000 }); } catch (TimeoutException) { }
        }

        // The live preview: every customer of the shop, and three sample lists from blend.
        int customers;
        await using (var db = portal.CreateContext()) customers = await db.Events.Select(e => e.CustomerId).Distinct().CountAsync();
        await Assertions.Expect(page.Locator("[data-testid=campaign-audience-size]")).ToHaveTextAsync($"{customers:N0} customers", new() { Timeout = 60_000 });
        await Assertions.Expect(page.Locator("[data-testid=campaign-sample]")).ToHaveCountAsync(3, new() { Timeout = 60_000 });

        await Field(page, "campaign-name").FillAsync("Spring push");
        var size = Field(page, "campaign-list-size");
        await size.FillAsync("5");
        await size.BlurAsync();
        await Field(page, "campaign-price-min").FillAsync("1");
        await Field(page, "campaign-price-max").FillAsync("5");
        await Field(page, "campaign-price-max").BlurAsync();
        await page.Locator("[data-testid=schedule-cron]").First.ClickAsync();
        await Field(page, "campaign-cron").FillAsync("0 9 * * 1");
        // The sample lists follow the settings: five items each.
        await Assertions.Expect(page.Locator("[data-testid=campaign-sample]").First.Locator("[data-testid=campaign-sample-item]")).ToHaveCountAsync(5, new() { Timeout = 60_000 });
        await page.ScreenshotAsync(new() { Path = Path.Combine(portal.ScreenshotDirectory, "campaign-form-en.png"), FullPage = true });
        await page.Locator("[data-testid=campaign-save]").ClickAsync();

        await Assertions.Expect(page.Locator("[data-testid=campaign-title]")).ToHaveTextAsync("Spring push", new() { Timeout = 30_000 });
        await Assertions.Expect(page.Locator("[data-testid=campaign-schedule]")).ToContainTextAsync("Cron 0 9 * * 1 (UTC)");
        Campaign campaign;
        await using (var db = portal.CreateContext()) campaign = await db.Campaigns.SingleAsync(c => c.Name == "Spring push");
        Assert.Equal(5, campaign.ListSize);
        Assert.Equal(1m, campaign.Scope.PriceMin);

        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
        await page.Locator("button[data-testid=campaign-build-now]").ClickAsync();
        var clock = Stopwatch.StartNew();
        PushBatch? batch = null;
        while (batch is null && clock.Elapsed < TimeSpan.FromMinutes(3))
        {
            await Task.Delay(1000);
            await using var db = portal.CreateContext();
            batch = await db.PushBatches.AsNoTracking().SingleOrDefaultAsync(b => b.CampaignId == campaign.Id);
        }
        Assert.True(batch is not null, "No batch after 3 minutes.\n" + portal.ServerLog);
        Assert.Equal(PushBatchStatus.PendingApproval, batch.Status);
        var summary = PushBatchSummaries.FromJson(batch.SummaryJson)!;
        Assert.Equal(customers, summary.AudienceSize);
        await using (var db = portal.CreateContext())
            Assert.Equal(summary.Pushes, await db.PushMessages.CountAsync(m => m.BatchId == batch.Id));
        await page.Locator("[data-testid=campaign-batches-refresh]").ClickAsync();
        await Assertions.Expect(page.Locator("[data-testid=campaign-batches] [data-testid=batch-status]")).ToHaveTextAsync("Pending approval", new() { Timeout = 30_000 });
        await Assertions.Expect(page.Locator("[data-testid=batch-pushes]")).ToHaveTextAsync(summary.Pushes.ToString("N0"));
        await page.ScreenshotAsync(new() { Path = Path.Combine(portal.ScreenshotDirectory, "campaign-detail-en.png"), FullPage = true });

        // The same pages in Chinese.
        await page.GotoAsync($"{portal.BaseUrl}/culture/set?culture=zh-CN&redirectUri=%2Fcampaigns");
        await Assertions.Expect(page.Locator("[data-testid=campaigns-table]")).ToContainTextAsync("Spring push", new() { Timeout = 30_000 });
        await Assertions.Expect(page.Locator("[data-testid=campaign-row-last]")).ToContainTextAsync("待审批");
        await page.ScreenshotAsync(new() { Path = Path.Combine(portal.ScreenshotDirectory, "campaigns-zh-CN.png"), FullPage = true });
        await page.GotoAsync($"{portal.BaseUrl}/campaigns/{campaign.Id}");
        await Assertions.Expect(page.Locator("[data-testid=campaign-batches] [data-testid=batch-status]")).ToHaveTextAsync("待审批", new() { Timeout = 30_000 });
        await page.ScreenshotAsync(new() { Path = Path.Combine(portal.ScreenshotDirectory, "campaign-detail-zh-CN.png"), FullPage = true });
        await context.CloseAsync();

        // Operations approves the merchant's batch; the delivery job posts the due pushes to the merchant's webhook.
        await using var receiver = await Portal.Tests.Batches.WebhookReceiver.StartAsync();
        await using (var db = portal.CreateContext())
        {
            var merchant = await db.Merchants.SingleAsync(m => m.Id == campaign.MerchantId);
            merchant.WebhookUrl = receiver.Url;
            merchant.WebhookSecret = receiver.Secret;
            await db.SaveChangesAsync();
        }
        var ops = await portal.NewContextAsync(new()
        {
            ViewportSize = new() { Width = 1440, Height = 1000 }, Locale = "en-GB",
            StorageState = await portal.SignInStateAsync("operations@portal.local"),
        });
        var opsPage = await ops.NewPageAsync();
        await opsPage.GotoAsync($"{portal.BaseUrl}/culture/set?culture=en&redirectUri=%2Fbatches");
        var card = opsPage.Locator($"[data-testid=pending-batch][data-batch='{batch.Id}']");
        await Assertions.Expect(card).ToBeVisibleAsync(new() { Timeout = 60_000 });
        await opsPage.WaitForLoadStateAsync(LoadState.NetworkIdle);
        var approvedAt = DateTime.UtcNow;
        await Portal.Tests.Infrastructure.PortalProcess.WaitForAsync(async () =>
        {
            try { if (await card.CountAsync() > 0) await card.Locator("[data-testid=batch-approve]").ClickAsync(new() { Timeout = 5_000 }); }
            catch (TimeoutException) { } // the card left the queue between the count and the click
            await opsPage.WaitForTimeoutAsync(700);
            await using var db = portal.CreateContext();
            return (await db.PushBatches.SingleAsync(b => b.Id == batch.Id)).Status != PushBatchStatus.PendingApproval;
        }, TimeSpan.FromSeconds(60), "the operations user to approve the batch");
        int due = 0;
        await Portal.Tests.Infrastructure.PortalProcess.WaitForAsync(async () =>
        {
            await using var db = portal.CreateContext();
            var cutoff = approvedAt.AddSeconds(-1);
            due = await db.PushMessages.CountAsync(m => m.BatchId == batch.Id && m.NotBefore <= cutoff);
            return due > 0 && await db.PushMessages.CountAsync(m => m.BatchId == batch.Id && m.Status == PushDeliveryStatus.Delivered) >= due;
        }, TimeSpan.FromMinutes(3), "the delivery job to send the due pushes");
        Assert.True(receiver.AcceptedKeys.Count >= due, $"{receiver.AcceptedKeys.Count} pushes received, {due} due");
        Assert.All(receiver.Requests, r => Assert.True(r.SignatureValid));
        await using (var db = portal.CreateContext())
        {
            var approved = await db.AuditEntries.SingleAsync(e => e.Action == "batch.approve" && e.EntityId == batch.Id.ToString());
            Assert.Equal("operations@portal.local", approved.UserName);
            Assert.NotEqual(approved.UserId, batch.CreatedByUserId); // four-eyes: the approver did not create it
        }
        await opsPage.GotoAsync($"{portal.BaseUrl}/batches/{batch.Id}");
        await Assertions.Expect(opsPage.Locator("[data-testid=history-entry]").First).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await opsPage.ScreenshotAsync(new() { Path = Path.Combine(portal.ScreenshotDirectory, "flow-approved-en.png"), FullPage = true });
        await ops.CloseAsync();
    }
}
