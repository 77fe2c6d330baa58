namespace Portal.Core.PushBatches;

/// <summary>
/// Life cycle of a push batch: Draft → PendingApproval → Approved → Sending → Sent; Rejected (back to the
/// merchant with a reason), Paused, Cancelled. Allowed transitions are enforced by the batch state machine.
/// </summary>
public enum PushBatchStatus
{
    /// <summary>Built, not yet submitted.</summary>
    Draft,
    /// <summary>Submitted; waits for an Operations user who did not create it.</summary>
    PendingApproval,
    /// <summary>Approved; delivery may start.</summary>
    Approved,
    /// <summary>Delivery is working through the outbox.</summary>
    Sending,
    /// <summary>Every push delivered (or failed for good).</summary>
    Sent,
    /// <summary>Rejected by Operations, with a reason.</summary>
    Rejected,
    /// <summary>Held by Operations; delivery stops until resumed.</summary>
    Paused,
    /// <summary>Abandoned; nothing more is delivered.</summary>
    Cancelled,
}
