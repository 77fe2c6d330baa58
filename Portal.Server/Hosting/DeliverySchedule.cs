using Hangfire;
using Portal.Core.Delivery;

namespace Portal.Server.Hosting;

/// <summary>
/// Registers the delivery sweep (<see cref="DeliveryJob.SweepAsync"/>, recurring job <see cref="DeliveryJob.SweepJobId"/>,
/// every minute) with Hangfire at start-up: it resumes batches whose delivery was interrupted and sends pushes whose
/// quiet hours or retry delay have passed.
/// </summary>
public sealed class DeliverySchedule(IRecurringJobManager recurring, ILogger<DeliverySchedule> logger) : IHostedService
{
    /// <summary>The schedule (cron, UTC): every minute.</summary>
    public const string Cron = "* * * * *";

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken)
    {
        recurring.AddOrUpdate<DeliveryJob>(DeliveryJob.SweepJobId, j => j.SweepAsync(CancellationToken.None), Cron);
        logger.LogInformation("Delivery: sweep scheduled ({Cron} UTC).", Cron);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
