using Hangfire;
using Portal.Core.Delivery;
using Portal.Core.Tiers;

namespace Portal.Server.Hosting;

/// <summary>
/// Registers the portal's recurring Hangfire jobs at start-up:
/// <list type="bullet">
/// <item>the daily recomputation of the customers' tiers (<see cref="SegmentationJob"/>, recurring job
/// <see cref="SegmentationJob.RecurringJobId"/>, <see cref="TiersCron"/>);</item>
/// <item>the delivery sweep (<see cref="DeliveryJob.SweepAsync"/>, recurring job <see cref="DeliveryJob.SweepJobId"/>,
/// <see cref="DeliveryCron"/>): it resumes batches whose delivery was interrupted and sends pushes whose quiet hours or
/// retry delay have passed.</item>
/// </list>
/// </summary>
public sealed class RecurringJobsSchedule(IRecurringJobManager recurring, ILogger<RecurringJobsSchedule> logger) : IHostedService
{
    /// <summary>Tiers schedule (cron, UTC): every day at 03:00.</summary>
    public const string TiersCron = "0 3 * * *";

    /// <summary>Delivery sweep schedule (cron, UTC): every minute.</summary>
    public const string DeliveryCron = "* * * * *";

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken)
    {
        recurring.AddOrUpdate<SegmentationJob>(SegmentationJob.RecurringJobId, j => j.RunAsync("schedule", CancellationToken.None), TiersCron);
        logger.LogInformation("Tiers: daily recomputation scheduled ({Cron} UTC).", TiersCron);
        recurring.AddOrUpdate<DeliveryJob>(DeliveryJob.SweepJobId, j => j.SweepAsync(CancellationToken.None), DeliveryCron);
        logger.LogInformation("Delivery: sweep scheduled ({Cron} UTC).", DeliveryCron);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
