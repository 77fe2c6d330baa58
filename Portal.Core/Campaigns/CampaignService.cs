using System.Globalization;
using FluentValidation;
using Microsoft.EntityFrameworkCore;
using Portal.Core.Access;
using Portal.Core.Audit;
using Portal.Core.Catalog;
using Portal.Core.Data;
using Portal.Core.PushBatches;
using Portal.Core.PushLists;

namespace Portal.Core.Campaigns;

/// <summary>A campaign in the list, with its next build time and its latest batch.</summary>
/// <param name="Campaign">The campaign.</param>
/// <param name="NextRun">Next scheduled build (UTC), null when none.</param>
/// <param name="LastBatchStatus">Status of the latest batch, null when none was built.</param>
/// <param name="LastBatchAt">Scheduled time of the latest batch (UTC).</param>
/// <param name="Batches">Batches built so far.</param>
public sealed record CampaignRow(Campaign Campaign, DateTime? NextRun, PushBatchStatus? LastBatchStatus, DateTime? LastBatchAt, int Batches);

/// <summary>A batch of a campaign with its summary.</summary>
/// <param name="Batch">The batch.</param>
/// <param name="Summary">Its summary (null when none was stored).</param>
public sealed record CampaignBatchRow(PushBatch Batch, PushBatchSummary? Summary);

/// <summary>One sample customer's list in the form's preview.</summary>
/// <param name="CustomerId">The customer's source id.</param>
/// <param name="Items">The list, best first.</param>
public sealed record CampaignSampleList(string CustomerId, IReadOnlyList<PushListEntry> Items);

/// <summary>What the campaign form offers to choose from for a merchant.</summary>
/// <param name="MerchantId">The merchant.</param>
/// <param name="Currency">Its currency (ISO 4217).</param>
/// <param name="Categories">Category id and path.</param>
/// <param name="Topics">Interest topic id and name.</param>
/// <param name="Clusters">Interest cluster numbers of the latest segmentation run.</param>
public sealed record CampaignFormOptions(int MerchantId, string Currency, IReadOnlyList<(int Id, string Path)> Categories,
    IReadOnlyList<(int Id, string Name)> Topics, IReadOnlyList<int> Clusters);

/// <summary>Thrown when campaign settings are invalid; <see cref="Errors"/> holds one message per field.</summary>
/// <param name="errors">Property name → messages.</param>
public sealed class CampaignValidationException(IReadOnlyDictionary<string, string[]> errors)
    : Exception("The campaign is not valid: " + string.Join(" ", errors.SelectMany(e => e.Value)))
{
    /// <summary>Property name of <see cref="CampaignInput"/> → messages.</summary>
    public IReadOnlyDictionary<string, string[]> Errors { get; } = errors;
}

/// <summary>
/// Merchants' campaigns: create, update, pause, resume and end them (each change stored with its <c>campaign.*</c>
/// audit entry in the same SaveChanges, with the state before and after), keep Hangfire's schedule in step
/// (<see cref="CampaignScheduler"/>), preview the audience size and sample lists before saving, read uploaded customer
/// lists, and list campaigns with their batches. Every method takes the acting <see cref="Actor"/>: a merchant account
/// only reaches its own merchant's campaigns (others are reported as not found).
/// </summary>
public sealed class CampaignService(IDbContextFactory<PortalDbContext> dbFactory, PushListService pushLists, CampaignScheduler scheduler)
{
    private static readonly CampaignInputValidator Validator = new();

    /// <summary>The merchant a new campaign of <paramref name="actor"/> belongs to: the actor's, else the default merchant.</summary>
    /// <param name="actor">Who acts.</param>
    /// <param name="ct">Cancellation.</param>
    /// <exception cref="InvalidOperationException">No merchant exists yet (nothing imported).</exception>
    public async Task<int> DefaultMerchantIdAsync(Actor actor, CancellationToken ct = default)
    {
        if (actor.MerchantId is { } m) return m;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Merchants.OrderBy(x => x.Code == Merchant.DefaultCode ? 0 : 1).ThenBy(x => x.Id).Select(x => (int?)x.Id).FirstOrDefaultAsync(ct)
            ?? throw new InvalidOperationException("No merchant exists yet: import a catalogue or behaviour file first.");
    }

    /// <summary>The categories, topics and clusters the form offers for <paramref name="merchantId"/>.</summary>
    /// <param name="actor">Who acts.</param>
    /// <param name="merchantId">The merchant.</param>
    /// <param name="ct">Cancellation.</param>
    /// <exception cref="UnauthorizedAccessException">The actor may not see this merchant.</exception>
    public async Task<CampaignFormOptions> FormOptionsAsync(Actor actor, int merchantId, CancellationToken ct = default)
    {
        Authorize(actor, merchantId);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var currency = await db.Merchants.Where(m => m.Id == merchantId).Select(m => m.Currency).SingleAsync(ct);
        var categories = (await db.Categories.AsNoTracking().Where(c => c.MerchantId == merchantId).OrderBy(c => c.Path).Select(c => new { c.Id, c.Path }).ToListAsync(ct))
            .Select(c => (c.Id, c.Path)).ToList();
        var topics = (await db.InterestTopics.AsNoTracking().OrderBy(t => t.Id).ToListAsync(ct)).Select(t => (t.Id, t.DisplayName)).ToList();
        var runId = await db.SegmentationRuns.Where(r => r.Status == Tiers.SegmentationStatus.Succeeded).OrderByDescending(r => r.Id).Select(r => (int?)r.Id).FirstOrDefaultAsync(ct);
        var clusters = await db.CustomerTiers.Where(t => t.SegmentationRunId == runId && t.Cluster > 0).Select(t => t.Cluster).Distinct().OrderBy(c => c).ToListAsync(ct);
        return new CampaignFormOptions(merchantId, currency, categories, topics, clusters);
    }

    /// <summary>The campaigns the actor may see, newest first, with next run and latest batch.</summary>
    /// <param name="actor">Who acts.</param>
    /// <param name="ct">Cancellation.</param>
    public async Task<IReadOnlyList<CampaignRow>> ListAsync(Actor actor, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var campaigns = await Visible(db, actor).AsNoTracking().OrderByDescending(c => c.Id).ToListAsync(ct);
        var ids = campaigns.Select(c => c.Id).ToList();
        var batches = (await db.PushBatches.AsNoTracking().Where(b => ids.Contains(b.CampaignId)).Select(b => new { b.CampaignId, b.Id, b.Status, b.ScheduledFor }).ToListAsync(ct))
            .ToLookup(b => b.CampaignId);
        var now = DateTime.UtcNow;
        return campaigns.Select(c =>
        {
            var last = batches[c.Id].OrderByDescending(b => b.ScheduledFor).ThenByDescending(b => b.Id).FirstOrDefault();
            return new CampaignRow(c, CampaignScheduler.NextRun(c, now), last?.Status, last?.ScheduledFor, batches[c.Id].Count());
        }).ToList();
    }

    /// <summary>One campaign, or null when it does not exist or the actor may not see it.</summary>
    /// <param name="actor">Who acts.</param>
    /// <param name="id">Campaigns.Id.</param>
    /// <param name="ct">Cancellation.</param>
    public async Task<Campaign?> GetAsync(Actor actor, int id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await Visible(db, actor).AsNoTracking().SingleOrDefaultAsync(c => c.Id == id, ct);
    }

    /// <summary>The campaign's batches, newest first, with their summaries (empty when the actor may not see the campaign).</summary>
    /// <param name="actor">Who acts.</param>
    /// <param name="id">Campaigns.Id.</param>
    /// <param name="ct">Cancellation.</param>
    public async Task<IReadOnlyList<CampaignBatchRow>> BatchesAsync(Actor actor, int id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (!await Visible(db, actor).AnyAsync(c => c.Id == id, ct)) return [];
        var batches = await db.PushBatches.AsNoTracking().Where(b => b.CampaignId == id).OrderByDescending(b => b.ScheduledFor).ThenByDescending(b => b.Id).ToListAsync(ct);
        return batches.Select(b => new CampaignBatchRow(b, PushBatchSummaries.FromJson(b.SummaryJson))).ToList();
    }

    /// <summary>Creates a campaign for <paramref name="merchantId"/> and schedules its builds.</summary>
    /// <param name="actor">Who acts (becomes the creator).</param>
    /// <param name="merchantId">The merchant.</param>
    /// <param name="input">The settings.</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>The stored campaign.</returns>
    /// <exception cref="CampaignValidationException">Invalid settings or a name the merchant already uses (nothing stored).</exception>
    /// <exception cref="UnauthorizedAccessException">The actor may not act for this merchant.</exception>
    public async Task<Campaign> CreateAsync(Actor actor, int merchantId, CampaignInput input, CancellationToken ct = default)
    {
        Authorize(actor, merchantId);
        Validate(input);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await EnsureUniqueNameAsync(db, merchantId, input.Name.Trim(), null, ct);
        var now = DateTime.UtcNow;
        var campaign = new Campaign { MerchantId = merchantId, Name = input.Name.Trim(), CreatedByUserId = actor.UserId, CreatedAt = now, UpdatedAt = now };
        input.ApplyTo(campaign);
        db.Campaigns.Add(campaign);
        await SaveWithAuditAsync(db, actor, campaign, "campaign.create", null, ct);
        return campaign;
    }

    /// <summary>Changes a campaign's settings and reschedules it.</summary>
    /// <param name="actor">Who acts.</param>
    /// <param name="id">Campaigns.Id.</param>
    /// <param name="input">The new settings.</param>
    /// <param name="ct">Cancellation.</param>
    /// <exception cref="KeyNotFoundException">No such campaign visible to the actor.</exception>
    /// <exception cref="CampaignValidationException">Invalid settings (nothing stored).</exception>
    /// <exception cref="InvalidOperationException">The campaign has ended.</exception>
    public async Task<Campaign> UpdateAsync(Actor actor, int id, CampaignInput input, CancellationToken ct = default)
    {
        Validate(input);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var campaign = await Visible(db, actor).SingleOrDefaultAsync(c => c.Id == id, ct) ?? throw new KeyNotFoundException($"No campaign {id}.");
        if (campaign.Status == CampaignStatus.Ended) throw new InvalidOperationException($"Campaign {id} has ended and cannot be changed.");
        await EnsureUniqueNameAsync(db, campaign.MerchantId, input.Name.Trim(), id, ct);
        var before = Snapshot(campaign);
        input.ApplyTo(campaign);
        campaign.UpdatedAt = DateTime.UtcNow;
        await SaveWithAuditAsync(db, actor, campaign, "campaign.update", before, ct);
        return campaign;
    }

    /// <summary>Pauses (<see cref="CampaignStatus.Paused"/>), resumes (<see cref="CampaignStatus.Active"/>) or ends (<see cref="CampaignStatus.Ended"/>, archived for good) a campaign.</summary>
    /// <param name="actor">Who acts.</param>
    /// <param name="id">Campaigns.Id.</param>
    /// <param name="status">The new status.</param>
    /// <param name="ct">Cancellation.</param>
    /// <exception cref="KeyNotFoundException">No such campaign visible to the actor.</exception>
    /// <exception cref="InvalidOperationException">An ended campaign cannot change status.</exception>
    public async Task<Campaign> SetStatusAsync(Actor actor, int id, CampaignStatus status, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var campaign = await Visible(db, actor).SingleOrDefaultAsync(c => c.Id == id, ct) ?? throw new KeyNotFoundException($"No campaign {id}.");
        if (campaign.Status == status) return campaign;
        if (campaign.Status == CampaignStatus.Ended) throw new InvalidOperationException($"Campaign {id} has ended and cannot be {status.ToString().ToLowerInvariant()}.");
        var before = Snapshot(campaign);
        campaign.Status = status;
        campaign.UpdatedAt = DateTime.UtcNow;
        var action = status switch { CampaignStatus.Paused => "campaign.pause", CampaignStatus.Ended => "campaign.end", _ => "campaign.resume" };
        await SaveWithAuditAsync(db, actor, campaign, action, before, ct);
        return campaign;
    }

    /// <summary>Enqueues a build of the campaign's batch for the current time ("Build now").</summary>
    /// <param name="actor">Who acts.</param>
    /// <param name="id">Campaigns.Id.</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>The Hangfire job id.</returns>
    /// <exception cref="KeyNotFoundException">No such campaign visible to the actor.</exception>
    /// <exception cref="InvalidOperationException">The campaign is not active.</exception>
    public async Task<string> BuildNowAsync(Actor actor, int id, CancellationToken ct = default)
    {
        var campaign = await GetAsync(actor, id, ct) ?? throw new KeyNotFoundException($"No campaign {id}.");
        if (campaign.Status != CampaignStatus.Active) throw new InvalidOperationException($"Campaign {id} is {campaign.Status.ToString().ToLowerInvariant()}: resume it first.");
        var now = DateTime.UtcNow;
        return scheduler.BuildNow(id, new DateTime(now.Ticks - now.Ticks % TimeSpan.TicksPerSecond, DateTimeKind.Utc));
    }

    /// <summary>Customers the audience of <paramref name="input"/> selects for <paramref name="merchantId"/> now.</summary>
    /// <param name="actor">Who acts.</param>
    /// <param name="merchantId">The merchant.</param>
    /// <param name="input">The (unsaved) settings.</param>
    /// <param name="ct">Cancellation.</param>
    /// <exception cref="UnauthorizedAccessException">The actor may not see this merchant.</exception>
    public async Task<int> PreviewAudienceSizeAsync(Actor actor, int merchantId, CampaignInput input, CancellationToken ct = default)
    {
        Authorize(actor, merchantId);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return (await CampaignAudiences.ResolveAsync(db, merchantId, input.ToAudience(), ct)).Count;
    }

    /// <summary>
    /// The push lists of up to <paramref name="samples"/> audience customers (spread evenly over the audience by id) under
    /// the unsaved settings: the push pipeline restricted to the campaign's product scope, <see cref="CampaignInput.ListSize"/> items.
    /// </summary>
    /// <param name="actor">Who acts.</param>
    /// <param name="merchantId">The merchant.</param>
    /// <param name="input">The (unsaved) settings.</param>
    /// <param name="samples">Customers, 1 to 20.</param>
    /// <param name="ct">Cancellation.</param>
    /// <exception cref="PushModelUnavailableException">No active blend model.</exception>
    /// <exception cref="UnauthorizedAccessException">The actor may not see this merchant.</exception>
    public async Task<IReadOnlyList<CampaignSampleList>> PreviewListsAsync(Actor actor, int merchantId, CampaignInput input, int samples = 3, CancellationToken ct = default)
    {
        Authorize(actor, merchantId);
        ArgumentOutOfRangeException.ThrowIfLessThan(samples, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(samples, 20);
        List<AudienceMember> audience;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
            audience = await CampaignAudiences.ResolveAsync(db, merchantId, input.ToAudience(), ct);
        if (audience.Count == 0) return [];
        var picks = Enumerable.Range(0, Math.Min(samples, audience.Count)).Select(i => audience[(int)((long)i * audience.Count / Math.Min(samples, audience.Count))].ExternalId).ToList();
        var scope = input.ToScope();
        if (scope.PriceMin is { } lo && scope.PriceMax is { } hi && lo > hi) return [];
        var rules = await pushLists.CampaignRulesAsync(merchantId, scope, ct);
        var lists = await pushLists.ForCustomersAsync(picks, Math.Clamp(input.ListSize, 1, CampaignInputValidator.MaxListSize), rules, ct);
        return lists.Select(l => new CampaignSampleList(l.CustomerId, l.Items)).ToList();
    }

    /// <summary>Reads an uploaded customer list (<see cref="CustomerListCsv"/>) against the merchant's customers.</summary>
    /// <param name="actor">Who acts.</param>
    /// <param name="merchantId">The merchant (only its customers are taken).</param>
    /// <param name="csv">The file's text.</param>
    /// <param name="fileName">The file's name.</param>
    /// <param name="ct">Cancellation.</param>
    /// <exception cref="CustomerListFormatException">The file has no <c>customer_id</c> column or too many rows.</exception>
    public async Task<CustomerList> ReadCustomerListAsync(Actor actor, int merchantId, TextReader csv, string fileName, CancellationToken ct = default)
    {
        Authorize(actor, merchantId);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var merchantCustomers = db.Events.Where(e => e.Product!.MerchantId == merchantId).Select(e => e.CustomerId).Distinct();
        var known = (await db.Customers.AsNoTracking().Where(c => merchantCustomers.Contains(c.Id)).Select(c => c.ExternalId).ToListAsync(ct)).ToHashSet(StringComparer.Ordinal);
        return CustomerListCsv.Parse(csv, fileName, known.Contains);
    }

    /// <summary>Messages per field of <paramref name="input"/> (empty when valid).</summary>
    /// <param name="input">The settings.</param>
    public static IReadOnlyDictionary<string, string[]> Errors(CampaignInput input) =>
        Validator.Validate(input).Errors.GroupBy(e => e.PropertyName).ToDictionary(g => g.Key, g => g.Select(e => e.ErrorMessage).Distinct().ToArray());

    private static void Validate(CampaignInput input)
    {
        var errors = Errors(input);
        if (errors.Count > 0) throw new CampaignValidationException(errors);
    }

    private static async Task EnsureUniqueNameAsync(PortalDbContext db, int merchantId, string name, int? self, CancellationToken ct)
    {
        if (await db.Campaigns.IgnoreQueryFilters().AnyAsync(c => c.MerchantId == merchantId && c.Name == name && c.Id != self, ct))
            throw new CampaignValidationException(new Dictionary<string, string[]> { [nameof(CampaignInput.Name)] = [$"A campaign named '{name}' already exists."] });
    }

    private async Task SaveWithAuditAsync(PortalDbContext db, Actor actor, Campaign campaign, string action, object? before, CancellationToken ct)
    {
        var strategy = db.Database.CreateExecutionStrategy();
        await strategy.ExecuteAsync(async () =>
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            await db.SaveChangesAsync(ct); // the id of a new campaign
            scheduler.Sync(campaign);
            AuditLog.Add(db, actor, action, nameof(Campaign), campaign.Id.ToString(CultureInfo.InvariantCulture), campaign.MerchantId, before, Snapshot(campaign));
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
        });
    }

    private static object Snapshot(Campaign c) => new
    {
        c.Id, c.MerchantId, c.Name, c.Goal, c.Status, Audience = CampaignJson.Write(c.Audience), Scope = CampaignJson.Write(c.Scope), c.ListSize, c.Channel,
        c.ScheduleKind, c.RunAt, c.Cron, c.CapPerDay, c.CapPerWeek, c.QuietHoursStart, c.QuietHoursEnd, c.StartDate, c.EndDate,
    };

    private static IQueryable<Campaign> Visible(PortalDbContext db, Actor actor) =>
        actor.IsStaff ? db.Campaigns : actor.MerchantId is { } m ? db.Campaigns.Where(c => c.MerchantId == m) : db.Campaigns.Where(c => false);

    private static void Authorize(Actor actor, int merchantId)
    {
        if (!actor.CanSeeMerchant(merchantId)) throw new UnauthorizedAccessException($"{actor.UserName} may not act for merchant {merchantId}.");
    }
}
