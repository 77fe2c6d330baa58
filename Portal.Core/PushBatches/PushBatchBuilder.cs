using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Portal.Core.Access;
using Portal.Core.Audit;
using Portal.Core.Campaigns;
using Portal.Core.Ctr;
using Portal.Core.Data;
using Portal.Core.Embeddings;
using Portal.Core.PushLists;
using Portal.Core.Recommendation;
using Portal.Core.Training;

namespace Portal.Core.PushBatches;

/// <summary>The outcome of <see cref="PushBatchBuilder.BuildAsync"/>.</summary>
/// <param name="Batch">The batch for the occurrence (new or already built), null when nothing was built.</param>
/// <param name="Created">True when this call built it; false when it existed (a rerun) or was skipped.</param>
/// <param name="Skipped">Why nothing was built (campaign missing, not active, outside its dates), else null.</param>
public sealed record PushBatchBuildResult(PushBatch? Batch, bool Created, string? Skipped);

/// <summary>
/// Builds a campaign's <see cref="PushBatch"/> for one scheduled time: resolves the audience
/// (<see cref="CampaignAudiences"/>), moves each customer's delivery past the campaign's quiet hours in the customer's
/// local zone (<see cref="CountryTimeZones"/>, <see cref="QuietHours"/>), leaves out customers a push would put over a
/// frequency cap counted across all campaigns (<see cref="FrequencyCap"/>, over stored pending and delivered pushes),
/// ranks the rest with the push pipeline restricted to the campaign (<see cref="PushListService.CampaignRulesAsync"/>,
/// <see cref="PushListService.ForCustomersAsync"/>), and stores the batch, one <see cref="PushMessage"/> per customer
/// with a non-empty list, its <see cref="PushBatchSummary"/> (computed from the stored pushes) and a
/// <c>batch.build</c> audit entry in one transaction: the batch is stored whole or not at all. The batch is left in
/// <see cref="PushBatchStatus.PendingApproval"/> (the system submits it on behalf of the campaign's creator, who is its
/// <see cref="PushBatch.CreatedByUserId"/>). The unique index on (CampaignId, ScheduledFor) makes a rerun for the same
/// occurrence return the stored batch instead of building a second one.
/// </summary>
public sealed class PushBatchBuilder(IDbContextFactory<PortalDbContext> dbFactory, PushListService pushLists, ICtrModel ctr, ModelStore models,
    ILogger<PushBatchBuilder> logger)
{
    /// <summary>Default time zone of a merchant without a valid <see cref="Catalog.Merchant.TimeZone"/>.</summary>
    public const string DefaultZone = "Europe/London";

    /// <summary>Builds (or returns the already built) batch of campaign <paramref name="campaignId"/> for <paramref name="scheduledFor"/>.</summary>
    /// <param name="campaignId">Campaigns.Id.</param>
    /// <param name="scheduledFor">The occurrence (UTC; truncated to whole seconds).</param>
    /// <param name="ct">Cancellation.</param>
    /// <exception cref="PushModelUnavailableException">No active blend model (nothing is stored).</exception>
    public async Task<PushBatchBuildResult> BuildAsync(int campaignId, DateTime scheduledFor, CancellationToken ct = default)
    {
        scheduledFor = DateTime.SpecifyKind(new DateTime(scheduledFor.Ticks - scheduledFor.Ticks % TimeSpan.TicksPerSecond), DateTimeKind.Utc);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var campaign = await db.Campaigns.IgnoreQueryFilters().AsNoTracking().SingleOrDefaultAsync(c => c.Id == campaignId, ct);
        if (campaign is null) return new(null, false, $"Campaign {campaignId} does not exist.");
        var existing = await ExistingAsync(db, campaignId, scheduledFor, ct);
        if (existing is not null) return new(existing, false, null);
        if (campaign.Status != CampaignStatus.Active) return new(null, false, $"Campaign {campaignId} is {campaign.Status.ToString().ToLowerInvariant()}.");
        if (!campaign.InDateRange(scheduledFor)) return new(null, false, $"{scheduledFor:u} is outside campaign {campaignId}'s dates.");

        var merchant = await db.Merchants.AsNoTracking().SingleAsync(m => m.Id == campaign.MerchantId, ct);
        var merchantZone = NodaTime.DateTimeZoneProviders.Tzdb.GetZoneOrNull(merchant.TimeZone ?? DefaultZone) ?? CountryTimeZones.Zone(DefaultZone);
        var audience = await CampaignAudiences.ResolveAsync(db, campaign.MerchantId, campaign.Audience, ct);

        // Quiet hours first (a deferred push counts at its delivery time), then the caps over stored pushes.
        var quiet = campaign.QuietHoursStart is { } qs && campaign.QuietHoursEnd is { } qe ? new QuietHours(qs, qe) : (QuietHours?)null;
        var cap = new FrequencyCap(campaign.CapPerDay, campaign.CapPerWeek);
        var since = scheduledFor - FrequencyCap.Week - TimeSpan.FromDays(1);
        var recent = (await db.PushMessages.IgnoreQueryFilters().AsNoTracking()
                .Where(m => (m.Status == PushDeliveryStatus.Pending || m.Status == PushDeliveryStatus.Delivered) && m.NotBefore > since)
                // A rejected batch's pushes stay Pending but will never be sent: they use up no cap.
                .Join(db.PushBatches.IgnoreQueryFilters().Where(b => b.Status != PushBatchStatus.Rejected && b.Status != PushBatchStatus.Cancelled),
                    m => m.BatchId, b => b.Id, (m, b) => m)
                .Select(m => new { m.CustomerId, m.NotBefore }).ToListAsync(ct))
            .ToLookup(m => m.CustomerId, m => m.NotBefore);
        var eligible = new List<(AudienceMember Member, DateTime NotBefore)>(audience.Count);
        var capped = 0;
        foreach (var member in audience)
        {
            var notBefore = quiet?.Defer(scheduledFor, CountryTimeZones.ZoneOf(member.Country, merchantZone)) ?? scheduledFor;
            if (cap.IsCapped(notBefore, recent[member.CustomerId])) { capped++; continue; }
            eligible.Add((member, notBefore));
        }

        var rules = await pushLists.CampaignRulesAsync(campaign.MerchantId, campaign.Scope, ct);
        var lists = eligible.Count == 0 ? [] : await pushLists.ForCustomersAsync(eligible.Select(e => e.Member.ExternalId).ToList(), campaign.ListSize, rules, ct);
        var pushes = new List<(AudienceMember Member, DateTime NotBefore, IReadOnlyList<PushMessageItem> Items)>();
        for (var i = 0; i < lists.Count; i++)
        {
            var items = lists[i].Items.Select(e => new PushMessageItem(e.ProductId, e.ItemId, e.ProductName, e.RankerScore, e.Probability, ReasonLine(e.Reason))).ToList();
            if (items.Count > 0) pushes.Add((eligible[i].Member, eligible[i].NotBefore, items));
        }

        var scopeAvailable = await ScopeSizeAsync(db, merchant.Code, rules, ct);
        var similarity = await SimilarityAsync(db, merchant.Code, ct);
        var predicted = await PredictedCtrAsync(db, campaign.MerchantId, pushes.Select(p => p.Items).ToList(), ct);
        var segments = await SegmentsAsync(db, ct);

        var strategy = db.Database.CreateExecutionStrategy();
        try
        {
            return await strategy.ExecuteAsync(async () =>
            {
                db.ChangeTracker.Clear();
                await using var tx = await db.Database.BeginTransactionAsync(ct);
                var batch = new PushBatch
                {
                    MerchantId = campaign.MerchantId, CampaignId = campaign.Id, ScheduledFor = scheduledFor, CreatedAt = DateTime.UtcNow,
                    CreatedByUserId = campaign.CreatedByUserId, Status = PushBatchStatus.PendingApproval,
                };
                db.PushBatches.Add(batch);
                await db.SaveChangesAsync(ct);
                var messages = pushes.Select(p => (Push: new PushMessage
                {
                    MerchantId = campaign.MerchantId, BatchId = batch.Id, CustomerId = p.Member.CustomerId, ItemsJson = PushMessageItem.ToJson(p.Items),
                    ItemCount = p.Items.Count, IdempotencyKey = $"batch-{batch.Id}-customer-{p.Member.CustomerId}", NotBefore = p.NotBefore,
                    Status = PushDeliveryStatus.Pending,
                }, p.Member)).ToList();
                db.PushMessages.AddRange(messages.Select(m => m.Push));
                await db.SaveChangesAsync(ct);
                var summary = PushBatchSummaries.Compute(batch,
                    messages.Select(m => (m.Push, m.Member.ExternalId, segments.GetValueOrDefault(m.Member.CustomerId))).ToList(),
                    audience.Count, capped, scopeAvailable, similarity, predicted);
                batch.SummaryJson = PushBatchSummaries.ToJson(summary);
                AuditLog.Add(db, Actor.System, "batch.build", nameof(PushBatch), batch.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), batch.MerchantId, null,
                    new
                    {
                        batch.Id, batch.CampaignId, campaign = campaign.Name, batch.ScheduledFor, Status = batch.Status, SubmittedFor = batch.CreatedByUserId,
                        summary.AudienceSize, summary.Pushes, summary.ItemsPushed, summary.CappedCustomers, summary.DeferredByQuietHours,
                    });
                await db.SaveChangesAsync(ct);
                await tx.CommitAsync(ct);
                logger.LogInformation("Campaign {Campaign}: batch {Batch} for {At:u}: audience {Audience}, {Pushes} pushes, {Capped} capped, {Deferred} deferred.",
                    campaign.Id, batch.Id, scheduledFor, audience.Count, summary.Pushes, capped, summary.DeferredByQuietHours);
                return new PushBatchBuildResult(batch, true, null);
            });
        }
        catch (DbUpdateException)
        {
            // Another build of the same occurrence committed first: the unique index kept one batch.
            if (await ExistingAsync(db, campaignId, scheduledFor, CancellationToken.None) is { } raced) return new PushBatchBuildResult(raced, false, null);
            throw;
        }
    }

    private static async Task<PushBatch?> ExistingAsync(PortalDbContext db, int campaignId, DateTime scheduledFor, CancellationToken ct)
    {
        db.ChangeTracker.Clear();
        return await db.PushBatches.IgnoreQueryFilters().AsNoTracking().SingleOrDefaultAsync(b => b.CampaignId == campaignId && b.ScheduledFor == scheduledFor, ct);
    }

    /// <summary>One line of English: the reason kind and the past items it names.</summary>
    private static string ReasonLine(PreviewReason reason) =>
        reason.BecauseOf.Count == 0 ? reason.Kind : $"{reason.Kind}: {string.Join(", ", reason.BecauseOf.Select(b => b.ProductName))}";

    private static async Task<int> ScopeSizeAsync(PortalDbContext db, string merchantCode, PushRules rules, CancellationToken ct)
    {
        var unavailable = (await db.Products.AsNoTracking().Where(p => !p.IsAvailable && p.Merchant!.Code == merchantCode).Select(p => p.ExternalId).ToListAsync(ct))
            .Select(e => StoreInteractions.ItemKey(merchantCode, e)).ToHashSet(StringComparer.Ordinal);
        return rules.CampaignScope?.Count(k => !unavailable.Contains(k) && rules.Violation(k) is null) ?? 0;
    }

    /// <summary>
    /// Item similarity for the diversity figure: the cosine of the blend model's text vectors (those MMR uses), else
    /// of the active text2vec or item2vec model, else 1 for two products of the same interest topic (latest run) and 0 otherwise.
    /// </summary>
    private async Task<Func<string, string, double>> SimilarityAsync(PortalDbContext db, string merchantCode, CancellationToken ct)
    {
        foreach (var name in new[] { "blend", "text2vec", "item2vec" })
        {
            var serving = await models.GetActiveAsync(name, ct);
            var index = serving?.Recommender switch
            {
                BlendRecommender b => b.ItemVectors,
                IItemVectorModel v => v.Index,
                _ => null,
            };
            if (serving is null || index is null) continue;
            var data = serving.Data;
            return (a, b) =>
            {
                int x = data.ItemIndex(StoreInteractions.ItemKey(merchantCode, a)), y = data.ItemIndex(StoreInteractions.ItemKey(merchantCode, b));
                return x < 0 || y < 0 || x >= index.Count || y >= index.Count ? 0 : index.Cosine(x, y);
            };
        }
        var runId = await db.SegmentationRuns.Where(r => r.Status == Tiers.SegmentationStatus.Succeeded).OrderByDescending(r => r.Id).Select(r => (int?)r.Id).FirstOrDefaultAsync(ct);
        var topics = (await db.ProductTopics.AsNoTracking().Where(t => t.SegmentationRunId == runId)
                .Join(db.Products, t => t.ProductId, p => p.Id, (t, p) => new { p.ExternalId, t.TopicId }).ToListAsync(ct))
            .GroupBy(t => t.ExternalId, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First().TopicId, StringComparer.Ordinal);
        return (a, b) => topics.TryGetValue(a, out var ta) && topics.TryGetValue(b, out var tb) && ta == tb ? 1 : 0;
    }

    /// <summary>Mean click probability of every pushed item under the active CTR model (item features from the product's attributes), null without one.</summary>
    private async Task<double?> PredictedCtrAsync(PortalDbContext db, int merchantId, IReadOnlyList<IReadOnlyList<PushMessageItem>> lists, CancellationToken ct)
    {
        if (lists.Count == 0 || await ctr.ActiveVersionAsync(ct) is null) return null;
        var ids = lists.SelectMany(l => l.Select(i => i.ExternalId)).ToHashSet(StringComparer.Ordinal);
        var attributes = await db.Products.AsNoTracking().Where(p => p.MerchantId == merchantId && ids.Contains(p.ExternalId))
            .ToDictionaryAsync(p => p.ExternalId, p => p.AttributesJson, StringComparer.Ordinal, ct);
        var rows = new List<CtrFeatures>();
        foreach (var list in lists)
            for (var r = 0; r < list.Count; r++)
            {
                var (strings, numbers) = CtrFeatures.SplitJson(attributes.GetValueOrDefault(list[r].ExternalId));
                rows.Add(CtrFeatures.Build(list[r].ExternalId, r + 1, [], [], strings, numbers));
            }
        try
        {
            var p = await ctr.PredictAsync(rows, ct);
            return p is null || p.Length == 0 ? null : p.Average();
        }
        catch (FileNotFoundException e)
        {
            logger.LogWarning(e, "The active CTR model's artifact is missing; the batch has no predicted CTR.");
            return null;
        }
    }

    private static async Task<Dictionary<int, string?>> SegmentsAsync(PortalDbContext db, CancellationToken ct)
    {
        var runId = await db.SegmentationRuns.Where(r => r.Status == Tiers.SegmentationStatus.Succeeded).OrderByDescending(r => r.Id).Select(r => (int?)r.Id).FirstOrDefaultAsync(ct);
        if (runId is null) return [];
        return await db.CustomerTiers.AsNoTracking().Where(t => t.SegmentationRunId == runId).ToDictionaryAsync(t => t.CustomerId, t => t.Segment, ct);
    }
}
