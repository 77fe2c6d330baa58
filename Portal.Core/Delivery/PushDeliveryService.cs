using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Portal.Core.Access;
using Portal.Core.Data;
using Portal.Core.PushBatches;

namespace Portal.Core.Delivery;

/// <summary>What one delivery run of a batch did.</summary>
/// <param name="BatchId">The batch.</param>
/// <param name="Delivered">Pushes this run delivered.</param>
/// <param name="Failed">Pushes this run gave up on (marked Failed).</param>
/// <param name="Retried">Pushes that failed and wait for another attempt.</param>
/// <param name="Pending">Pushes still Pending after the run.</param>
/// <param name="Status">The batch's status after the run.</param>
/// <param name="NextDueAt">Earliest time a pending push becomes deliverable again (NotBefore or a claim's lease end), or null.</param>
/// <param name="StopReason">Why the run ended: <c>sent</c>, <c>not-due</c>, <c>status:Paused</c>, <c>channel-down</c>, ...</param>
public sealed record DeliveryRunResult(int BatchId, int Delivered, int Failed, int Retried, int Pending, PushBatchStatus Status, DateTime? NextDueAt, string StopReason);

/// <summary>Delivery counts of one batch (for the Operations pages).</summary>
/// <param name="Pending">Waiting (including a push in flight).</param>
/// <param name="Delivered">Accepted by the channel.</param>
/// <param name="Failed">Given up after <see cref="DeliveryOptions.MaxAttempts"/>.</param>
/// <param name="Skipped">Dropped by a cancel.</param>
public sealed record DeliveryProgress(int Pending, int Delivered, int Failed, int Skipped)
{
    /// <summary>All pushes of the batch.</summary>
    public int Total => Pending + Delivered + Failed + Skipped;

    /// <summary>Share of pushes handled (delivered, failed or skipped), 0–1; 1 for an empty batch.</summary>
    public double Done => Total == 0 ? 1 : (double)(Delivered + Failed + Skipped) / Total;
}

/// <summary>
/// Works through a batch's outbox (<see cref="PushMessage"/> rows) in id order: moves the batch to Sending, then for
/// each push that is Pending, due (<see cref="PushMessage.NotBefore"/> ≤ now) and unclaimed (or whose claim lease
/// expired): waits for the throttle, claims it, sends it through the merchant's channel, marks it Delivered, and
/// marks the batch Sent when no push is Pending any more. It stops after the push in flight when the batch is paused
/// or cancelled.
/// <para>
/// <b>Delivery guarantee.</b> (1) A row is claimed by one conditional UPDATE (<c>SET ClaimedBy = me, ClaimedUntil =
/// now + lease WHERE Id = @id AND Status = 'Pending' AND (ClaimedUntil IS NULL OR ClaimedUntil &lt; now)</c>) whose
/// affected-row count decides the winner, so two workers (threads, jobs, processes, hosts) never send the same row
/// while a lease holds. (2) The Delivered mark is a separate statement right after the channel accepted the push, so a
/// retried or rerun job skips every row already marked. (3) The one gap: when a worker dies (or its lease of
/// <see cref="DeliveryOptions.LeaseSeconds"/> runs out) after the channel accepted a push and before the mark, that
/// push is sent again once the lease has expired: at most one duplicate per killed worker (it sends one push at a
/// time), with the same <c>Idempotency-Key</c> (<see cref="PushMessage.IdempotencyKey"/>) and the same body, so a
/// receiver that de-duplicates on the key sees every push exactly once. The channel is therefore at-least-once,
/// exactly-once per key; nothing is lost (a Pending row stays until delivered, failed or skipped).
/// </para>
/// </summary>
/// <param name="dbFactory">The database.</param>
/// <param name="channels">The channel adapters, by <see cref="IPushChannel.Name"/>.</param>
/// <param name="throttle">The per-process rate.</param>
/// <param name="options">Lease, attempts, retry delays.</param>
/// <param name="lifecycle">Moves the batch to Sending and Sent (audited, as <see cref="Actor.System"/>).</param>
/// <param name="clock">The clock.</param>
/// <param name="logger">Log.</param>
public sealed class PushDeliveryService(IDbContextFactory<PortalDbContext> dbFactory, IEnumerable<IPushChannel> channels, PushThrottle throttle,
    DeliveryOptions options, PushBatchLifecycle lifecycle, TimeProvider clock, ILogger<PushDeliveryService> logger)
{
    private readonly Dictionary<string, IPushChannel> _channels = channels.ToDictionary(c => c.Name, StringComparer.OrdinalIgnoreCase);

    /// <summary>This worker's claim owner id (<c>host:pid:guid</c>).</summary>
    public string WorkerId { get; } = Truncate($"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():n}", 100);

    /// <summary>Delivery counts of batch <paramref name="batchId"/>.</summary>
    /// <param name="batchId">The batch.</param>
    /// <param name="ct">Cancellation.</param>
    public async Task<DeliveryProgress> ProgressAsync(int batchId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var counts = await db.PushMessages.Where(m => m.BatchId == batchId).GroupBy(m => m.Status)
            .Select(g => new { g.Key, Count = g.Count() }).ToListAsync(ct);
        int Of(PushDeliveryStatus s) => counts.FirstOrDefault(c => c.Key == s)?.Count ?? 0;
        return new DeliveryProgress(Of(PushDeliveryStatus.Pending), Of(PushDeliveryStatus.Delivered), Of(PushDeliveryStatus.Failed), Of(PushDeliveryStatus.Skipped));
    }

    /// <summary>
    /// Delivers what is due of batch <paramref name="batchId"/> (see the class summary) and returns when the batch is
    /// Sent, no due unclaimed push is left, the batch is no longer Approved/Sending, or the channel failed
    /// <see cref="DeliveryOptions.StopAfterConsecutiveFailures"/> times in a row.
    /// </summary>
    /// <param name="batchId">The batch.</param>
    /// <param name="ct">Cancellation (stops before the next push; a push in flight finishes or stays claimed until its lease ends).</param>
    /// <returns>What the run did.</returns>
    /// <exception cref="KeyNotFoundException">No such batch.</exception>
    /// <exception cref="InvalidOperationException">The batch's channel has no adapter.</exception>
    public async Task<DeliveryRunResult> DeliverBatchAsync(int batchId, CancellationToken ct = default)
    {
        int delivered = 0, failed = 0, retried = 0, consecutiveFailures = 0;
        Target target;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
            target = await TargetAsync(db, batchId, ct);
        if (!_channels.TryGetValue(target.Channel, out var channel))
            throw new InvalidOperationException($"Push batch {batchId}: no delivery channel '{target.Channel}' (known: {string.Join(", ", _channels.Keys)}).");
        string stop;
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            var status = await StatusAsync(batchId, ct);
            if (status == PushBatchStatus.Approved)
                status = await MoveAsync(batchId, PushBatchAction.StartSending, ct) ?? await StatusAsync(batchId, ct);
            if (status != PushBatchStatus.Sending) { stop = "status:" + status; break; }
            if (consecutiveFailures >= options.StopAfterConsecutiveFailures) { stop = "channel-down"; break; }

            await throttle.WaitAsync(ct);
            var claimed = await ClaimNextAsync(batchId, ct);
            if (claimed is null)
            {
                if (await PendingCountAsync(batchId, ct) == 0)
                {
                    var after = await MoveAsync(batchId, PushBatchAction.Complete, ct) ?? await StatusAsync(batchId, ct);
                    stop = after == PushBatchStatus.Sent ? "sent" : "status:" + after;
                }
                else stop = "not-due";
                break;
            }
            var push = claimed.Value.Push;
            try
            {
                await channel.SendAsync(target.Envelope(push.Id, push.IdempotencyKey, claimed.Value.CustomerExternalId, push.ItemsJson), ct);
            }
            catch (PushChannelException e)
            {
                consecutiveFailures++;
                if (await RecordFailureAsync(push, e.Message, ct)) failed++; else retried++;
                logger.LogWarning("Push {Key} (attempt {Attempt}) failed: {Error}", push.IdempotencyKey, push.Attempts, e.Message);
                continue;
            }
            consecutiveFailures = 0;
            if (await MarkDeliveredAsync(push.Id, ct)) delivered++;
            else logger.LogWarning("Push {Key} was delivered but its claim had been taken over (lease {Lease} s too short?); the receiver de-duplicates by key.",
                push.IdempotencyKey, options.LeaseSeconds);
        }
        await using var read = await dbFactory.CreateDbContextAsync(ct);
        var pendingRows = read.PushMessages.AsNoTracking().Where(m => m.BatchId == batchId && m.Status == PushDeliveryStatus.Pending);
        var pending = await pendingRows.CountAsync(ct);
        var nextDue = pending == 0 ? (DateTime?)null : (await pendingRows.Select(m => m.ClaimedUntil != null && m.ClaimedUntil > m.NotBefore ? m.ClaimedUntil : (DateTime?)m.NotBefore)
            .ToListAsync(ct)).Min();
        var final = await read.PushBatches.AsNoTracking().Where(b => b.Id == batchId).Select(b => b.Status).SingleAsync(ct);
        logger.LogInformation("Delivery of batch {Batch}: {Delivered} delivered, {Failed} failed, {Retried} to retry, {Pending} pending, {Status} ({Stop}).",
            batchId, delivered, failed, retried, pending, final, stop);
        return new DeliveryRunResult(batchId, delivered, failed, retried, pending, final, nextDue is null ? null : DateTime.SpecifyKind(nextDue.Value, DateTimeKind.Utc), stop);
    }

    /// <summary>
    /// Batches the recurring sweep should work on: Approved or Sending, with a due, unclaimed (or expired) pending push
    /// or with nothing pending any more (to be marked Sent). A process killed mid-batch is resumed this way.
    /// </summary>
    /// <param name="ct">Cancellation.</param>
    /// <returns>Batch ids, oldest first.</returns>
    public async Task<IReadOnlyList<int>> DueBatchesAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var now = clock.GetUtcNow().UtcDateTime;
        return await db.PushBatches.AsNoTracking()
            .Where(b => b.Status == PushBatchStatus.Approved || b.Status == PushBatchStatus.Sending)
            .Where(b => !db.PushMessages.Any(m => m.BatchId == b.Id && m.Status == PushDeliveryStatus.Pending)
                || db.PushMessages.Any(m => m.BatchId == b.Id && m.Status == PushDeliveryStatus.Pending && m.NotBefore <= now
                                             && (m.ClaimedUntil == null || m.ClaimedUntil < now)))
            .OrderBy(b => b.Id).Select(b => b.Id).ToListAsync(ct);
    }

    private async Task<PushBatchStatus> StatusAsync(int batchId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.PushBatches.AsNoTracking().Where(b => b.Id == batchId).Select(b => b.Status).SingleAsync(ct);
    }

    private async Task<int> PendingCountAsync(int batchId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.PushMessages.CountAsync(m => m.BatchId == batchId && m.Status == PushDeliveryStatus.Pending, ct);
    }

    /// <summary>Applies a system transition; null when another worker or user moved the batch first.</summary>
    private async Task<PushBatchStatus?> MoveAsync(int batchId, PushBatchAction action, CancellationToken ct)
    {
        try
        {
            return (await lifecycle.TransitionAsync(batchId, Actor.System, action, ct: ct)).Status;
        }
        catch (Exception e) when (e is PushBatchTransitionException or PushBatchConcurrencyException)
        {
            logger.LogInformation("Batch {Batch}: {Action} skipped: {Reason}", batchId, action, e.Message);
            return null;
        }
        catch (InvalidOperationException e) when (action == PushBatchAction.Complete)
        {
            // A retry moved a push back to Pending between the count and the transition.
            logger.LogInformation("Batch {Batch}: not complete yet: {Reason}", batchId, e.Message);
            return null;
        }
    }

    private async Task<(PushMessage Push, string CustomerExternalId)?> ClaimNextAsync(int batchId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        for (var tries = 0; tries < 20; tries++)
        {
            var now = clock.GetUtcNow().UtcDateTime;
            var candidate = await db.PushMessages.AsNoTracking()
                .Where(m => m.BatchId == batchId && m.Status == PushDeliveryStatus.Pending && m.NotBefore <= now
                            && (m.ClaimedUntil == null || m.ClaimedUntil < now))
                .OrderBy(m => m.Id).Select(m => (long?)m.Id).FirstOrDefaultAsync(ct);
            if (candidate is not { } id) return null;
            var until = now.AddSeconds(options.LeaseSeconds);
            var won = await db.PushMessages
                .Where(m => m.Id == id && m.Status == PushDeliveryStatus.Pending && (m.ClaimedUntil == null || m.ClaimedUntil < now))
                .ExecuteUpdateAsync(s => s.SetProperty(m => m.ClaimedBy, WorkerId).SetProperty(m => m.ClaimedUntil, until)
                    .SetProperty(m => m.Attempts, m => m.Attempts + 1), ct);
            if (won == 0) continue; // another worker claimed it between the two statements
            var row = await db.PushMessages.AsNoTracking().SingleAsync(m => m.Id == id, ct);
            var customer = await db.Customers.AsNoTracking().Where(c => c.Id == row.CustomerId).Select(c => c.ExternalId).SingleAsync(ct);
            return (row, customer);
        }
        return null;
    }

    private async Task<bool> MarkDeliveredAsync(long id, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var now = clock.GetUtcNow().UtcDateTime;
        // Conditioned on our claim only: a push the channel accepted is Delivered even if a cancel marked it Skipped meanwhile.
        return await db.PushMessages.Where(m => m.Id == id && m.ClaimedBy == WorkerId)
            .ExecuteUpdateAsync(s => s.SetProperty(m => m.Status, PushDeliveryStatus.Delivered).SetProperty(m => m.DeliveredAt, now)
                .SetProperty(m => m.ClaimedBy, (string?)null).SetProperty(m => m.ClaimedUntil, (DateTime?)null)
                .SetProperty(m => m.LastError, (string?)null), ct) == 1;
    }

    /// <summary>Releases the claim with the error; true when the push is now Failed for good.</summary>
    private async Task<bool> RecordFailureAsync(PushMessage push, string error, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var now = clock.GetUtcNow().UtcDateTime;
        var final = push.Attempts >= options.MaxAttempts;
        var retryAt = now.AddSeconds(options.RetryAfterSeconds * Math.Pow(2, Math.Max(0, push.Attempts - 1)));
        var message = Truncate(error, 1000);
        var rows = db.PushMessages.Where(m => m.Id == push.Id && m.ClaimedBy == WorkerId && m.Status == PushDeliveryStatus.Pending);
        if (final)
            await rows.ExecuteUpdateAsync(s => s.SetProperty(m => m.Status, PushDeliveryStatus.Failed).SetProperty(m => m.LastError, message)
                .SetProperty(m => m.ClaimedBy, (string?)null).SetProperty(m => m.ClaimedUntil, (DateTime?)null), ct);
        else
            await rows.ExecuteUpdateAsync(s => s.SetProperty(m => m.LastError, message).SetProperty(m => m.NotBefore, retryAt)
                .SetProperty(m => m.ClaimedBy, (string?)null).SetProperty(m => m.ClaimedUntil, (DateTime?)null), ct);
        return final;
    }

    private static async Task<Target> TargetAsync(PortalDbContext db, int batchId, CancellationToken ct)
    {
        var t = await db.PushBatches.AsNoTracking().Where(b => b.Id == batchId)
            .Join(db.Merchants, b => b.MerchantId, m => m.Id, (b, m) => new
            {
                b.Id, b.CampaignId, Campaign = b.Campaign!.Name, b.Campaign.Channel, m.Code, m.WebhookUrl, m.WebhookSecret,
            })
            .SingleOrDefaultAsync(ct) ?? throw new KeyNotFoundException($"Push batch {batchId} does not exist.");
        return new Target(t.Id, t.CampaignId, t.Campaign, t.Code, t.WebhookUrl, t.WebhookSecret, PushChannels.ForCampaign(t.Channel, t.WebhookUrl));
    }

    private static string Truncate(string s, int max) => s.Length <= max ? s : s[..max];

    private sealed record Target(int BatchId, int CampaignId, string CampaignName, string MerchantCode, string? WebhookUrl, string? WebhookSecret, string Channel)
    {
        public PushEnvelope Envelope(long messageId, string key, string customer, string itemsJson)
        {
            JsonElement items;
            try
            {
                using var doc = JsonDocument.Parse(itemsJson);
                items = doc.RootElement.Clone();
            }
            catch (JsonException e)
            {
                throw new PushChannelException($"Push {key}: PushMessages.ItemsJson of row {messageId} is not JSON: {e.Message}", e);
            }
            return new PushEnvelope(messageId, key, MerchantCode, CampaignId, CampaignName, BatchId, customer, items, WebhookUrl, WebhookSecret);
        }
    }
}
