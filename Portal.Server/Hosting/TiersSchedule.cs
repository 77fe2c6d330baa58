using Hangfire;
using Portal.Core.Tiers;

namespace Portal.Server.Hosting;

/// <summary>
/// Registers the daily recomputation of the customers' tiers (<see cref="SegmentationJob"/>, recurring job
/// <see cref="SegmentationJob.RecurringJobId"/>, 03:00 UTC) with Hangfire at start-up.
/// </summary>
public sealed class TiersSchedule(IRecurringJobManager recurring, ILogger<TiersSchedule> logger) : IHostedService
{
    /// <summary>The schedule (cron, UTC): every day at 03:00.</summary>
    public const string Cron = "0 3 * * *";

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken)
    {
        recurring.AddOrUpdate<SegmentationJob>(SegmentationJob.RecurringJobId, j => j.RunAsync("schedule", CancellationToken.None), Cron);
        logger.LogInformation("Tiers: daily recomputation scheduled ({Cron} UTC).", Cron);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
