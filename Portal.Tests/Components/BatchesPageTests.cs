using System.Security.Claims;
using Bunit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using MudBlazor;
using Portal.Client.Pages.Batches;
using Portal.Core.Access;
using Portal.Core.Delivery;
using Portal.Core.PushBatches;
using Portal.Tests.Batches;

namespace Portal.Tests.Components;

/// <summary>
/// The Operations pages on the real life-cycle service, queries and a real Hangfire client (in-memory storage), over
/// batches of real UCI customers and products: the approval queue beside the previous batch, approve, reject with a
/// reason in the dialog, four-eyes in the buttons, the detail page after a real delivery, and Chinese.
/// </summary>
public sealed class BatchesPageTests : ComponentTestBase
{
    private readonly Bunit.TestDoubles.BunitAuthorizationContext _auth;

    public BatchesPageTests()
    {
        UciSeed.Seed(Database);
        Services.AddSingleton(new PushBatchLifecycle(Contexts, Jobs));
        Services.AddSingleton(new PushBatchQueries(Contexts));
        Services.AddScoped<ICurrentActor>(sp => new ClaimsCurrentActor(sp));
        _auth = AddAuthorization();
        SignIn("ops-2", "ops2@portal.local", PortalRoles.Operations);
    }

    private void SignIn(string id, string name, params string[] roles)
    {
        _auth.SetAuthorized(name);
        _auth.SetRoles(roles);
        _auth.SetClaims(new Claim(ClaimTypes.NameIdentifier, id));
    }

    [Fact]
    public async Task The_queue_shows_the_summary_beside_the_previous_batch_with_changes_highlighted()
    {
        var earlier = DateTime.UtcNow.AddDays(-7);
        var previous = await BatchSeed.CreateBatchAsync(Contexts, PushBatchStatus.Sent, 20, scheduledFor: earlier,
            summary: new PushBatchSummary { AudienceSize = 80, Pushes = 20, ItemsPushed = 60, Coverage = 0.30, IntraListDiversity = 0.8, PredictedCtr = 0.021 });
        await using (var db = Contexts.CreateDbContext())
            await db.PushMessages.Where(m => m.BatchId == previous).ExecuteUpdateAsync(s => s.SetProperty(m => m.Status, PushDeliveryStatus.Delivered));
        var pending = await BatchSeed.CreateBatchAsync(Contexts, PushBatchStatus.PendingApproval, 25, scheduledFor: earlier.AddDays(7));
        PushBatchSummary stored;
        await using (var db = Contexts.CreateDbContext())
            stored = PushBatchQueries.ParseSummary((await db.PushBatches.SingleAsync(b => b.Id == pending)).SummaryJson)!;
        Render<MudPopoverProvider>();

        var cut = Render<BatchQueue>();

        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid=pending-batch]")));
        var card = cut.Find("[data-testid=pending-batch]");
        Assert.Equal(pending.ToString(), card.GetAttribute("data-batch"));
        Assert.Contains($"Previous batch #{previous} (Sent)", card.QuerySelector("[data-testid=previous-header]")!.TextContent);
        var audience = card.QuerySelector("[data-testid=summary-audience]")!;
        Assert.Equal(stored.AudienceSize.ToString("N0"), audience.QuerySelector("[data-testid=this-value]")!.TextContent.Trim());
        Assert.Equal("80", audience.QuerySelector("[data-testid=previous-value]")!.TextContent.Trim());
        // 25 vs 80 customers: a change of more than 10 % is highlighted.
        Assert.Equal("true", audience.QuerySelector("[data-testid=delta]")!.GetAttribute("data-highlight"));
        Assert.Equal("−69%", audience.QuerySelector("[data-testid=delta]")!.TextContent.Trim());
        // No CTR model for the new batch: said, not invented.
        Assert.Contains("no CTR model", card.QuerySelector("[data-testid=summary-predicted-ctr]")!.TextContent);
        Assert.Equal(2, card.QuerySelectorAll("[data-testid=sample-list]").Length);
        Assert.Contains(stored.SampleLists[0].Items[0].Name, card.TextContent);
        Assert.Contains("Waiting for approval (1)", cut.Find("[data-testid=pending-heading]").TextContent);
        // The previous batch is listed below with its delivery progress.
        var row = cut.Find($"[data-testid=batch-row][data-batch='{previous}']");
        Assert.Contains("Delivered 20 / 20", row.QuerySelector("[data-testid=batch-progress]")!.TextContent.Replace('\u00a0', ' '));
    }

    [Fact]
    public async Task Approving_in_the_page_moves_the_batch_audits_it_and_queues_delivery()
    {
        var id = await BatchSeed.CreateBatchAsync(Contexts, PushBatchStatus.PendingApproval, 5);
        Render<MudPopoverProvider>();
        var cut = Render<BatchQueue>();
        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid=pending-batch]")));

        cut.Find("[data-testid=pending-batch] [data-testid=batch-approve]").Click();

        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll("[data-testid=pending-batch]")));
        cut.WaitForAssertion(() => Assert.Equal("Approved", cut.Find($"[data-testid=batch-row][data-batch='{id}'] [data-testid=batch-status]").GetAttribute("data-status")));
        await using var db = Contexts.CreateDbContext();
        var batch = await db.PushBatches.SingleAsync(b => b.Id == id);
        Assert.Equal((PushBatchStatus.Approved, "ops-2"), (batch.Status, batch.ApprovedByUserId));
        Assert.Equal("ops2@portal.local", (await db.AuditEntries.SingleAsync(e => e.EntityId == id.ToString() && e.Action == "batch.approve")).UserName);
        var job = JobStorage.GetMonitoringApi().EnqueuedJobs("default", 0, 10).Single().Value.Job;
        Assert.Equal((typeof(DeliveryJob), id), (job.Type, (int)job.Args[0]));
    }

    [Fact]
    public async Task Rejecting_asks_for_a_reason_in_a_dialog()
    {
        var id = await BatchSeed.CreateBatchAsync(Contexts, PushBatchStatus.PendingApproval, 3);
        Render<MudPopoverProvider>();
        var dialogs = Render<MudDialogProvider>();
        var cut = Render<BatchQueue>();
        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid=pending-batch]")));

        cut.Find("[data-testid=batch-reject]").Click();
        dialogs.WaitForAssertion(() => Assert.NotNull(dialogs.Find("[data-testid=reject-confirm]")));
        dialogs.Find("[data-testid=reject-confirm]").Click();
        dialogs.WaitForAssertion(() => Assert.Contains("A reason is required.", dialogs.Markup));
        dialogs.Find("textarea").Input("Coverage fell by half since last week.");
        dialogs.Find("[data-testid=reject-confirm]").Click();

        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll("[data-testid=pending-batch]")));
        await using var db = Contexts.CreateDbContext();
        var batch = await db.PushBatches.SingleAsync(b => b.Id == id);
        Assert.Equal((PushBatchStatus.Rejected, "Coverage fell by half since last week."), (batch.Status, batch.RejectionReason));
    }

    [Fact]
    public async Task The_creator_and_merchants_cannot_approve_and_see_why()
    {
        await BatchSeed.CreateBatchAsync(Contexts, PushBatchStatus.PendingApproval, 3, createdBy: "ops-2");
        Render<MudPopoverProvider>();
        var cut = Render<BatchQueue>();
        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid=pending-batch]")));
        Assert.True(cut.Find("[data-testid=batch-approve]").HasAttribute("disabled"));
        Assert.False(cut.Find("[data-testid=batch-reject]").HasAttribute("disabled"));
        Assert.Contains("Acting as ops2@portal.local", cut.Find("[data-testid=acting-as]").TextContent);
    }

    [Fact]
    public async Task The_detail_page_shows_history_and_progress_of_a_real_delivery_in_Chinese()
    {
        var id = await BatchSeed.CreateBatchAsync(Contexts, PushBatchStatus.PendingApproval, 4);
        var lifecycle = new PushBatchLifecycle(Contexts);
        await lifecycle.ApproveAsync(id, new Actor("ops-2", "ops2@portal.local", new HashSet<string> { PortalRoles.Operations }, null));
        var options = new DeliveryOptions { PushesPerSecond = 1000 };
        var delivery = new PushDeliveryService(Contexts, [new JsonLinesPushChannel(Paths, options)], new PushThrottle(options), options, lifecycle,
            TimeProvider.System, NullLogger<PushDeliveryService>.Instance);
        Assert.Equal(PushBatchStatus.Sent, (await delivery.DeliverBatchAsync(id)).Status);
        UseCulture("zh-CN");
        Render<MudPopoverProvider>();

        var cut = Render<BatchDetail>(p => p.Add(x => x.Id, id));

        cut.WaitForAssertion(() => Assert.Equal(3, cut.FindAll("[data-testid=history-entry]").Count));
        Assert.Equal(["batch.approve", "batch.send", "batch.sent"], cut.FindAll("[data-testid=history-entry]").Select(e => e.GetAttribute("data-action")));
        Assert.Contains("待审批 → 已批准", cut.FindAll("[data-testid=history-entry]")[0].TextContent);
        Assert.Equal("4", cut.Find("[data-testid=count-delivered]").TextContent.Trim());
        Assert.Equal("0", cut.Find("[data-testid=count-pending]").TextContent.Trim());
        Assert.Equal(4, cut.FindAll("[data-testid=push-row][data-status=Delivered]").Count);
        Assert.Contains("已发送", cut.Find("[data-testid=batch-status]").TextContent);
        Assert.Empty(cut.FindAll("[data-testid=batch-actions] button")); // a sent batch accepts no action
    }
}
