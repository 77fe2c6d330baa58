using System.Diagnostics;
using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Portal.Core.Data;
using Portal.Core.Evaluation;
using Portal.Core.Recommendation;
using Portal.Core.Training.Pipeline;

namespace Portal.Core.Training;

/// <summary>Registry rules for new model versions. Bound from the <c>Training</c> configuration section.</summary>
public sealed class TrainingOptions
{
    /// <summary>
    /// A new version replaces the active one only if its test NDCG@20 (task all) is at least the active one's times
    /// (1 − margin). 0.02 = at most 2 % worse (data grows between runs, so a small drop is noise).
    /// </summary>
    public double ActivationMargin { get; set; } = 0.02;

    /// <summary>
    /// Hyper-parameters fixed per model in every searched configuration (model → name → value), e.g.
    /// <c>Training__ModelParameters__blend__quota_gru=100</c> adds the GRU channel to the push pipeline on a GPU worker.
    /// Names the model does not have are ignored.
    /// </summary>
    public Dictionary<string, Dictionary<string, double>> ModelParameters { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>
/// Trains one model version as a Hangfire job on the <c>gpu</c> queue: loads the stored interactions, runs
/// <see cref="TrainingPipeline"/> (validation search, test evaluation, serving fit), saves the serving artifact
/// under <c>models/{model}/{version}.bin</c>, stores parameters, timings and every metric, and activates the version
/// when it is not worse than the active one. A failed or cancelled run never replaces the active model.
/// </summary>
public sealed class TrainingJob(
    IDbContextFactory<PortalDbContext> dbFactory,
    PortalPaths paths,
    ModelStore store,
    TrainingOptions options,
    ILogger<TrainingJob> logger)
{
    /// <summary>Runs the training run <paramref name="trainingRunId"/> (status Queued).</summary>
    /// <exception cref="KeyNotFoundException">No such run.</exception>
    [Queue("gpu")]
    [AutomaticRetry(Attempts = 0)]
    public async Task RunAsync(int trainingRunId, CancellationToken ct)
    {
        TrainingRun run;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            run = await db.TrainingRuns.FindAsync([trainingRunId], ct) ?? throw new KeyNotFoundException($"Training run {trainingRunId} does not exist.");
            if (run.Status != TrainingStatus.Queued) return; // already handled (a retried job)
            run.Status = TrainingStatus.Running;
            run.StartedAt = DateTime.UtcNow;
            run.ProgressText = "loading events";
            await db.SaveChangesAsync(ct);
        }

        var progress = new ThrottledProgress(dbFactory, logger, trainingRunId);
        try
        {
            List<Interaction> events;
            Dictionary<string, string>? text = null;
            Dictionary<string, double>? prices = null;
            await using (var db = await dbFactory.CreateDbContextAsync(ct))
            {
                events = await StoreInteractions.LoadAsync(db, ct);
                // Product text only for the models that read it (text2vec).
                if (Recommenders.Names.Contains(run.Model) && Recommenders.Create(run.Model) is Embeddings.ICatalogueTextModel)
                    text = await StoreInteractions.LoadCatalogueTextAsync(db, ct);
                // Unit prices only for the models with price features (blend).
                if (Recommenders.Names.Contains(run.Model) && Recommenders.Create(run.Model) is IItemPriceModel)
                    prices = await StoreInteractions.LoadPricesAsync(db, ct);
            }
            var sha = StoreInteractions.Checksum(events);
            var result = await Task.Run(() => TrainingPipeline.Run(run.Model, events, new PipelineOptions
            {
                DatasetName = StoreInteractions.DatasetName,
                DatasetSha256 = sha,
                Seed = run.Seed,
                Version = run.Version,
                CatalogueText = text,
                ItemPrices = prices,
                Grid = FixedGrid(run.Model),
            }, progress, ct), ct);

            var relative = Path.Combine(run.Model, run.Version + ".bin");
            if (result.Serving is { } serving)
            {
                var file = Path.Combine(paths.Models, relative);
                Directory.CreateDirectory(Path.GetDirectoryName(file)!);
                await using (var s = File.Create(file + ".tmp")) serving.Save(s);
                File.Move(file + ".tmp", file, overwrite: true);
            }
            await CompleteAsync(trainingRunId, result, events, result.Serving is null ? null : relative, ct);
        }
        catch (OperationCanceledException)
        {
            await FailAsync(trainingRunId, TrainingStatus.Cancelled, "Cancelled.");
            throw;
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Training run {Run} ({Model}) failed", trainingRunId, run.Model);
            await FailAsync(trainingRunId, TrainingStatus.Failed, ex.GetBaseException().Message);
            throw;
        }
    }

    /// <summary>The search grid with <see cref="TrainingOptions.ModelParameters"/> of <paramref name="model"/> fixed, or null (the default grid).</summary>
    private Func<string, EvaluationTask, IReadOnlyList<IReadOnlyDictionary<string, double>>>? FixedGrid(string model)
    {
        if (!options.ModelParameters.TryGetValue(model, out var fixedParams) || fixedParams.Count == 0) return null;
        var known = Recommenders.Create(model).Parameters;
        var applied = fixedParams.Where(kv => known.ContainsKey(kv.Key)).ToList();
        return (name, task) => Recommenders.Grid(name, task)
            .Select(p => (IReadOnlyDictionary<string, double>)p.Concat(applied).GroupBy(kv => kv.Key, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => g.Last().Value, StringComparer.Ordinal))
            .ToList();
    }

    private async Task CompleteAsync(int id, PipelineResult result, List<Interaction> events, string? artifact, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var run = await db.TrainingRuns.Include(r => r.Metrics).SingleAsync(r => r.Id == id, ct);
        var report = result.Report;
        run.Status = TrainingStatus.Succeeded;
        run.FinishedAt = DateTime.UtcNow;
        run.Progress = 1;
        run.ProgressText = "done";
        run.ParametersJson = report.ParamsJson();
        run.DatasetName = report.DatasetName;
        run.DatasetSha256 = report.DatasetSha256;
        run.DataFrom = events.Count > 0 ? events[0].Timestamp : null;
        run.DataTo = events.Count > 0 ? events[^1].Timestamp : null;
        run.SplitT = report.T;
        run.TrainSeconds = result.TrainSeconds;
        run.SearchSeconds = result.SearchSeconds;
        run.ServeFitSeconds = result.ServeFitSeconds;
        run.ResultJson = report.ToJson();
        run.ArtifactPath = artifact;
        run.Metrics.Clear();
        AddMetrics(run, "all", report.All);
        AddMetrics(run, "novel", report.Novel);
        AddMetrics(run, "validation-all", result.ValidationAll);
        AddMetrics(run, "validation-novel", result.ValidationNovel);

        // Registry: activate when not worse than the active version of this model (by test NDCG@20, task all).
        var active = await db.TrainingRuns.Include(r => r.Metrics)
            .Where(r => r.Model == run.Model && r.ModelStatus == ModelStatus.Active && r.Id != id).ToListAsync(ct);
        var activeNdcg = active.SelectMany(r => r.Metrics).Where(m => m.Task == "all" && m.Name == "ndcg@20").Select(m => (double?)m.Value).Max();
        var ndcg = report.All.Ndcg20;
        if (artifact is not null && (activeNdcg is null || ndcg >= activeNdcg.Value * (1 - options.ActivationMargin)))
        {
            foreach (var a in active) a.ModelStatus = ModelStatus.Retired;
            run.ModelStatus = ModelStatus.Active;
            run.Message = activeNdcg is null ? "Activated (first version)." : $"Activated: NDCG@20 {ndcg:F4} vs {activeNdcg:F4} of the previous version.";
        }
        else
        {
            run.ModelStatus = ModelStatus.Candidate;
            run.Message = $"Kept as candidate: NDCG@20 {ndcg:F4} is worse than the active version's {activeNdcg:F4} by more than {options.ActivationMargin:P0}.";
        }
        await db.SaveChangesAsync(ct);
        store.Invalidate(run.Model);
        logger.LogInformation("Training run {Run} ({Model} {Version}) finished: all NDCG@20 {Ndcg:F4}, {Message}", id, run.Model, run.Version, ndcg, run.Message);
    }

    private static void AddMetrics(TrainingRun run, string task, TaskMetrics metrics)
    {
        foreach (var (name, value) in metrics.Named())
            run.Metrics.Add(new TrainingMetric { Task = task, Name = name, Value = value });
    }

    private async Task FailAsync(int id, TrainingStatus status, string message)
    {
        await using var db = await dbFactory.CreateDbContextAsync();
        var run = await db.TrainingRuns.FindAsync(id);
        if (run is null) return;
        run.Status = status;
        run.FinishedAt = DateTime.UtcNow;
        run.Message = message;
        await db.SaveChangesAsync();
    }

    /// <summary>Writes pipeline progress to the run at most twice a second (the Models page polls it).</summary>
    private sealed class ThrottledProgress(IDbContextFactory<PortalDbContext> dbFactory, ILogger logger, int runId) : IProgress<PipelineProgress>
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private long _lastMs = -1000;

        public void Report(PipelineProgress value)
        {
            var now = _clock.ElapsedMilliseconds;
            if (now - Interlocked.Read(ref _lastMs) < 500 && value.Fraction < 1) return;
            Interlocked.Exchange(ref _lastMs, now);
            try
            {
                using var db = dbFactory.CreateDbContext();
                db.TrainingRuns.Where(r => r.Id == runId)
                    .ExecuteUpdate(s => s.SetProperty(r => r.Progress, value.Fraction).SetProperty(r => r.ProgressText, value.Text));
            }
            catch (Exception ex)
            {
                // Progress is informative only; a busy database must not fail the training.
                logger.LogDebug(ex, "Progress update of run {Run} skipped", runId);
            }
        }
    }
}
