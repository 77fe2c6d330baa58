using Portal.Core.Access;
using AngleSharp.Dom;
using Bunit;
using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using MudBlazor;
using Portal.Client.Pages.Campaigns;
using Portal.Client.Pages.Campaigns.Components;
using Portal.Core.Campaigns;
using Portal.Core.Ctr;
using Portal.Core.PushBatches;
using Portal.Core.PushLists;

namespace Portal.Tests.Components;

/// <summary>The campaign form dialog on the real campaign service and the real UCI sample: per-field validation messages in both languages, the live audience size, and saving.</summary>
public class CampaignFormDialogTests : ComponentTestBase
{
    private int _merchantId;

    private IRenderedComponent<MudDialogProvider> Open()
    {
        UciSeed.Seed(Database);
        using (var db = Contexts.CreateDbContext()) _merchantId = db.Merchants.Single().Id;
        var pushLists = new PushListService(Contexts, Models, new Portal.Core.PushBatches.RecentlyPushedItems(Contexts));
        Services.AddSingleton(new CampaignService(Contexts, pushLists, new CampaignScheduler(new RecurringJobManager(JobStorage), Jobs)));
        Services.AddSingleton<ISnackbar, SnackbarService>();
        var provider = Render<MudDialogProvider>();
        Render<MudPopoverProvider>();
        var dialogs = Services.GetRequiredService<IDialogService>();
        var parameters = new DialogParameters<CampaignFormDialog> { { d => d.Actor, new Actor("merchant-user", "merchant@portal.local", new HashSet<string> { PortalRoles.Merchant }, _merchantId) }, { d => d.MerchantId, _merchantId } };
        provider.InvokeAsync(() => dialogs.ShowAsync<CampaignFormDialog>("campaign", parameters)).GetAwaiter().GetResult();
        provider.WaitForElement("[data-testid=campaign-save]", TimeSpan.FromSeconds(30));
        return provider;
    }

    private static IElement Input(IRenderedComponent<MudDialogProvider> cut, string testId)
    {
        var e = cut.Find($"[data-testid={testId}]");
        return e.TagName == "INPUT" || e.TagName == "TEXTAREA" ? e : e.QuerySelector("input, textarea")!;
    }

    [Fact]
    public void Save_shows_a_message_under_each_invalid_field_and_stores_nothing_until_valid()
    {
        var cut = Open();
        // The live preview counts every customer of the shop (no tier criterion yet); no blend model is trained here.
        int customers;
        using (var db = Contexts.CreateDbContext()) customers = db.Customers.Count();
        cut.WaitForAssertion(() => Assert.Equal($"{customers:N0} customers", cut.Find("[data-testid=campaign-audience-size]").TextContent.Trim()), TimeSpan.FromSeconds(30));
        Assert.Contains("Sample lists appear once the push model (blend) is trained.", cut.Find("[data-testid=campaign-preview-error]").TextContent);

        { var size = Input(cut, "campaign-list-size"); size.Input("60"); size.Blur(); }
        cut.Find("[data-testid=campaign-save]").Click();
        cut.WaitForAssertion(() =>
        {
            Assert.Contains("Name is required.", cut.Markup);
            Assert.Contains("Push list size must be between 1 and 50.", cut.Markup);
            Assert.Contains("Choose the day of the push.", cut.Markup);
            Assert.Contains("Choose the time of the push (UTC).", cut.Markup);
        });
        using (var db = Contexts.CreateDbContext()) Assert.Equal(0, db.Campaigns.Count());

        // A recurring schedule with a bad cron expression: the cron message names the expression.
        Input(cut, "schedule-cron").Click();
        cut.WaitForElement("[data-testid=campaign-cron]");
        Input(cut, "campaign-name").Input("Winter push");
        { var size = Input(cut, "campaign-list-size"); size.Input("12"); size.Blur(); }
        Input(cut, "campaign-cron").Input("61 * * * *");
        cut.Find("[data-testid=campaign-save]").Click();
        cut.WaitForAssertion(() => Assert.Contains("'61 * * * *' is not a valid cron expression (five fields: minute hour day-of-month month day-of-week, UTC).", cut.Markup));
        Assert.DoesNotContain("Name is required.", cut.Markup);
        using (var db = Contexts.CreateDbContext()) Assert.Equal(0, db.Campaigns.Count());

        Input(cut, "campaign-cron").Input("0 9 * * 1");
        cut.Find("[data-testid=campaign-save]").Click();
        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll("[data-testid=campaign-dialog]")), TimeSpan.FromSeconds(10));
        using var read = Contexts.CreateDbContext();
        var saved = read.Campaigns.Single();
        Assert.Equal("Winter push", saved.Name);
        Assert.Equal(12, saved.ListSize);
        Assert.Equal("0 9 * * 1", saved.Cron);
        Assert.Equal(1, read.AuditEntries.Count(a => a.Action == "campaign.create"));
    }

    [Fact]
    public void Messages_are_in_chinese_in_the_chinese_ui()
    {
        UseCulture("zh-CN");
        var cut = Open();
        Input(cut, "schedule-cron").Click();
        cut.WaitForElement("[data-testid=campaign-cron]");
        Input(cut, "campaign-cron").Input("every monday");
        cut.Find("[data-testid=campaign-save]").Click();
        cut.WaitForAssertion(() =>
        {
            Assert.Contains("请填写名称。", cut.Markup);
            Assert.Contains("“every monday”不是有效的 cron 表达式（五个字段：分 时 日 月 周，UTC）。", cut.Markup);
        });
        Assert.Contains("新建活动", cut.Markup);
    }
}
