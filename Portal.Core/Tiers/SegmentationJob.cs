using Hangfire;

namespace Portal.Core.Tiers;

/// <summary>
/// The Hangfire job (queue <c>default</c>) that recomputes every customer's layers
/// (<see cref="SegmentationService.RunAsync"/>): continued after each import and each training run, daily through
/// the recurring job <see cref="RecurringJobId"/>, and after a definitions edit. One at a time.
/// </summary>
public sealed class SegmentationJob(SegmentationService service)
{
    /// <summary>Id of the daily recurring job.</summary>
    public const string RecurringJobId = "tiers-daily";

    /// <summary>Recomputes the layers.</summary>
    /// <param name="trigger">What started it (stored with the run).</param>
    /// <param name="ct">Cancellation (server shutdown).</param>
    /// <exception cref="InvalidOperationException">The run failed (its reason is stored with the run).</exception>
    [Queue("default")]
    [AutomaticRetry(Attempts = 0)]
    [DisableConcurrentExecution(timeoutInSeconds: 1800)]
    public async Task RunAsync(string trigger, CancellationToken ct)
    {
        var run = await service.RunAsync(trigger, ct);
        if (run.Status != SegmentationStatus.Succeeded)
            throw new InvalidOperationException($"Tiers run {run.Id} failed: {run.Message}");
    }
}
