using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Portal.Core.Catalog;
using Portal.Core.Data;
using Portal.Core.Training;

namespace Portal.Core.Backtest;

/// <summary>Backtest settings. Bound from the <c>Backtest</c> configuration section.</summary>
public sealed class BacktestSettings
{
    /// <summary>Weeks replayed (default 10).</summary>
    public int Weeks { get; set; } = 10;
    /// <summary>Models replayed, comma-separated (default: popularity, repeat, itemknn, userknn: the ones that fit in seconds).</summary>
    public string Models { get; set; } = "popularity,repeat,itemknn,userknn";
    /// <summary>Push list length (default 20).</summary>
    public int ListLength { get; set; } = 20;
    /// <summary>Active window before a week, days (default 90).</summary>
    public int ActiveWindowDays { get; set; } = 90;
}

/// <summary>Starts replay backtests as Hangfire jobs.</summary>
public interface IBacktestService
{
    /// <summary>Creates a queued <see cref="BacktestRun"/> with the configured settings and enqueues its job.</summary>
    /// <param name="triggeredBy">User name, <c>first-start</c> or <c>schedule</c>.</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>The run's id.</returns>
    Task<int> EnqueueAsync(string triggeredBy, CancellationToken ct = default);
}

/// <summary>Creates backtest runs and enqueues <see cref="BacktestJob"/> on the <c>default</c> queue.</summary>
public sealed class BacktestService(IDbContextFactory<PortalDbContext> dbFactory, IBackgroundJobClient jobs, BacktestSettings settings) : IBacktestService
{
    /// <inheritdoc />
    public async Task<int> EnqueueAsync(string triggeredBy, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var run = new BacktestRun
        {
            Models = settings.Models, Weeks = settings.Weeks, ListLength = settings.ListLength,
            ActiveWindowDays = settings.ActiveWindowDays, TriggeredBy = triggeredBy, Status = BacktestStatus.Queued,
        };
        db.BacktestRuns.Add(run);
        await db.SaveChangesAsync(ct);
        jobs.Enqueue<BacktestJob>(j => j.RunAsync(run.Id, CancellationToken.None));
        return run.Id;
    }
}

/// <summary>
/// Runs a <see cref="BacktestRun"/>: loads the stored events (as training does), replays the weeks with each model's
/// default hyper-parameters (the active versions' were chosen on data after most replayed weeks, which would leak
/// into them; the current availability flags are used for every week) with <see cref="ReplayBacktester"/>
/// and stores every (model, week) row in one transaction at the end.
/// </summary>
public sealed class BacktestJob(IDbContextFactory<PortalDbContext> dbFactory, ILogger<BacktestJob> logger)
{
    /// <summary>Runs backtest <paramref name="backtestRunId"/> (status Queued; other states are left alone).</summary>
    /// <exception cref="KeyNotFoundException">No such run.</exception>
    [Queue("default")]
    [AutomaticRetry(Attempts = 0)]
    public async Task RunAsync(int backtestRunId, CancellationToken ct)
    {
        BacktestRun run;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            run = await db.BacktestRuns.FindAsync([backtestRunId], ct) ?? throw new KeyNotFoundException($"Backtest run {backtestRunId} does not exist.");
            if (run.Status != BacktestStatus.Queued) return;
            run.Status = BacktestStatus.Running;
            run.StartedAt = DateTime.UtcNow;
            run.ProgressText = "loading events";
            await db.SaveChangesAsync(ct);
        }
        try
        {
            var options = await OptionsAsync(run, ct);
            await using var read = await dbFactory.CreateDbContextAsync(ct);
            var events = await StoreInteractions.LoadAsync(read, ct);
            var progress = new ThrottledProgress(dbFactory, backtestRunId);
            var weeks = await Task.Run(() => ReplayBacktester.Run(events, options, progress, ct), ct);

            await using var db = await dbFactory.CreateDbContextAsync(ct);
            var stored = await db.BacktestRuns.SingleAsync(r => r.Id == backtestRunId, ct);
            stored.WeeksReplayed.AddRange(weeks);
            stored.Status = BacktestStatus.Succeeded;
            stored.Progress = 1;
            stored.ProgressText = "done";
            stored.FinishedAt = DateTime.UtcNow;
            stored.Message = $"{weeks.Select(w => w.WeekStart).Distinct().Count()} weeks × {weeks.Select(w => w.Model).Distinct().Count()} models replayed.";
            await db.SaveChangesAsync(ct);
            logger.LogInformation("Backtest {Run}: {Message}", backtestRunId, stored.Message);
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Backtest {Run} failed", backtestRunId);
            await using var db = await dbFactory.CreateDbContextAsync(CancellationToken.None);
            await db.BacktestRuns.Where(r => r.Id == backtestRunId).ExecuteUpdateAsync(s => s
                .SetProperty(r => r.Status, BacktestStatus.Failed)
                .SetProperty(r => r.FinishedAt, DateTime.UtcNow)
                .SetProperty(r => r.Message, ex is OperationCanceledException ? "Cancelled." : ex.GetBaseException().Message), CancellationToken.None);
            throw;
        }
    }

    /// <summary>The run's settings and the unavailable products.</summary>
    private async Task<BacktestOptions> OptionsAsync(BacktestRun run, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var models = run.Models.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var unavailable = await db.Products.AsNoTracking().Where(p => !p.IsAvailable)
            .Select(p => new { Merchant = p.Merchant!.Code, p.ExternalId }).ToListAsync(ct);
        return new BacktestOptions
        {
            Weeks = run.Weeks,
            ListLength = run.ListLength,
            ActiveWindowDays = run.ActiveWindowDays,
            Models = models,
            Unavailable = unavailable.Select(u => StoreInteractions.ItemKey(u.Merchant, u.ExternalId)).ToHashSet(StringComparer.Ordinal),
        };
    }

    /// <summary>
    /// Writes progress to the run at most twice a second, synchronously on the reporting thread and one write at a
    /// time (a <see cref="Progress{T}"/> would post to the thread pool, where a late update could overwrite "done").
    /// </summary>
    private sealed class ThrottledProgress(IDbContextFactory<PortalDbContext> dbFactory, int runId) : IProgress<(double Fraction, string Text)>
    {
        private readonly object _gate = new();
        private DateTime _lastWrite = DateTime.MinValue;

        public void Report((double Fraction, string Text) value)
        {
            lock (_gate)
            {
                if ((DateTime.UtcNow - _lastWrite).TotalMilliseconds < 500 && value.Fraction < 1) return;
                _lastWrite = DateTime.UtcNow;
                using var db = dbFactory.CreateDbContext();
                db.BacktestRuns.Where(r => r.Id == runId)
                    .ExecuteUpdate(s => s.SetProperty(r => r.Progress, value.Fraction).SetProperty(r => r.ProgressText, value.Text));
            }
        }
    }
}
