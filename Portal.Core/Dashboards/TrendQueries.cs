using Microsoft.EntityFrameworkCore;
using Portal.Core.Backtest;
using Portal.Core.Data;
using Portal.Core.Training;

namespace Portal.Core.Dashboards;

/// <summary>One offline metric of one succeeded training run (a point of the offline-over-time chart).</summary>
/// <param name="Model">Model name.</param>
/// <param name="Version">Model version.</param>
/// <param name="FinishedAt">When the run finished (UTC).</param>
/// <param name="Task"><c>all</c> or <c>novel</c>.</param>
/// <param name="Metric">Metric key (<c>recall@20</c>, <c>ndcg@20</c>, <c>hitrate@20</c>, <c>coverage@20</c>).</param>
/// <param name="Value">The value (a fraction).</param>
public sealed record OfflinePoint(string Model, string Version, DateTime FinishedAt, string Task, string Metric, double Value);

/// <summary>
/// The queries behind the "over time" dashboards and their CSV exports: replayed weekly figures of the latest
/// succeeded backtest and offline test metrics across training runs. The page and the export read the same rows.
/// </summary>
public static class TrendQueries
{
    /// <summary>Offline metric keys charted over training runs.</summary>
    public static IReadOnlyList<string> OfflineMetrics { get; } = ["recall@20", "ndcg@20", "hitrate@20", "coverage@20"];

    /// <summary>The latest succeeded backtest run, or null when none has finished.</summary>
    /// <param name="db">The database.</param>
    /// <param name="ct">Cancellation.</param>
    public static Task<BacktestRun?> LatestBacktestAsync(PortalDbContext db, CancellationToken ct = default) =>
        db.BacktestRuns.AsNoTracking().Where(r => r.Status == BacktestStatus.Succeeded)
            .OrderByDescending(r => r.FinishedAt).ThenByDescending(r => r.Id).FirstOrDefaultAsync(ct);

    /// <summary>
    /// The weekly replayed figures of the latest succeeded backtest, weeks starting in [<paramref name="from"/>,
    /// <paramref name="to"/>] (either bound optional), for <paramref name="models"/> (null: all), by model then week.
    /// </summary>
    /// <param name="db">The database.</param>
    /// <param name="from">Earliest week start (UTC date), inclusive.</param>
    /// <param name="to">Latest week start (UTC date), inclusive.</param>
    /// <param name="models">Models to include; null or empty for all.</param>
    /// <param name="ct">Cancellation.</param>
    public static async Task<List<BacktestWeek>> ReplayedWeeksAsync(PortalDbContext db, DateTime? from = null, DateTime? to = null,
        IReadOnlyCollection<string>? models = null, CancellationToken ct = default)
    {
        var run = await LatestBacktestAsync(db, ct);
        if (run is null) return [];
        var q = db.BacktestWeeks.AsNoTracking().Where(w => w.BacktestRunId == run.Id);
        if (from is { } f) q = q.Where(w => w.WeekStart >= f);
        if (to is { } t) q = q.Where(w => w.WeekStart <= t);
        if (models is { Count: > 0 }) q = q.Where(w => models.Contains(w.Model));
        return await q.OrderBy(w => w.Model).ThenBy(w => w.WeekStart).ToListAsync(ct);
    }

    /// <summary>
    /// One offline test metric of every succeeded training run that has it, oldest first: the model quality over
    /// time (each run is evaluated on the protocol's split of the data it was trained on).
    /// </summary>
    /// <param name="db">The database.</param>
    /// <param name="task"><c>all</c> or <c>novel</c>.</param>
    /// <param name="metric">A key of <see cref="OfflineMetrics"/> (or any stored metric key).</param>
    /// <param name="ct">Cancellation.</param>
    public static async Task<List<OfflinePoint>> OfflineHistoryAsync(PortalDbContext db, string task, string metric, CancellationToken ct = default)
    {
        var rows = await db.TrainingRuns.AsNoTracking()
            .Where(r => r.Status == TrainingStatus.Succeeded && r.FinishedAt != null)
            .SelectMany(r => r.Metrics.Where(m => m.Task == task && m.Name == metric), (r, m) => new { r.Model, r.Version, r.FinishedAt, m.Value })
            .ToListAsync(ct);
        return rows.OrderBy(r => r.FinishedAt).ThenBy(r => r.Model, StringComparer.Ordinal)
            .Select(r => new OfflinePoint(r.Model, r.Version, r.FinishedAt!.Value, task, metric, r.Value)).ToList();
    }
}
