using Microsoft.EntityFrameworkCore;
using Portal.Core.Data;

namespace Portal.Server.Hosting;

/// <summary>
/// Liveness of the worker role, which serves no HTTP: every <see cref="Interval"/> it asks the database whether it
/// answers and, if so, touches the heartbeat file (<c>Worker:HeartbeatFile</c>, default <c>/tmp/portal-worker.alive</c>
/// under the temp folder). The compose health check tests that the file changed in the last two minutes.
/// </summary>
public sealed class WorkerHeartbeat(IDbContextFactory<PortalDbContext> dbFactory, IConfiguration configuration, ILogger<WorkerHeartbeat> logger)
    : BackgroundService
{
    /// <summary>Time between two checks (30 s).</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(30);

    /// <summary>The heartbeat file's path.</summary>
    public string FilePath { get; } = configuration["Worker:HeartbeatFile"] ?? Path.Combine(Path.GetTempPath(), "portal-worker.alive");

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        do
        {
            try
            {
                await using var db = await dbFactory.CreateDbContextAsync(stoppingToken);
                if (await db.Database.CanConnectAsync(stoppingToken))
                    await File.WriteAllTextAsync(FilePath, DateTime.UtcNow.ToString("O"), stoppingToken);
                else
                    logger.LogWarning("Worker heartbeat: the database does not answer; {File} not touched.", FilePath);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "Worker heartbeat failed; {File} not touched.", FilePath);
            }
        } while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
