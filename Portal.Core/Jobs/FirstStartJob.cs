using Hangfire;
using Microsoft.Extensions.Logging;
using Portal.Core.Data.Import;
using Portal.Core.Training;

namespace Portal.Core.Jobs;

/// <summary>What the first start does on an empty database. Bound from the <c>Bootstrap</c> configuration section.</summary>
public sealed class BootstrapOptions
{
    /// <summary>False to start with an empty portal.</summary>
    public bool Enabled { get; set; } = true;
    /// <summary>The file imported on first start; default: the bundled UCI Online Retail file next to the binary.</summary>
    public string? DataFile { get; set; }
    /// <summary>Comma-separated model names trained after the import; default: every trainable model.</summary>
    public string? Models { get; set; }
}

/// <summary>
/// First start on an empty database: imports the bundled dataset (in this job, so that a failed import stops here),
/// then queues the tiers computation, the training of the first models and a replay backtest (so that the dashboards
/// show weeks of history on first start). Runs as a Hangfire job on the <c>default</c> queue; its progress shows on the
/// Imports and Models pages and in the job dashboard.
/// </summary>
public sealed class FirstStartJob(ImportService imports, ITrainingService training, IBackgroundJobClient jobs, ILogger<FirstStartJob> logger,
    Backtest.IBacktestService? backtests = null)
{
    /// <summary>Imports <paramref name="dataFile"/> and trains <paramref name="models"/> (all trainable ones when empty).</summary>
    /// <param name="dataFile">Absolute path of the file to import.</param>
    /// <param name="models">Model names, or empty for all.</param>
    /// <param name="ct">Cancellation (server shutdown).</param>
    /// <exception cref="InvalidOperationException">The import failed; no model is trained then.</exception>
    [Queue("default")]
    [AutomaticRetry(Attempts = 0)]
    public async Task RunAsync(string dataFile, string[] models, CancellationToken ct)
    {
        logger.LogInformation("First start: importing {File}", dataFile);
        var run = await imports.ImportExistingFileAsync(dataFile, ImportFormat.Auto, "first-start", ct);
        if (run.Status != ImportStatus.Succeeded)
            throw new InvalidOperationException($"First start: the import of {dataFile} failed (import run {run.Id}: {run.Message}); no model is trained.");

        // The customers' tiers need only the events: compute them now, beside the training.
        jobs.Enqueue<Tiers.SegmentationJob>(t => t.RunAsync("import", CancellationToken.None));
        // The CTR model trains from the feedback table, which the bundled behaviour file does not fill.
        var names = models.Length > 0 ? models : training.TrainableModels.Where(m => m != Ctr.CtrTrainingJob.ModelName).ToArray();
        var runs = await training.EnqueueAsync(names, "first-start", ct);
        logger.LogInformation("First start: queued training of {Models} (runs {Runs})", string.Join(", ", names), string.Join(", ", runs));
        if (backtests is not null)
            logger.LogInformation("First start: queued backtest {Run}", await backtests.EnqueueAsync("first-start", ct));
    }
}
