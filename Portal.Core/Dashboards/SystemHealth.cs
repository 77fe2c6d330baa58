using Hangfire;
using Hangfire.Storage.Monitoring;
using Microsoft.EntityFrameworkCore;
using Portal.Core.Data;
using Portal.Core.Data.Import;
using Portal.Core.Training;

namespace Portal.Core.Dashboards;

/// <summary>Thresholds of the health alerts. Bound from the <c>Health</c> configuration section.</summary>
public sealed class HealthOptions
{
    /// <summary>Alert when a model's latest test NDCG@20 (task all) is more than this fraction below its previous run's (default 0.10 = 10 %).</summary>
    public double MetricDropAlert { get; set; } = 0.10;
    /// <summary>Alert when the last successful import is older than this many days (default 7).</summary>
    public double StaleAfterDays { get; set; } = 7;
}

/// <summary>One Hangfire server (a web process or a worker) as the job storage sees it, with its worker heartbeat when it trains.</summary>
/// <param name="Name">Server name (<c>host:queues:pid</c>).</param>
/// <param name="Queues">Queues served.</param>
/// <param name="Workers">Concurrent job slots.</param>
/// <param name="StartedAt">Start time (UTC).</param>
/// <param name="Heartbeat">Last Hangfire heartbeat (UTC), if any.</param>
/// <param name="Device">Torch device from the portal's worker heartbeat, when the server trains.</param>
/// <param name="FreeMemoryMiB">Free host memory from the worker heartbeat, MiB.</param>
public sealed record JobServerHealth(string Name, IReadOnlyList<string> Queues, int Workers, DateTime StartedAt, DateTime? Heartbeat, string? Device, long? FreeMemoryMiB);

/// <summary>One recent job.</summary>
/// <param name="Id">Hangfire job id.</param>
/// <param name="Job">Job type and method (<c>TrainingJob.RunAsync</c>).</param>
/// <param name="At">When it succeeded or failed (UTC).</param>
/// <param name="DurationMs">Total duration in milliseconds (succeeded jobs).</param>
/// <param name="Error">Exception message (failed jobs).</param>
public sealed record JobRecord(string Id, string Job, DateTime? At, long? DurationMs, string? Error);

/// <summary>An alert shown on the health page and the dashboard.</summary>
/// <param name="Kind"><c>metric-drop</c> or <c>stale-data</c>.</param>
/// <param name="Subject">The model (metric drop) or <c>imports</c>.</param>
/// <param name="Previous">Previous value (metric drop: NDCG@20) or null.</param>
/// <param name="Current">Current value (metric drop: NDCG@20; stale data: age in days).</param>
public sealed record HealthAlert(string Kind, string Subject, double? Previous, double Current);

/// <summary>A snapshot of the platform's health.</summary>
public sealed class HealthSnapshot
{
    /// <summary>Job servers with their queues and heartbeats.</summary>
    public required IReadOnlyList<JobServerHealth> Servers { get; init; }
    /// <summary>Training workers' heartbeats (rows of <see cref="WorkerHeartbeat"/>).</summary>
    public required IReadOnlyList<WorkerHeartbeat> Workers { get; init; }
    /// <summary>The latest succeeded jobs, newest first.</summary>
    public required IReadOnlyList<JobRecord> Succeeded { get; init; }
    /// <summary>The latest failed jobs, newest first.</summary>
    public required IReadOnlyList<JobRecord> Failed { get; init; }
    /// <summary>Jobs per state: enqueued, processing, scheduled, failed, succeeded.</summary>
    public required IReadOnlyDictionary<string, long> Counts { get; init; }
    /// <summary>Timestamp of the latest stored event (UTC), if any.</summary>
    public DateTime? LastEvent { get; init; }
    /// <summary>When the latest successful import finished (UTC), if any.</summary>
    public DateTime? LastImport { get; init; }
    /// <summary>Active alerts.</summary>
    public required IReadOnlyList<HealthAlert> Alerts { get; init; }
}

/// <summary>
/// Reads the health of the platform: Hangfire servers, recent job durations and failures from the job storage,
/// training workers' heartbeats, data freshness and the alerts of <see cref="HealthOptions"/>.
/// </summary>
public sealed class SystemHealthService(IDbContextFactory<PortalDbContext> dbFactory, JobStorage storage, HealthOptions options)
{
    /// <summary>Reads a snapshot.</summary>
    /// <param name="now">The current time (UTC), for ages.</param>
    /// <param name="ct">Cancellation.</param>
    public async Task<HealthSnapshot> ReadAsync(DateTime now, CancellationToken ct = default)
    {
        var monitoring = storage.GetMonitoringApi();
        var stats = monitoring.GetStatistics();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var workers = await db.WorkerHeartbeats.AsNoTracking().ToListAsync(ct);
        var servers = monitoring.Servers().Select(s =>
        {
            // Hangfire's server id is the configured name plus ":pid:guid"; the heartbeat is keyed by the configured name.
            var beat = workers.FirstOrDefault(w => s.Name == w.ServerName || s.Name.StartsWith(w.ServerName + ":", StringComparison.Ordinal));
            return new JobServerHealth(s.Name, s.Queues.ToList(), s.WorkersCount, s.StartedAt, s.Heartbeat, beat?.Device, beat?.FreeMemoryMiB);
        }).OrderBy(s => s.Name, StringComparer.Ordinal).ToList();
        var succeeded = monitoring.SucceededJobs(0, 15).Select(j => new JobRecord(j.Key, Describe(j.Value.Job), j.Value.SucceededAt, j.Value.TotalDuration, null)).ToList();
        var failed = monitoring.FailedJobs(0, 15).Select(j => new JobRecord(j.Key, Describe(j.Value.Job), j.Value.FailedAt, null, j.Value.ExceptionMessage)).ToList();

        var lastEvent = await db.Events.AsNoTracking().MaxAsync(e => (DateTime?)e.Timestamp, ct);
        var lastImport = await db.ImportRuns.AsNoTracking().Where(r => r.Status == ImportStatus.Succeeded).MaxAsync(r => r.FinishedAt, ct);
        var alerts = new List<HealthAlert>();
        if (lastImport is { } li && (now - li).TotalDays > options.StaleAfterDays)
            alerts.Add(new HealthAlert("stale-data", "imports", null, Math.Round((now - li).TotalDays, 1)));

        // Metric drop: each model's latest succeeded run against its previous one (test NDCG@20, task all).
        var ndcg = await db.TrainingRuns.AsNoTracking().Where(r => r.Status == TrainingStatus.Succeeded && r.FinishedAt != null)
            .SelectMany(r => r.Metrics.Where(m => m.Task == "all" && m.Name == "ndcg@20"), (r, m) => new { r.Model, r.FinishedAt, r.Id, m.Value })
            .ToListAsync(ct);
        foreach (var model in ndcg.GroupBy(r => r.Model))
        {
            var last = model.OrderByDescending(r => r.FinishedAt).ThenByDescending(r => r.Id).Take(2).ToList();
            if (last.Count == 2 && last[1].Value > 0 && last[0].Value < last[1].Value * (1 - options.MetricDropAlert))
                alerts.Add(new HealthAlert("metric-drop", model.Key, last[1].Value, last[0].Value));
        }
        return new HealthSnapshot
        {
            Servers = servers,
            Workers = workers,
            Succeeded = succeeded,
            Failed = failed,
            Counts = new Dictionary<string, long>
            {
                ["enqueued"] = stats.Enqueued, ["processing"] = stats.Processing, ["scheduled"] = stats.Scheduled,
                ["failed"] = stats.Failed, ["succeeded"] = stats.Succeeded,
            },
            LastEvent = lastEvent,
            LastImport = lastImport,
            Alerts = alerts.OrderBy(a => a.Kind, StringComparer.Ordinal).ThenBy(a => a.Subject, StringComparer.Ordinal).ToList(),
        };
    }

    private static string Describe(Hangfire.Common.Job? job) => job is null ? "?" : $"{job.Type.Name}.{job.Method.Name}";
}
