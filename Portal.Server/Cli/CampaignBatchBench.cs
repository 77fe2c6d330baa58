using System.Diagnostics;
using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Portal.Core.Campaigns;
using Portal.Core.Data;
using Portal.Core.PushBatches;
using Portal.Core.Recommendation;

namespace Portal.Server.Cli;

/// <summary>
/// <c>bench campaign-batch</c>: builds one push batch (<see cref="PushBatchBuilder"/>) for a campaign that targets every
/// customer of the default merchant with <c>--sample</c> items per list (default 20, at most 50) on the data folder's database
/// (<c>--data-dir</c>, a portal's data folder after its first start: the blend model must be active), then rebuilds the same
/// occurrence (the idempotent no-op). Prints the wall times, per-customer time and the batch's summary. The bench campaign,
/// its batch, pushes and audit entries are deleted afterwards.
/// </summary>
public static class CampaignBatchBench
{
    /// <summary>Runs the benchmark; prints <c>bench=campaign-batch ...</c> lines on standard output.</summary>
    /// <param name="c">The bench context (data directory, sample = list size).</param>
    /// <returns>0, or 1 when no blend model is active.</returns>
    public static async Task<int> RunAsync(BenchVerb.Context c)
    {
        await using var sp = PortalBenchmarks.Services(c.DataDirectory);
        var contexts = sp.GetRequiredService<IDbContextFactory<PortalDbContext>>();
        if (await sp.GetRequiredService<ModelStore>().GetActiveAsync("blend", c.Ct) is null)
        {
            await c.Stderr.WriteLineAsync($"no active blend model in {c.DataDirectory}: start the portal once with blend in Bootstrap:Models, or pass --data-dir.");
            return 1;
        }
        var listSize = Math.Clamp(c.Sample == 1000 ? 20 : c.Sample, 1, CampaignInputValidator.MaxListSize);
        Campaign campaign;
        await using (var db = await contexts.CreateDbContextAsync(c.Ct))
        {
            var merchant = await db.Merchants.OrderBy(m => m.Code == Portal.Core.Catalog.Merchant.DefaultCode ? 0 : 1).ThenBy(m => m.Id).FirstAsync(c.Ct);
            // Stored directly (not through CampaignService) so that no Hangfire job is scheduled in the portal's job storage.
            campaign = new Campaign
            {
                MerchantId = merchant.Id, Name = "bench " + Guid.NewGuid().ToString("n")[..8], CreatedByUserId = "bench", CreatedAt = DateTime.UtcNow,
                UpdatedAt = DateTime.UtcNow, ListSize = listSize, StartDate = DateOnly.FromDateTime(DateTime.UtcNow.AddDays(-1)),
                QuietHoursStart = new TimeOnly(21, 0), QuietHoursEnd = new TimeOnly(8, 0), CapPerDay = 3, CapPerWeek = 10,
            };
            db.Campaigns.Add(campaign);
            await db.SaveChangesAsync(c.Ct);
        }
        try
        {
            var builder = sp.GetRequiredService<PushBatchBuilder>();
            var at = DateTime.UtcNow;
            var clock = Stopwatch.StartNew();
            var result = await builder.BuildAsync(campaign.Id, at, c.Ct);
            var build = clock.Elapsed.TotalSeconds;
            clock.Restart();
            var again = await builder.BuildAsync(campaign.Id, at, c.Ct);
            var rerun = clock.Elapsed.TotalMilliseconds;
            var s = PushBatchSummaries.FromJson(result.Batch!.SummaryJson)!;
            c.Stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"bench=campaign-batch list_size={listSize} audience={s.AudienceSize} pushes={s.Pushes} items={s.ItemsPushed} capped={s.CappedCustomers} " +
                $"deferred={s.DeferredByQuietHours} build_s={build:F1} ms_per_customer={build * 1000 / Math.Max(1, s.AudienceSize):F2} rerun_ms={rerun:F0} " +
                $"rerun_same_batch={again.Batch?.Id == result.Batch.Id && !again.Created} coverage={s.Coverage:F4} ild={s.IntraListDiversity:F4} " +
                $"predicted_ctr={(s.PredictedCtr is { } p ? p.ToString("F4", CultureInfo.InvariantCulture) : "none")}"));
            return 0;
        }
        finally
        {
            await using var db = await contexts.CreateDbContextAsync(CancellationToken.None);
            var batchIds = await db.PushBatches.Where(b => b.CampaignId == campaign.Id).Select(b => b.Id.ToString()).ToListAsync(CancellationToken.None);
            await db.AuditEntries.Where(a => a.EntityType == nameof(PushBatch) && batchIds.Contains(a.EntityId)).ExecuteDeleteAsync(CancellationToken.None);
            await db.Campaigns.Where(x => x.Id == campaign.Id).ExecuteDeleteAsync(CancellationToken.None); // batches and pushes cascade
        }
    }
}
