using Hangfire;
using Microsoft.EntityFrameworkCore;
using Portal.Core.Access;
using Portal.Core.Audit;
using Portal.Core.Data;

namespace Portal.Core.PushBatches;

/// <summary>
/// Moves push batches through their life cycle (<see cref="PushBatchStateMachine"/>) on behalf of an
/// <see cref="Actor"/>: checks the transition, the actor's rights (four-eyes approval: an Operations user who is not
/// the batch's creator), writes the change and its audit entry (<c>batch.submit</c>, <c>batch.approve</c>, ...,
/// before/after status) in one SaveChanges, and starts delivery when a batch is approved or resumed.
/// The <see cref="PushBatch.Version"/> concurrency token makes a second, concurrent transition fail with
/// <see cref="PushBatchConcurrencyException"/> instead of overwriting the first.
/// </summary>
/// <param name="dbFactory">The database.</param>
/// <param name="jobs">Hangfire client that enqueues <see cref="Delivery.DeliveryJob"/> after approve and resume; null: nothing is enqueued (the recurring sweep still picks the batch up).</param>
public sealed class PushBatchLifecycle(IDbContextFactory<PortalDbContext> dbFactory, IBackgroundJobClient? jobs = null)
{
    /// <summary>Longest rejection reason kept, characters (the column's size).</summary>
    public const int MaxReasonLength = 1000;

    /// <summary>Draft → PendingApproval.</summary>
    /// <param name="batchId">The batch.</param>
    /// <param name="actor">The batch's merchant or an Operations user.</param>
    /// <param name="expectedVersion">The <see cref="PushBatch.Version"/> the actor saw (null: the current one).</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>The batch after the change.</returns>
    /// <exception cref="KeyNotFoundException">No such batch.</exception>
    /// <exception cref="PushBatchTransitionException">Not allowed from the current status.</exception>
    /// <exception cref="PushBatchAccessException">The actor may not do it.</exception>
    /// <exception cref="PushBatchConcurrencyException">The batch changed meanwhile.</exception>
    public Task<PushBatch> SubmitAsync(int batchId, Actor actor, Guid? expectedVersion = null, CancellationToken ct = default) =>
        TransitionAsync(batchId, actor, PushBatchAction.Submit, null, expectedVersion, ct);

    /// <summary>PendingApproval → Approved, then enqueues delivery. Same errors as <see cref="SubmitAsync"/>; the actor must be Operations and not the creator.</summary>
    /// <param name="batchId">The batch.</param>
    /// <param name="actor">An Operations user other than <see cref="PushBatch.CreatedByUserId"/>.</param>
    /// <param name="expectedVersion">The version the approver saw (null: the current one).</param>
    /// <param name="ct">Cancellation.</param>
    public Task<PushBatch> ApproveAsync(int batchId, Actor actor, Guid? expectedVersion = null, CancellationToken ct = default) =>
        TransitionAsync(batchId, actor, PushBatchAction.Approve, null, expectedVersion, ct);

    /// <summary>PendingApproval → Rejected with <paramref name="reason"/> (Operations). Same errors as <see cref="SubmitAsync"/>.</summary>
    /// <param name="batchId">The batch.</param>
    /// <param name="actor">An Operations user.</param>
    /// <param name="reason">Why (non-empty, at most <see cref="MaxReasonLength"/> characters).</param>
    /// <param name="expectedVersion">The version the user saw.</param>
    /// <param name="ct">Cancellation.</param>
    /// <exception cref="ArgumentException">Empty or too long reason.</exception>
    public Task<PushBatch> RejectAsync(int batchId, Actor actor, string reason, Guid? expectedVersion = null, CancellationToken ct = default) =>
        TransitionAsync(batchId, actor, PushBatchAction.Reject, reason, expectedVersion, ct);

    /// <summary>Rejected → Draft, for the merchant to revise and resubmit. Same errors as <see cref="SubmitAsync"/>.</summary>
    /// <param name="batchId">The batch.</param>
    /// <param name="actor">The batch's merchant or Operations.</param>
    /// <param name="expectedVersion">The version the user saw.</param>
    /// <param name="ct">Cancellation.</param>
    public Task<PushBatch> ReopenAsync(int batchId, Actor actor, Guid? expectedVersion = null, CancellationToken ct = default) =>
        TransitionAsync(batchId, actor, PushBatchAction.Reopen, null, expectedVersion, ct);

    /// <summary>Approved/Sending → Paused (Operations). Same errors as <see cref="SubmitAsync"/>.</summary>
    /// <param name="batchId">The batch.</param>
    /// <param name="actor">An Operations user.</param>
    /// <param name="expectedVersion">The version the user saw.</param>
    /// <param name="ct">Cancellation.</param>
    public Task<PushBatch> PauseAsync(int batchId, Actor actor, Guid? expectedVersion = null, CancellationToken ct = default) =>
        TransitionAsync(batchId, actor, PushBatchAction.Pause, null, expectedVersion, ct);

    /// <summary>Paused → Approved or Sending (Operations), then enqueues delivery. Same errors as <see cref="SubmitAsync"/>.</summary>
    /// <param name="batchId">The batch.</param>
    /// <param name="actor">An Operations user.</param>
    /// <param name="expectedVersion">The version the user saw.</param>
    /// <param name="ct">Cancellation.</param>
    public Task<PushBatch> ResumeAsync(int batchId, Actor actor, Guid? expectedVersion = null, CancellationToken ct = default) =>
        TransitionAsync(batchId, actor, PushBatchAction.Resume, null, expectedVersion, ct);

    /// <summary>→ Cancelled (the batch's merchant or Operations); its pending pushes become Skipped in the same transaction. Same errors as <see cref="SubmitAsync"/>.</summary>
    /// <param name="batchId">The batch.</param>
    /// <param name="actor">The batch's merchant or Operations.</param>
    /// <param name="expectedVersion">The version the user saw.</param>
    /// <param name="ct">Cancellation.</param>
    public Task<PushBatch> CancelAsync(int batchId, Actor actor, Guid? expectedVersion = null, CancellationToken ct = default) =>
        TransitionAsync(batchId, actor, PushBatchAction.Cancel, null, expectedVersion, ct);

    /// <summary>
    /// Applies <paramref name="action"/> to batch <paramref name="batchId"/>: checks the actor's rights and the
    /// transition table, stores the new status with its audit entry in one transaction, and enqueues delivery after
    /// Approve and Resume.
    /// </summary>
    /// <param name="batchId">The batch.</param>
    /// <param name="actor">Who acts.</param>
    /// <param name="action">What is done.</param>
    /// <param name="reason">The rejection reason (Reject only).</param>
    /// <param name="expectedVersion">The <see cref="PushBatch.Version"/> the actor based the decision on; null: the current one.</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>The batch as stored after the change (detached).</returns>
    /// <exception cref="KeyNotFoundException">No such batch.</exception>
    /// <exception cref="ArgumentException">Reject without a reason, or a reason longer than <see cref="MaxReasonLength"/>.</exception>
    /// <exception cref="PushBatchTransitionException">The transition is not allowed from the current status.</exception>
    /// <exception cref="PushBatchAccessException">The actor may not do it (role, merchant, four-eyes).</exception>
    /// <exception cref="PushBatchConcurrencyException">The batch changed since <paramref name="expectedVersion"/> or during the call.</exception>
    /// <exception cref="InvalidOperationException">Complete while pushes are still pending.</exception>
    public async Task<PushBatch> TransitionAsync(int batchId, Actor actor, PushBatchAction action, string? reason = null,
        Guid? expectedVersion = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (action == PushBatchAction.Reject)
        {
            reason = reason?.Trim();
            if (string.IsNullOrEmpty(reason)) throw new ArgumentException($"Rejecting push batch {batchId} needs a reason.", nameof(reason));
            if (reason.Length > MaxReasonLength) throw new ArgumentException($"The rejection reason has {reason.Length} characters; at most {MaxReasonLength} are kept.", nameof(reason));
        }
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var strategy = db.Database.CreateExecutionStrategy();
        var batch = await strategy.ExecuteAsync(async () =>
        {
            db.ChangeTracker.Clear();
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            var b = await db.PushBatches.SingleOrDefaultAsync(x => x.Id == batchId, ct)
                ?? throw new KeyNotFoundException($"Push batch {batchId} does not exist.");
            if (expectedVersion is { } v && v != b.Version)
                throw new PushBatchConcurrencyException($"Push batch {batchId} changed since it was shown (now {b.Status}); reload it and try again.");
            var from = b.Status;
            var handled = action == PushBatchAction.Resume && await db.PushMessages.AnyAsync(
                m => m.BatchId == batchId && (m.Status == PushDeliveryStatus.Delivered || m.Status == PushDeliveryStatus.Failed), ct);
            var to = PushBatchStateMachine.Target(action, handled);
            if (!PushBatchStateMachine.Sources(action).Contains(from)) throw new PushBatchTransitionException(batchId, from, to);
            PushBatchStateMachine.EnsureAllowed(batchId, from, to);
            EnsureMayAct(b, actor, action);
            if (action == PushBatchAction.Complete && await db.PushMessages.AnyAsync(m => m.BatchId == batchId && m.Status == PushDeliveryStatus.Pending, ct))
                throw new InvalidOperationException($"Push batch {batchId} still has pending pushes; it cannot be marked Sent.");

            var before = Snapshot(b);
            var now = DateTime.UtcNow;
            b.Status = to;
            switch (action)
            {
                case PushBatchAction.Approve: b.ApprovedByUserId = actor.UserId; b.ApprovedAt = now; break;
                case PushBatchAction.Reject: b.RejectionReason = reason; break;
                case PushBatchAction.Submit: b.RejectionReason = null; b.ApprovedByUserId = null; b.ApprovedAt = null; break;
                case PushBatchAction.Complete: b.SentAt = now; break;
            }
            // The token the UPDATE is conditioned on is the version read above; a new one tells later readers it moved.
            b.Version = Guid.NewGuid();
            if (action == PushBatchAction.Cancel)
                await db.PushMessages.Where(m => m.BatchId == batchId && m.Status == PushDeliveryStatus.Pending)
                    .ExecuteUpdateAsync(s => s.SetProperty(m => m.Status, PushDeliveryStatus.Skipped), ct);
            AuditLog.Add(db, actor, "batch." + AuditVerb(action), nameof(PushBatch), batchId.ToString(System.Globalization.CultureInfo.InvariantCulture),
                b.MerchantId, before, Snapshot(b));
            try
            {
                await db.SaveChangesAsync(ct);
            }
            catch (DbUpdateConcurrencyException e)
            {
                throw new PushBatchConcurrencyException($"Push batch {batchId} was changed by someone else while {action} was being saved; reload it and try again.", e);
            }
            await tx.CommitAsync(ct);
            return b;
        });
        if (jobs is not null && action is PushBatchAction.Approve or PushBatchAction.Resume)
            jobs.Enqueue<Delivery.DeliveryJob>(j => j.RunAsync(batchId, CancellationToken.None));
        return batch;
    }

    /// <summary>Whether <paramref name="actor"/> may apply <paramref name="action"/> to <paramref name="batch"/> (for enabling buttons).</summary>
    /// <param name="batch">The batch.</param>
    /// <param name="actor">The user.</param>
    /// <param name="action">The action.</param>
    public static bool MayAct(PushBatch batch, Actor actor, PushBatchAction action)
    {
        try { EnsureMayAct(batch, actor, action); return true; }
        catch (PushBatchAccessException) { return false; }
    }

    /// <summary>The audit verb of an action: <c>submit</c>, <c>approve</c>, <c>reject</c>, <c>reopen</c>, <c>pause</c>, <c>resume</c>, <c>cancel</c>, <c>send</c>, <c>sent</c>.</summary>
    /// <param name="action">The action.</param>
    public static string AuditVerb(PushBatchAction action) => action switch
    {
        PushBatchAction.StartSending => "send",
        PushBatchAction.Complete => "sent",
        _ => action.ToString().ToLowerInvariant(),
    };

    private static void EnsureMayAct(PushBatch batch, Actor actor, PushBatchAction action)
    {
        var isSystem = actor.UserId == Actor.SystemUserId;
        var operations = actor.IsInRole(PortalRoles.Operations);
        var ownMerchant = actor.IsInRole(PortalRoles.Merchant) && actor.MerchantId == batch.MerchantId;
        switch (action)
        {
            case PushBatchAction.Submit or PushBatchAction.Reopen or PushBatchAction.Cancel:
                if (!operations && !ownMerchant)
                    throw new PushBatchAccessException($"{actor.UserName} may not {AuditVerb(action)} push batch {batch.Id}: only its merchant's users or Operations may.");
                break;
            case PushBatchAction.Approve:
                if (isSystem)
                    throw new PushBatchAccessException($"Push batch {batch.Id} must be approved by an Operations user, not by a background job.");
                if (!operations)
                    throw new PushBatchAccessException($"{actor.UserName} may not approve push batch {batch.Id}: approval needs the {PortalRoles.Operations} role.");
                if (actor.UserId == batch.CreatedByUserId)
                    throw new PushBatchAccessException($"{actor.UserName} created push batch {batch.Id} and may not approve it: another Operations user must (four-eyes).");
                break;
            case PushBatchAction.Reject or PushBatchAction.Pause or PushBatchAction.Resume:
                if (!operations)
                    throw new PushBatchAccessException($"{actor.UserName} may not {AuditVerb(action)} push batch {batch.Id}: it needs the {PortalRoles.Operations} role.");
                break;
            case PushBatchAction.StartSending or PushBatchAction.Complete:
                if (!isSystem)
                    throw new PushBatchAccessException($"Only the delivery job moves push batch {batch.Id} to {PushBatchStateMachine.Target(action)}.");
                break;
        }
    }

    private static object Snapshot(PushBatch b) => new
    {
        b.Status,
        b.RejectionReason,
        b.ApprovedByUserId,
        b.ApprovedAt,
        b.SentAt,
    };
}
