using Portal.Core.Access;

namespace Portal.Core.PushBatches;

/// <summary>Delivery state of one push in the outbox.</summary>
public enum PushDeliveryStatus
{
    /// <summary>Waiting to be delivered.</summary>
    Pending,
    /// <summary>Accepted by the channel.</summary>
    Delivered,
    /// <summary>Gave up after the retries.</summary>
    Failed,
    /// <summary>Removed before delivery (batch cancelled).</summary>
    Skipped,
}

/// <summary>
/// One push: the list for one customer in one batch. The table is the delivery outbox: delivery marks rows as it
/// goes, and the channel receives <see cref="IdempotencyKey"/> so a push is delivered exactly once even when the
/// job is retried or killed mid-batch.
/// </summary>
public class PushMessage : IMerchantOwned
{
    /// <summary>Key.</summary>
    public long Id { get; set; }

    /// <inheritdoc />
    public int MerchantId { get; set; }

    /// <summary>The batch.</summary>
    public int BatchId { get; set; }

    /// <summary>The customer pushed to (Customers.Id).</summary>
    public int CustomerId { get; set; }

    /// <summary>The pushed items in rank order as JSON: product id, external id, name, score, reason.</summary>
    public required string ItemsJson { get; set; }

    /// <summary>Number of items in <see cref="ItemsJson"/>.</summary>
    public int ItemCount { get; set; }

    /// <summary>Stable key sent with the push ("batch-{BatchId}-customer-{CustomerId}"), for receivers to de-duplicate.</summary>
    public required string IdempotencyKey { get; set; }

    /// <summary>Delivery state.</summary>
    public PushDeliveryStatus Status { get; set; } = PushDeliveryStatus.Pending;

    /// <summary>Delivery attempts so far.</summary>
    public int Attempts { get; set; }

    /// <summary>Last delivery error, if any.</summary>
    public string? LastError { get; set; }

    /// <summary>Earliest delivery time (UTC): quiet hours in the customer's local time push it later.</summary>
    public DateTime NotBefore { get; set; }

    /// <summary>When it was delivered (UTC).</summary>
    public DateTime? DeliveredAt { get; set; }

    /// <summary>
    /// The delivery worker that holds the row while it is being delivered (<c>host:pid:guid</c>); null when nobody does.
    /// Set together with <see cref="ClaimedUntil"/> by a conditional UPDATE, so two workers never deliver one row at once.
    /// </summary>
    public string? ClaimedBy { get; set; }

    /// <summary>End of the claim's lease (UTC): after it another worker may take the row (its holder is presumed dead).</summary>
    public DateTime? ClaimedUntil { get; set; }
}
