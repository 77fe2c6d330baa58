using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Portal.Core.Data;
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
/// First start on an empty database: imports the bundled dataset, waits for the import to end, then queues the
/// training of the first models. Runs as a Hangfire job on the <c>default</c> queue so that its progress shows in the
/// UI (Imports and Models pages) and in the job dashboard.
/// </summary>
public sealed class FirstStartJob(
    IDbContextFactory<PortalDbContext> dbFactory,
    IImportService imports,
    ITrainingService training,
    ILogger<FirstStartJob> logger)
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
        int runId;
        await using (var file = File.OpenRead(dataFile))
            runId = await imports.EnqueueAsync(Path.GetFileName(dataFile), file, ImportFormat.Auto, "first-start", ct);
        logger.LogInformation("First start: importing {File} (import run {Run})", dataFile, runId);

        ImportStatus status;
        do
        {
            await Task.Delay(TimeSpan.FromSeconds(1), ct);
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            status = await db.ImportRuns.Where(r => r.Id == runId).Select(r => r.Status).SingleAsync(ct);
        } while (status is ImportStatus.Queued or ImportStatus.Running);
        if (status != ImportStatus.Succeeded)
            throw new InvalidOperationException($"First start: the import of {dataFile} failed (import run {runId}); no model is trained.");

        var names = models.Length > 0 ? models : training.TrainableModels.ToArray();
        var runs = await training.EnqueueAsync(names, "first-start", ct);
        logger.LogInformation("First start: queued training of {Models} (runs {Runs})", string.Join(", ", names), string.Join(", ", runs));
    }
}
