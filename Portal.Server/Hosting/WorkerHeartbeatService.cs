using Microsoft.EntityFrameworkCore;
using Portal.Core.Data;
using Portal.Core.Training;

namespace Portal.Server.Hosting;

/// <summary>
/// Writes this process's <see cref="WorkerHeartbeat"/> (host, queues, torch device, free and total memory) every
/// <see cref="WorkerHeartbeat.Interval"/> while it serves the <c>gpu</c> queue, and removes it on a clean stop.
/// After each successful write it also touches the liveness file (<c>Worker:HeartbeatFile</c>, default
/// <c>portal-worker.alive</c> in the temp folder): the worker role serves no HTTP, so compose's health check tests that
/// the file changed in the last two minutes. A failed write is logged and retried at the next beat (a heartbeat must
/// never stop the worker), and the file is then not touched.
/// </summary>
/// <param name="dbFactory">The portal database (shared by web and workers).</param>
/// <param name="identity">This process's server name and queues.</param>
/// <param name="workerCount">Hangfire workers of this process.</param>
/// <param name="livenessFile">Path of the liveness file.</param>
/// <param name="logger">Logger.</param>
public sealed class WorkerHeartbeatService(
    IDbContextFactory<PortalDbContext> dbFactory,
    WorkerIdentity identity,
    int workerCount,
    string livenessFile,
    ILogger<WorkerHeartbeatService> logger) : BackgroundService
{
    private readonly DateTime _startedAt = DateTime.UtcNow;
    private readonly string _device = TorchDevice.Describe();

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        logger.LogInformation("Worker {Server} trains on {Device}.", identity.ServerName, _device);
        using var timer = new PeriodicTimer(WorkerHeartbeat.Interval);
        do
        {
            try
            {
                await BeatAsync(stoppingToken);
                await File.WriteAllTextAsync(livenessFile, DateTime.UtcNow.ToString("O"), stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogWarning(ex, "Heartbeat of {Server} not written", identity.ServerName);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    /// <summary>Inserts or updates this process's row.</summary>
    private async Task BeatAsync(CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var row = await db.WorkerHeartbeats.FindAsync([identity.ServerName], ct);
        if (row is null)
        {
            row = new WorkerHeartbeat { ServerName = identity.ServerName, Host = Environment.MachineName, Queues = string.Join(',', identity.Queues), Device = _device };
            db.WorkerHeartbeats.Add(row);
        }
        var (free, total) = Memory();
        row.ProcessId = Environment.ProcessId;
        row.Device = _device;
        row.WorkerCount = workerCount;
        row.FreeMemoryMiB = free;
        row.TotalMemoryMiB = total;
        row.StartedAt = _startedAt;
        row.LastSeen = DateTime.UtcNow;
        await db.SaveChangesAsync(ct);
    }

    /// <inheritdoc />
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            await db.WorkerHeartbeats.Where(h => h.ServerName == identity.ServerName).ExecuteDeleteAsync(cancellationToken);
        }
        catch (Exception ex)
        {
            // The row then simply goes stale.
            logger.LogDebug(ex, "Heartbeat of {Server} not removed", identity.ServerName);
        }
    }

    /// <summary>Available and total memory in MiB: Linux <c>/proc/meminfo</c> (MemAvailable, MemTotal), else the GC's view.</summary>
    private static (long Free, long Total) Memory()
    {
        try
        {
            if (File.Exists("/proc/meminfo"))
            {
                long Kb(string key) => File.ReadLines("/proc/meminfo").Where(l => l.StartsWith(key + ":", StringComparison.Ordinal))
                    .Select(l => long.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture)).First();
                return (Kb("MemAvailable") / 1024, Kb("MemTotal") / 1024);
            }
        }
        catch (Exception ex) when (ex is IOException or FormatException or InvalidOperationException) { }
        var gc = GC.GetGCMemoryInfo();
        return ((gc.TotalAvailableMemoryBytes - gc.MemoryLoadBytes) / (1024 * 1024), gc.TotalAvailableMemoryBytes / (1024 * 1024));
    }
}
