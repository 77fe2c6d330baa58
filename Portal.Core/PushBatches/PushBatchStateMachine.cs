namespace Portal.Core.PushBatches;

/// <summary>What a user or the delivery job does to a push batch; each action moves it to one target status.</summary>
public enum PushBatchAction
{
    /// <summary>Draft → PendingApproval (the batch's merchant or Operations).</summary>
    Submit,
    /// <summary>PendingApproval → Approved (an Operations user who did not create the batch: four-eyes).</summary>
    Approve,
    /// <summary>PendingApproval → Rejected, with a non-empty reason (Operations).</summary>
    Reject,
    /// <summary>Rejected → Draft, so the merchant can revise and resubmit (the batch's merchant or Operations).</summary>
    Reopen,
    /// <summary>Approved or Sending → Paused (Operations): delivery stops after the push in flight.</summary>
    Pause,
    /// <summary>Paused → Approved (nothing delivered yet) or Sending (some pushes delivered) (Operations).</summary>
    Resume,
    /// <summary>Draft, PendingApproval, Approved or Paused → Cancelled (the batch's merchant or Operations); pending pushes become Skipped.</summary>
    Cancel,
    /// <summary>Approved → Sending (the delivery job, <see cref="Access.Actor.System"/>).</summary>
    StartSending,
    /// <summary>Sending → Sent when no pending push remains (the delivery job).</summary>
    Complete,
}

/// <summary>
/// The push batch life cycle of DESIGN.md ("Push batch life cycle") as a transition table over
/// <see cref="PushBatchStatus"/>: Draft → PendingApproval → Approved → Sending → Sent; PendingApproval → Rejected →
/// Draft; Approved/Sending ↔ Paused; Draft/PendingApproval/Approved/Paused → Cancelled. Sent and Cancelled are final.
/// Every other pair is refused.
/// </summary>
public static class PushBatchStateMachine
{
    private static readonly IReadOnlyDictionary<PushBatchStatus, PushBatchStatus[]> Next = new Dictionary<PushBatchStatus, PushBatchStatus[]>
    {
        [PushBatchStatus.Draft] = [PushBatchStatus.PendingApproval, PushBatchStatus.Cancelled],
        [PushBatchStatus.PendingApproval] = [PushBatchStatus.Approved, PushBatchStatus.Rejected, PushBatchStatus.Cancelled],
        [PushBatchStatus.Rejected] = [PushBatchStatus.Draft],
        [PushBatchStatus.Approved] = [PushBatchStatus.Sending, PushBatchStatus.Paused, PushBatchStatus.Cancelled],
        [PushBatchStatus.Sending] = [PushBatchStatus.Sent, PushBatchStatus.Paused],
        [PushBatchStatus.Paused] = [PushBatchStatus.Approved, PushBatchStatus.Sending, PushBatchStatus.Cancelled],
        [PushBatchStatus.Sent] = [],
        [PushBatchStatus.Cancelled] = [],
    };

    /// <summary>Every allowed (from, to) pair.</summary>
    public static IReadOnlyList<(PushBatchStatus From, PushBatchStatus To)> AllowedTransitions { get; } =
        Next.SelectMany(kv => kv.Value.Select(to => (kv.Key, to))).ToList();

    /// <summary>True when a batch in <paramref name="from"/> may move to <paramref name="to"/>.</summary>
    public static bool CanTransition(PushBatchStatus from, PushBatchStatus to) => Next[from].Contains(to);

    /// <summary>The statuses a batch in <paramref name="from"/> may move to (empty for Sent and Cancelled).</summary>
    public static IReadOnlyList<PushBatchStatus> AllowedFrom(PushBatchStatus from) => Next[from];

    /// <summary>The actions a batch in <paramref name="status"/> accepts (which buttons a page shows; roles are checked separately).</summary>
    public static IReadOnlyList<PushBatchAction> ActionsFrom(PushBatchStatus status) =>
        Enum.GetValues<PushBatchAction>().Where(a => Sources(a).Contains(status)).ToList();

    /// <summary>The statuses <paramref name="action"/> starts from.</summary>
    public static IReadOnlyList<PushBatchStatus> Sources(PushBatchAction action) => action switch
    {
        PushBatchAction.Submit => [PushBatchStatus.Draft],
        PushBatchAction.Approve or PushBatchAction.Reject => [PushBatchStatus.PendingApproval],
        PushBatchAction.Reopen => [PushBatchStatus.Rejected],
        PushBatchAction.Pause => [PushBatchStatus.Approved, PushBatchStatus.Sending],
        PushBatchAction.Resume => [PushBatchStatus.Paused],
        PushBatchAction.Cancel => [PushBatchStatus.Draft, PushBatchStatus.PendingApproval, PushBatchStatus.Approved, PushBatchStatus.Paused],
        PushBatchAction.StartSending => [PushBatchStatus.Approved],
        PushBatchAction.Complete => [PushBatchStatus.Sending],
        _ => throw new ArgumentOutOfRangeException(nameof(action), action, "Unknown batch action."),
    };

    /// <summary>
    /// The status <paramref name="action"/> leads to. <see cref="PushBatchAction.Resume"/> leads to Sending when
    /// <paramref name="anyPushHandled"/> (some push already delivered or failed), else to Approved.
    /// </summary>
    public static PushBatchStatus Target(PushBatchAction action, bool anyPushHandled = false) => action switch
    {
        PushBatchAction.Submit => PushBatchStatus.PendingApproval,
        PushBatchAction.Approve => PushBatchStatus.Approved,
        PushBatchAction.Reject => PushBatchStatus.Rejected,
        PushBatchAction.Reopen => PushBatchStatus.Draft,
        PushBatchAction.Pause => PushBatchStatus.Paused,
        PushBatchAction.Resume => anyPushHandled ? PushBatchStatus.Sending : PushBatchStatus.Approved,
        PushBatchAction.Cancel => PushBatchStatus.Cancelled,
        PushBatchAction.StartSending => PushBatchStatus.Sending,
        PushBatchAction.Complete => PushBatchStatus.Sent,
        _ => throw new ArgumentOutOfRangeException(nameof(action), action, "Unknown batch action."),
    };

    /// <summary>Throws unless <paramref name="from"/> → <paramref name="to"/> is allowed.</summary>
    /// <param name="batchId">The batch, for the message.</param>
    /// <param name="from">Current status.</param>
    /// <param name="to">Requested status.</param>
    /// <exception cref="PushBatchTransitionException">The pair is not in the table.</exception>
    public static void EnsureAllowed(int batchId, PushBatchStatus from, PushBatchStatus to)
    {
        if (!CanTransition(from, to)) throw new PushBatchTransitionException(batchId, from, to);
    }
}

/// <summary>A refused transition: the message names the batch, both statuses and what is allowed from the current one.</summary>
public sealed class PushBatchTransitionException(int batchId, PushBatchStatus from, PushBatchStatus to)
    : InvalidOperationException($"Push batch {batchId} cannot go from {from} to {to}; allowed from {from}: " +
        (PushBatchStateMachine.AllowedFrom(from) is { Count: > 0 } next ? string.Join(", ", next) : "none (final status)") + ".")
{
    /// <summary>The batch.</summary>
    public int BatchId { get; } = batchId;
    /// <summary>Its status when the transition was asked for.</summary>
    public PushBatchStatus From { get; } = from;
    /// <summary>The refused target status.</summary>
    public PushBatchStatus To { get; } = to;
}

/// <summary>The actor may not perform the action on this batch (wrong role, another merchant's batch, or its own batch to approve).</summary>
/// <param name="message">Who tried what and why it is refused.</param>
public sealed class PushBatchAccessException(string message) : UnauthorizedAccessException(message);

/// <summary>The batch changed since it was read (another user acted first): reload and try again.</summary>
/// <param name="message">What collided.</param>
/// <param name="inner">The EF Core concurrency error, if any.</param>
public sealed class PushBatchConcurrencyException(string message, Exception? inner = null) : InvalidOperationException(message, inner);
