using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Portal.Core.Audit;
using Portal.Core.Data;

namespace Portal.Core.PushBatches;

/// <summary>One batch as the Operations pages list it.</summary>
/// <param name="Id">Batch id.</param>
/// <param name="CampaignId">Campaign id.</param>
/// <param name="CampaignName">Campaign name.</param>
/// <param name="MerchantId">Merchant id.</param>
/// <param name="MerchantName">Merchant display name.</param>
/// <param name="Status">Life-cycle status.</param>
/// <param name="ScheduledFor">The occurrence it was built for (UTC).</param>
/// <param name="CreatedAt">When it was built (UTC).</param>
/// <param name="CreatedByUserId">Creator (the approver must differ).</param>
/// <param name="ApprovedByUserId">Approver, if approved.</param>
/// <param name="ApprovedAt">When approved (UTC).</param>
/// <param name="SentAt">When the last push went out (UTC).</param>
/// <param name="RejectionReason">Reason of the last rejection.</param>
/// <param name="Version">Concurrency token the page sends back with a decision.</param>
/// <param name="Summary">The stored summary (null when missing or unreadable).</param>
/// <param name="Progress">Delivery counts.</param>
/// <param name="Channel">The delivery channel: <see cref="Delivery.PushChannels.Webhook"/> or <see cref="Delivery.PushChannels.File"/>.</param>
/// <param name="Destination">Where pushes go: the webhook URL with the secret masked (<c>https://… (secret ••••abcd)</c>), or the file sink.</param>
public sealed record PushBatchRow(int Id, int CampaignId, string CampaignName, int MerchantId, string MerchantName, PushBatchStatus Status,
    DateTime ScheduledFor, DateTime CreatedAt, string CreatedByUserId, string? ApprovedByUserId, DateTime? ApprovedAt, DateTime? SentAt,
    string? RejectionReason, Guid Version, PushBatchSummary? Summary, Delivery.DeliveryProgress Progress, string Channel = Delivery.PushChannels.File,
    string Destination = "");

/// <summary>One status change of a batch, from the audit log.</summary>
/// <param name="At">When (UTC).</param>
/// <param name="UserName">Who.</param>
/// <param name="Action">The audit action (<c>batch.approve</c>, ...).</param>
/// <param name="From">Status before (null for entries without one).</param>
/// <param name="To">Status after.</param>
/// <param name="Reason">The rejection reason written with the change, if any.</param>
public sealed record PushBatchHistoryEntry(DateTime At, string UserName, string Action, string? From, string? To, string? Reason);

/// <summary>One push of a batch for the detail page.</summary>
/// <param name="Id">PushMessages.Id.</param>
/// <param name="CustomerId">Customers.Id.</param>
/// <param name="CustomerExternalId">The customer's id in the merchant's data.</param>
/// <param name="Status">Delivery status.</param>
/// <param name="Attempts">Delivery attempts.</param>
/// <param name="NotBefore">Earliest delivery time (UTC).</param>
/// <param name="DeliveredAt">When delivered (UTC).</param>
/// <param name="Items">Item names in rank order.</param>
/// <param name="LastError">Last delivery error.</param>
public sealed record PushRow(long Id, int CustomerId, string CustomerExternalId, PushDeliveryStatus Status, int Attempts, DateTime NotBefore, DateTime? DeliveredAt,
    IReadOnlyList<string> Items, string? LastError);

/// <summary>Read side of the Operations pages: the approval queue, a campaign's previous batch, history and pushes.</summary>
/// <param name="dbFactory">The database.</param>
public sealed class PushBatchQueries(IDbContextFactory<PortalDbContext> dbFactory)
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNameCaseInsensitive = true };

    /// <summary>Batches in <paramref name="statuses"/> (all when empty), newest first, at most <paramref name="take"/>.</summary>
    /// <param name="statuses">Statuses to list.</param>
    /// <param name="take">Row limit (1..1000).</param>
    /// <param name="ct">Cancellation.</param>
    public async Task<IReadOnlyList<PushBatchRow>> ListAsync(IReadOnlyCollection<PushBatchStatus> statuses, int take = 100, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var q = db.PushBatches.AsNoTracking();
        if (statuses.Count > 0) q = q.Where(b => statuses.Contains(b.Status));
        var ids = await q.OrderByDescending(b => b.CreatedAt).ThenByDescending(b => b.Id).Take(Math.Clamp(take, 1, 1000)).Select(b => b.Id).ToListAsync(ct);
        return await RowsAsync(db, ids, ct);
    }

    /// <summary>One batch, or null.</summary>
    /// <param name="batchId">The batch.</param>
    /// <param name="ct">Cancellation.</param>
    public async Task<PushBatchRow?> GetAsync(int batchId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return (await RowsAsync(db, [batchId], ct)).SingleOrDefault();
    }

    /// <summary>
    /// The same campaign's previous batch: the latest one scheduled before <paramref name="batch"/> that got past
    /// Draft (what the approver compares with), or null.
    /// </summary>
    /// <param name="batch">The batch under review.</param>
    /// <param name="ct">Cancellation.</param>
    public async Task<PushBatchRow?> PreviousAsync(PushBatchRow batch, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var id = await db.PushBatches.AsNoTracking()
            .Where(b => b.CampaignId == batch.CampaignId && b.Id != batch.Id && b.ScheduledFor < batch.ScheduledFor && b.Status != PushBatchStatus.Draft)
            .OrderByDescending(b => b.ScheduledFor).Select(b => (int?)b.Id).FirstOrDefaultAsync(ct);
        return id is null ? null : (await RowsAsync(db, [id.Value], ct)).SingleOrDefault();
    }

    /// <summary>The batch's status changes from the audit log, oldest first.</summary>
    /// <param name="batchId">The batch.</param>
    /// <param name="ct">Cancellation.</param>
    public async Task<IReadOnlyList<PushBatchHistoryEntry>> HistoryAsync(int batchId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var key = batchId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var entries = await db.AuditEntries.AsNoTracking().Where(e => e.EntityType == nameof(PushBatch) && e.EntityId == key)
            .OrderBy(e => e.At).ThenBy(e => e.Id).ToListAsync(ct);
        return entries.Select(e => new PushBatchHistoryEntry(e.At, e.UserName, e.Action, Read(e.BeforeJson, "Status"), Read(e.AfterJson, "Status"),
            e.Action == "batch.reject" ? Read(e.AfterJson, "RejectionReason") : null)).ToList();
    }

    /// <summary>The batch's pushes in outbox order, a page at a time.</summary>
    /// <param name="batchId">The batch.</param>
    /// <param name="skip">Rows to skip.</param>
    /// <param name="take">Rows to return (1..500).</param>
    /// <param name="ct">Cancellation.</param>
    public async Task<IReadOnlyList<PushRow>> PushesAsync(int batchId, int skip = 0, int take = 100, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await db.PushMessages.AsNoTracking().Where(m => m.BatchId == batchId).OrderBy(m => m.Id).Skip(Math.Max(0, skip)).Take(Math.Clamp(take, 1, 500))
            .Join(db.Customers, m => m.CustomerId, c => c.Id, (m, c) => new { m, c.ExternalId }).ToListAsync(ct);
        return rows.Select(r => new PushRow(r.m.Id, r.m.CustomerId, r.ExternalId, r.m.Status, r.m.Attempts, r.m.NotBefore, r.m.DeliveredAt, ItemNames(r.m.ItemsJson), r.m.LastError)).ToList();
    }

    /// <summary>The stored summary, or null when the JSON is missing or not a <see cref="PushBatchSummary"/>.</summary>
    /// <param name="json">PushBatches.SummaryJson.</param>
    public static PushBatchSummary? ParseSummary(string? json)
    {
        if (string.IsNullOrWhiteSpace(json)) return null;
        try { return JsonSerializer.Deserialize<PushBatchSummary>(json, Json); }
        catch (JsonException) { return null; }
    }

    private static async Task<IReadOnlyList<PushBatchRow>> RowsAsync(PortalDbContext db, IReadOnlyList<int> ids, CancellationToken ct)
    {
        if (ids.Count == 0) return [];
        var batches = await db.PushBatches.AsNoTracking().Where(b => ids.Contains(b.Id))
            .Join(db.Merchants, b => b.MerchantId, m => m.Id, (b, m) => new { b, Campaign = b.Campaign!.Name, b.Campaign.Channel, Merchant = m.Name, m.Code, m.WebhookUrl, m.WebhookSecret }).ToListAsync(ct);
        var counts = await db.PushMessages.AsNoTracking().Where(m => ids.Contains(m.BatchId)).GroupBy(m => new { m.BatchId, m.Status })
            .Select(g => new { g.Key.BatchId, g.Key.Status, Count = g.Count() }).ToListAsync(ct);
        int Of(int id, PushDeliveryStatus s) => counts.FirstOrDefault(c => c.BatchId == id && c.Status == s)?.Count ?? 0;
        var byId = batches.ToDictionary(x => x.b.Id);
        return ids.Where(byId.ContainsKey).Select(id =>
        {
            var x = byId[id];
            var b = x.b;
            var channel = Delivery.PushChannels.ForCampaign(x.Channel, x.WebhookUrl); // the channel delivery uses
            var destination = channel == Delivery.PushChannels.Webhook
                ? $"{x.WebhookUrl} (secret {(string.IsNullOrEmpty(x.WebhookSecret) ? "missing" : Delivery.PushSignature.Mask(x.WebhookSecret))})"
                : $"pushes/{x.Code}/batch-{b.Id}.jsonl";
            return new PushBatchRow(b.Id, b.CampaignId, x.Campaign, b.MerchantId, x.Merchant, b.Status, b.ScheduledFor, b.CreatedAt, b.CreatedByUserId,
                b.ApprovedByUserId, b.ApprovedAt, b.SentAt, b.RejectionReason, b.Version, ParseSummary(b.SummaryJson),
                new Delivery.DeliveryProgress(Of(id, PushDeliveryStatus.Pending), Of(id, PushDeliveryStatus.Delivered), Of(id, PushDeliveryStatus.Failed), Of(id, PushDeliveryStatus.Skipped)), channel, destination);
        }).ToList();
    }

    private static IReadOnlyList<string> ItemNames(string itemsJson)
    {
        try
        {
            using var doc = JsonDocument.Parse(itemsJson);
            if (doc.RootElement.ValueKind != JsonValueKind.Array) return [];
            return doc.RootElement.EnumerateArray().Select(i => i.ValueKind == JsonValueKind.Object
                ? (i.EnumerateObject().FirstOrDefault(p => p.Name.Equals("name", StringComparison.OrdinalIgnoreCase)).Value is { ValueKind: JsonValueKind.String } n
                    ? n.GetString()! : i.ToString())
                : i.ToString()).ToList();
        }
        catch (JsonException) { return []; }
    }

    private static string? Read(string? json, string property)
    {
        if (json is null) return null;
        try
        {
            using var doc = JsonDocument.Parse(json);
            return doc.RootElement.TryGetProperty(property, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        }
        catch (JsonException) { return null; }
    }
}
