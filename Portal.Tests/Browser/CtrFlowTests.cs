using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using Portal.Core.Data.Import;
using Portal.Core.Feedback;
using Portal.Core.Training;
using Portal.Tests.Ctr;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Browser;

/// <summary>
/// Real click data through the real server: the Open Bandit men's random log and its item context uploaded on the
/// Imports page (format detected from the header), then the CTR model trained from the Models page on the gpu
/// queue; the run's AUC and log loss beside the baseline's show in English and Chinese. Screenshots go to
/// artifacts/screenshots (ctr-imports-en.png, ctr-models-en.png, ctr-models-zh-CN.png).
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class CtrFlowTests(PortalServerFixture portal)
{
    [Fact]
    public async Task Open_Bandit_upload_then_ctr_training_shows_auc_and_log_loss()
    {
        var page = await portal.NewPageAsync(new() { ViewportSize = new() { Width = 1440, Height = 1000 } });
        await page.GotoAsync($"{portal.BaseUrl}/culture/set?culture=en&redirectUri={Uri.EscapeDataString("/imports")}");
        foreach (var file in new[] { OpenBanditData.Items("random"), OpenBanditData.Log("random") })
        {
            // A file chosen before the Blazor circuit is interactive is not seen: choose again until the page names it.
            await PortalProcess.WaitForAsync(async () =>
            {
                // MudFileUpload adds a fresh input after each choice; the last one takes the next file.
                await page.Locator("input[type=file]").Last.SetInputFilesAsync(file);
                await Task.Delay(1000);
                return (await page.Locator("[data-testid=chosen-file]").InnerTextAsync()).Contains(Path.GetFileName(file), StringComparison.Ordinal);
            }, TimeSpan.FromSeconds(60), "the upload panel to take " + file);
            await page.Locator("[data-testid=start-import]").ClickAsync();
            await PortalProcess.WaitForAsync(async () =>
            {
                await using var db = portal.CreateContext();
                var run = await db.ImportRuns.Where(r => r.FileName == Path.GetFileName(file)).OrderByDescending(r => r.Id).FirstOrDefaultAsync();
                if (run?.Status == ImportStatus.Failed) throw new InvalidOperationException(run.Message);
                return run?.Status == ImportStatus.Succeeded;
            }, TimeSpan.FromMinutes(3), "the import of " + file);
        }
        await using (var db = portal.CreateContext())
        {
            var items = await db.ImportRuns.SingleAsync(r => r.FileName == "item_context.csv");
            Assert.Equal(ImportFormat.OpenBanditItemContext, items.Format);
            Assert.Equal(10_000, await db.FeedbackEvents.CountAsync(f => f.Kind == FeedbackKind.Impression));
            Assert.Equal(46, await db.FeedbackEvents.CountAsync(f => f.Kind == FeedbackKind.Click));
            Assert.Equal(34, await db.Products.CountAsync(p => p.Merchant!.Code == "zozotown" && p.AttributesJson!.Contains("item_feature_0")));
        }
        await Assertions.Expect(page.Locator("tr.import-row", new() { HasTextString = "men.csv.gz" })).ToContainTextAsync("Succeeded", new() { Timeout = 30_000 });
        await page.ScreenshotAsync(new() { Path = Path.Combine(portal.ScreenshotDirectory, "ctr-imports-en.png"), FullPage = true });

        await page.GotoAsync($"{portal.BaseUrl}/models");
        // The prerendered page is not interactive until the circuit is up: click until the model list opens.
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
        var ctrItem = page.Locator(".mud-popover-open .mud-list-item", new() { HasTextString = "ctr" });
        for (var i = 0; i < 20 && await ctrItem.CountAsync() == 0; i++)
        {
            await page.Locator("[data-testid=retrain-models]").ClickAsync();
            await page.WaitForTimeoutAsync(500);
        }
        await ctrItem.Last.ClickAsync();
        await page.Keyboard.PressAsync("Escape");
        await page.Locator("[data-testid=retrain]").ClickAsync();
        await PortalProcess.WaitForAsync(async () =>
        {
            await using var db = portal.CreateContext();
            var run = await db.TrainingRuns.Where(r => r.Model == "ctr").OrderByDescending(r => r.Id).FirstOrDefaultAsync();
            if (run?.Status == TrainingStatus.Failed) throw new InvalidOperationException(run.Message);
            return run?.Status == TrainingStatus.Succeeded;
        }, TimeSpan.FromMinutes(5), "the ctr training run");
        TrainingRun ctr;
        await using (var db = portal.CreateContext())
            ctr = await db.TrainingRuns.Include(r => r.Metrics).Where(r => r.Model == "ctr").OrderByDescending(r => r.Id).FirstAsync();
        var auc = ctr.Metrics.Single(m => m.Task == "ctr" && m.Name == "auc").Value;
        var metrics = page.Locator("[data-testid=run-row]", new() { HasTextString = ctr.Version }).Locator("[data-testid=ctr-metrics]");
        await Assertions.Expect(metrics).ToContainTextAsync("test AUC " + auc.ToString("0.0000", System.Globalization.CultureInfo.GetCultureInfo("en")), new() { Timeout = 30_000 });
        await Assertions.Expect(metrics).ToContainTextAsync("logistic baseline AUC");
        await page.ScreenshotAsync(new() { Path = Path.Combine(portal.ScreenshotDirectory, "ctr-models-en.png"), FullPage = true });

        await page.GotoAsync($"{portal.BaseUrl}/culture/set?culture=zh-CN&redirectUri={Uri.EscapeDataString("/models")}");
        await Assertions.Expect(page.Locator("[data-testid=ctr-metrics]").First).ToContainTextAsync("逻辑回归基线", new() { Timeout = 30_000 });
        await page.ScreenshotAsync(new() { Path = Path.Combine(portal.ScreenshotDirectory, "ctr-models-zh-CN.png"), FullPage = true });
        await page.Context.CloseAsync();
    }
}
