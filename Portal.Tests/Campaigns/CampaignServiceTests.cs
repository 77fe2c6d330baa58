using Hangfire;
using Hangfire.Storage;
using Microsoft.EntityFrameworkCore;
using Portal.Core.Access;
using Portal.Core.Campaigns;
using Portal.Core.PushBatches;

namespace Portal.Tests.Campaigns;

/// <summary>The campaign service: audit entries, Hangfire schedule, merchant isolation, validation, "Build now" through a real Hangfire server.</summary>
[Collection(CampaignCollection.Name)]
public class CampaignServiceTests(CampaignFixture f)
{
    private RecurringJobDto? Recurring(int campaignId)
    {
        using var connection = f.Storage.GetConnection();
        return connection.GetRecurringJobs().SingleOrDefault(j => j.Id == Campaign.RecurringJobId(campaignId));
    }

    private string? StateOf(string jobId)
    {
        using var connection = f.Storage.GetConnection();
        return connection.GetStateData(jobId)?.Name;
    }

    [Fact]
    public async Task Create_pause_resume_end_are_audited_and_keep_the_hangfire_schedule_in_step()
    {
        var campaign = f.Create("weekly", i => { i.ScheduleKind = ScheduleKind.Cron; i.Cron = "0 9 * * 1"; });
        Assert.Equal("0 9 * * 1", Recurring(campaign.Id)?.Cron);
        Assert.Null(campaign.ScheduledJobId);
        await f.Campaigns.SetStatusAsync(f.Merchant, campaign.Id, CampaignStatus.Paused);
        Assert.Null(Recurring(campaign.Id));
        await f.Campaigns.SetStatusAsync(f.Merchant, campaign.Id, CampaignStatus.Active);
        Assert.NotNull(Recurring(campaign.Id));
        await f.Campaigns.SetStatusAsync(f.Merchant, campaign.Id, CampaignStatus.Ended);
        Assert.Null(Recurring(campaign.Id));
        await Assert.ThrowsAsync<InvalidOperationException>(() => f.Campaigns.SetStatusAsync(f.Merchant, campaign.Id, CampaignStatus.Active));

        await using var db = f.Database.CreateContext();
        var audit = await db.AuditEntries.Where(a => a.EntityType == "Campaign" && a.EntityId == campaign.Id.ToString()).OrderBy(a => a.Id).ToListAsync();
        Assert.Equal(["campaign.create", "campaign.pause", "campaign.resume", "campaign.end"], audit.Select(a => a.Action));
        Assert.All(audit, a => { Assert.Equal("u-merchant", a.UserId); Assert.Equal(f.MerchantId, a.MerchantId); });
        Assert.Null(audit[0].BeforeJson);
        Assert.Contains("\"Name\":\"weekly\"", audit[0].AfterJson);
        Assert.Contains("\"Status\":\"Active\"", audit[1].BeforeJson);
        Assert.Contains("\"Status\":\"Paused\"", audit[1].AfterJson);
        Assert.Contains("\"Status\":\"Ended\"", audit[3].AfterJson);
    }

    [Fact]
    public async Task A_once_campaign_has_one_scheduled_build_that_moves_with_an_update_and_goes_when_paused()
    {
        var campaign = f.Create("once", i => { i.RunAtDate = DateTime.UtcNow.Date.AddDays(3); i.RunAtTime = TimeSpan.FromHours(9); });
        var first = campaign.ScheduledJobId!;
        Assert.Equal("Scheduled", StateOf(first));
        Assert.Null(Recurring(campaign.Id));

        var input = CampaignInput.From(campaign);
        input.RunAtTime = TimeSpan.FromHours(11);
        input.ListSize = 7;
        var updated = await f.Campaigns.UpdateAsync(f.Merchant, campaign.Id, input);
        Assert.Equal("Deleted", StateOf(first));
        Assert.Equal("Scheduled", StateOf(updated.ScheduledJobId!));
        Assert.Equal(11, updated.RunAt!.Value.Hour);
        await using (var db = f.Database.CreateContext())
        {
            var entry = await db.AuditEntries.Where(a => a.Action == "campaign.update" && a.EntityId == campaign.Id.ToString()).SingleAsync();
            Assert.Contains("\"ListSize\":5", entry.BeforeJson);
            Assert.Contains("\"ListSize\":7", entry.AfterJson);
        }
        var paused = await f.Campaigns.SetStatusAsync(f.Merchant, campaign.Id, CampaignStatus.Paused);
        Assert.Equal("Deleted", StateOf(updated.ScheduledJobId!));
        Assert.Null(paused.ScheduledJobId);
    }

    [Fact]
    public async Task Invalid_settings_and_duplicate_names_store_nothing()
    {
        f.Create("taken");
        await using var db = f.Database.CreateContext();
        var count = await db.Campaigns.CountAsync();
        var auditCount = await db.AuditEntries.CountAsync();
        var dup = await Assert.ThrowsAsync<CampaignValidationException>(() => f.Campaigns.CreateAsync(f.Merchant, f.MerchantId,
            new CampaignInput { Name = "taken", RunAtDate = new DateTime(2026, 1, 5), RunAtTime = TimeSpan.FromHours(9), StartDate = new DateTime(2026, 1, 1) }));
        Assert.Equal(["A campaign named 'taken' already exists."], dup.Errors["Name"]);
        var bad = await Assert.ThrowsAsync<CampaignValidationException>(() => f.Campaigns.CreateAsync(f.Merchant, f.MerchantId,
            new CampaignInput { Name = "bad cron", ScheduleKind = ScheduleKind.Cron, Cron = "0 25 * * *" }));
        Assert.Contains("'0 25 * * *' is not a valid cron expression", bad.Message);
        Assert.Equal(count, await db.Campaigns.CountAsync());
        Assert.Equal(auditCount, await db.AuditEntries.CountAsync());
    }

    [Fact]
    public async Task A_merchant_account_never_reaches_another_merchants_campaigns()
    {
        var mine = f.Create("isolation");
        var stranger = new Actor("u-other", "other@shop", new HashSet<string> { PortalRoles.Merchant }, f.MerchantId + 1000);
        Assert.Null(await f.Campaigns.GetAsync(stranger, mine.Id));
        Assert.DoesNotContain(await f.Campaigns.ListAsync(stranger), r => r.Campaign.Id == mine.Id);
        Assert.Empty(await f.Campaigns.BatchesAsync(stranger, mine.Id));
        await Assert.ThrowsAsync<KeyNotFoundException>(() => f.Campaigns.SetStatusAsync(stranger, mine.Id, CampaignStatus.Paused));
        await Assert.ThrowsAsync<KeyNotFoundException>(() => f.Campaigns.UpdateAsync(stranger, mine.Id, CampaignInput.From(mine)));
        await Assert.ThrowsAsync<KeyNotFoundException>(() => f.Campaigns.BuildNowAsync(stranger, mine.Id));
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => f.Campaigns.CreateAsync(stranger, f.MerchantId, CampaignInput.From(mine)));
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => f.Campaigns.PreviewAudienceSizeAsync(stranger, f.MerchantId, new CampaignInput()));
        // Platform staff see every merchant's campaigns.
        var ops = new Actor("u-ops", "ops", new HashSet<string> { PortalRoles.Operations }, null);
        Assert.NotNull(await f.Campaigns.GetAsync(ops, mine.Id));
        Assert.Contains(await f.Campaigns.ListAsync(f.Merchant), r => r.Campaign.Id == mine.Id);
    }

    [Fact]
    public async Task Build_now_runs_the_real_hangfire_job_and_the_sample_preview_uses_the_campaign_scope()
    {
        var ids = f.Customers().Skip(100).Take(5).Select(c => c.ExternalId).ToList();
        // Its own run time lies ahead: the fixture's default (2026-01-15) is past, and the server below would also run
        // that scheduled job as soon as its scheduler polls, leaving a second batch beside the "Build now" one.
        var campaign = f.Create("build-now", i => { i.AudienceKind = AudienceKind.UploadedList; i.CustomerIds = ids; i.ProductIds = "85123A, 71053, 84406B, 84029G, 84029E, 22752, 21730, 22633"; i.ListSize = 3; i.RunAtDate = DateTime.UtcNow.Date.AddDays(30); });

        var samples = await f.Campaigns.PreviewListsAsync(f.Merchant, f.MerchantId, CampaignInput.From(campaign), 3);
        Assert.Equal(3, samples.Count);
        Assert.All(samples.SelectMany(s => s.Items), i => Assert.Contains(i.ItemId, campaign.Scope.ProductIds));
        Assert.All(samples, s => Assert.InRange(s.Items.Count, 1, 3));

        var jobId = await f.Campaigns.BuildNowAsync(f.Merchant, campaign.Id);
        var activator = new Activator(new CampaignBatchJob(f.Builder, f.Database.Factory));
        using (new BackgroundJobServer(new BackgroundJobServerOptions { Activator = activator, Queues = ["default"], WorkerCount = 1 }, f.Storage))
        {
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (StateOf(jobId) is not ("Succeeded" or "Failed") && DateTime.UtcNow < deadline) await Task.Delay(200);
        }
        Assert.Equal("Succeeded", StateOf(jobId));
        var batches = await f.Campaigns.BatchesAsync(f.Merchant, campaign.Id);
        var row = Assert.Single(batches);
        Assert.Equal(PushBatchStatus.PendingApproval, row.Batch.Status);
        Assert.Equal(5, row.Summary!.AudienceSize);
        await using (var db = f.Database.CreateContext())
        {
            // Coverage is over the listed products (all of the first invoice, all available).
            var inScope = await db.Products.CountAsync(p => campaign.Scope.ProductIds.Contains(p.ExternalId) && p.IsAvailable);
            Assert.Equal(8, inScope);
            var pushed = (await db.PushMessages.Where(m => m.BatchId == row.Batch.Id).Select(m => m.ItemsJson).ToListAsync())
                .SelectMany(PushMessageItem.FromJson).Select(i => i.ExternalId).Distinct().Count();
            Assert.Equal((double)pushed / inScope, row.Summary.Coverage, 9);
        }
        Assert.All(row.Summary.SampleLists.SelectMany(s => s.Items), i => Assert.Contains(i.ProductExternalId, campaign.Scope.ProductIds));
        var list = Assert.Single((await f.Campaigns.ListAsync(f.Merchant)).Where(r => r.Campaign.Id == campaign.Id));
        Assert.Equal(PushBatchStatus.PendingApproval, list.LastBatchStatus);
        Assert.Equal(1, list.Batches);
    }

    private sealed class Activator(CampaignBatchJob job) : JobActivator
    {
        public override object ActivateJob(Type jobType) => jobType == typeof(CampaignBatchJob) ? job : base.ActivateJob(jobType);
    }
}
