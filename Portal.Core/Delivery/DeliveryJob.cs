using Hangfire;
using Microsoft.Extensions.Logging;

namespace Portal.Core.Delivery;

/// <summary>
/// Hangfire jobs of delivery (queue <c>default</c>): <see cref="RunAsync"/> is enqueued when a batch is approved or
/// resumed; <see cref="SweepAsync"/> runs every minute (recurring job <see cref="SweepJobId"/>) and picks up every
/// Approved or Sending batch with due pushes, so deliveries deferred by quiet hours or retries go out, and a batch
/// whose process was killed mid-way is resumed (after the dead worker's claim lease). Runs may overlap (a sweep beside
/// an approval's job, several processes): the outbox claims keep each push to one worker
/// (<see cref="PushDeliveryService"/>).
/// </summary>
/// <param name="delivery">The outbox worker.</param>
/// <param name="logger">Log.</param>
public sealed class DeliveryJob(PushDeliveryService delivery, ILogger<DeliveryJob> logger)
{
    /// <summary>Recurring job id of the sweep.</summary>
    public const string SweepJobId = "delivery-sweep";

    /// <summary>Delivers what is due of batch <paramref name="batchId"/>.</summary>
    /// <param name="batchId">The batch.</param>
    /// <param name="ct">Hangfire's cancellation (server shutdown, job deleted).</param>
    /// <returns>What the run did.</returns>
    [AutomaticRetry(Attempts = 3)]
    public Task<DeliveryRunResult> RunAsync(int batchId, CancellationToken ct) => delivery.DeliverBatchAsync(batchId, ct);

    /// <summary>Delivers what is due of every Approved or Sending batch, oldest first.</summary>
    /// <param name="ct">Hangfire's cancellation.</param>
    /// <returns>The runs, one per batch.</returns>
    [AutomaticRetry(Attempts = 0)]
    public async Task<IReadOnlyList<DeliveryRunResult>> SweepAsync(CancellationToken ct)
    {
        var results = new List<DeliveryRunResult>();
        foreach (var id in await delivery.DueBatchesAsync(ct))
        {
            try
            {
                results.Add(await delivery.DeliverBatchAsync(id, ct));
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // One broken batch (e.g. no channel) must not hold up the others.
                logger.LogError(e, "Delivery sweep: batch {Batch} failed.", id);
            }
        }
        return results;
    }
}
