using Cronos;
using Hangfire;
using Microsoft.EntityFrameworkCore;
using Portal.Core.Data;
using Portal.Core.PushBatches;

namespace Portal.Core.Campaigns;

/// <summary>
/// The Hangfire jobs (queue <c>default</c>) that build a campaign's push batches with <see cref="PushBatchBuilder"/>:
/// <see cref="BuildOccurrenceAsync"/> is the recurring job <c>campaign-{id}</c> of a cron campaign (it builds the batch
/// of the latest occurrence at or before now), <see cref="BuildAtAsync"/> the scheduled job of a once campaign and
/// the "Build now" action. A retry of either rebuilds the same occurrence, which the builder turns into a no-op.
/// </summary>
public sealed class CampaignBatchJob(PushBatchBuilder builder, IDbContextFactory<PortalDbContext> dbFactory)
{
    /// <summary>Builds the batch of <paramref name="campaignId"/> for <paramref name="scheduledFor"/>.</summary>
    /// <param name="campaignId">Campaigns.Id.</param>
    /// <param name="scheduledFor">The occurrence (UTC).</param>
    /// <param name="ct">Cancellation (server shutdown).</param>
    /// <returns>The batch id, or null when the campaign is missing, not active or outside its dates.</returns>
    [Queue("default")]
    [AutomaticRetry(Attempts = 3)]
    public async Task<int?> BuildAtAsync(int campaignId, DateTime scheduledFor, CancellationToken ct) =>
        (await builder.BuildAsync(campaignId, scheduledFor, ct)).Batch?.Id;

    /// <summary>Builds the batch of the cron campaign's latest occurrence at or before now (UTC).</summary>
    /// <param name="campaignId">Campaigns.Id.</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>The batch id, or null when there is nothing to build.</returns>
    [Queue("default")]
    [AutomaticRetry(Attempts = 3)]
    public async Task<int?> BuildOccurrenceAsync(int campaignId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var cron = await db.Campaigns.IgnoreQueryFilters().Where(c => c.Id == campaignId).Select(c => c.Cron).SingleOrDefaultAsync(ct);
        if (cron is null) return null;
        var occurrence = LatestOccurrence(CronExpression.Parse(cron, CronFormat.Standard), DateTime.UtcNow);
        return occurrence is null ? null : await BuildAtAsync(campaignId, occurrence.Value, ct);
    }

    /// <summary>The latest occurrence of <paramref name="cron"/> (UTC) at or before <paramref name="nowUtc"/>, searching up to a year back; null when none.</summary>
    /// <param name="cron">The expression.</param>
    /// <param name="nowUtc">Now (UTC).</param>
    public static DateTime? LatestOccurrence(CronExpression cron, DateTime nowUtc)
    {
        nowUtc = DateTime.SpecifyKind(nowUtc, DateTimeKind.Utc);
        foreach (var back in new[] { TimeSpan.FromHours(1), TimeSpan.FromDays(1), TimeSpan.FromDays(32), TimeSpan.FromDays(367) })
        {
            DateTime? last = null;
            foreach (var t in cron.GetOccurrences(nowUtc - back, nowUtc, fromInclusive: true, toInclusive: true)) last = t;
            if (last is not null) return last;
        }
        return null;
    }
}

/// <summary>
/// Keeps Hangfire's schedule in step with a campaign: an active cron campaign has the recurring job
/// <c>campaign-{id}</c> (cron in UTC); an active once campaign has one scheduled job at its time; paused and ended
/// campaigns have neither.
/// </summary>
public sealed class CampaignScheduler(IRecurringJobManager recurring, IBackgroundJobClient jobs)
{
    /// <summary>Adds, updates or removes the campaign's jobs and sets <see cref="Campaign.ScheduledJobId"/> (the caller saves it).</summary>
    /// <param name="campaign">The campaign, after its change.</param>
    public void Sync(Campaign campaign)
    {
        var id = Campaign.RecurringJobId(campaign.Id);
        if (campaign.ScheduledJobId is { } old) { jobs.Delete(old); campaign.ScheduledJobId = null; }
        if (campaign.Status != CampaignStatus.Active) { recurring.RemoveIfExists(id); return; }
        if (campaign.ScheduleKind == ScheduleKind.Cron && campaign.Cron is { } cron)
        {
            recurring.AddOrUpdate<CampaignBatchJob>(id, "default", j => j.BuildOccurrenceAsync(campaign.Id, CancellationToken.None), cron,
                new RecurringJobOptions { TimeZone = TimeZoneInfo.Utc });
            return;
        }
        recurring.RemoveIfExists(id);
        if (campaign.RunAt is { } at)
        {
            var campaignId = campaign.Id;
            campaign.ScheduledJobId = jobs.Schedule<CampaignBatchJob>(j => j.BuildAtAsync(campaignId, at, CancellationToken.None), new DateTimeOffset(DateTime.SpecifyKind(at, DateTimeKind.Utc)));
        }
    }

    /// <summary>Enqueues a build of <paramref name="campaignId"/> for <paramref name="at"/> now (the "Build now" action).</summary>
    /// <param name="campaignId">Campaigns.Id.</param>
    /// <param name="at">The occurrence to build (UTC).</param>
    /// <returns>The Hangfire job id.</returns>
    public string BuildNow(int campaignId, DateTime at) => jobs.Enqueue<CampaignBatchJob>(j => j.BuildAtAsync(campaignId, at, CancellationToken.None));

    /// <summary>The next build time (UTC) after <paramref name="nowUtc"/> within the campaign's dates, or null.</summary>
    /// <param name="campaign">The campaign.</param>
    /// <param name="nowUtc">Now.</param>
    public static DateTime? NextRun(Campaign campaign, DateTime nowUtc)
    {
        if (campaign.Status != CampaignStatus.Active) return null;
        nowUtc = DateTime.SpecifyKind(nowUtc, DateTimeKind.Utc);
        if (campaign.ScheduleKind == ScheduleKind.Once)
            return campaign.RunAt is { } at && at > nowUtc && campaign.InDateRange(at) ? at : null;
        if (campaign.Cron is null || CampaignInputValidator.CronError(campaign.Cron) is not null) return null;
        var from = campaign.StartDate.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
        var next = CronExpression.Parse(campaign.Cron, CronFormat.Standard).GetNextOccurrence(from > nowUtc ? from.AddTicks(-1) : nowUtc);
        return next is { } n && campaign.InDateRange(n) ? n : null;
    }
}
