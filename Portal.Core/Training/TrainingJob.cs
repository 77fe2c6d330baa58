using System.Diagnostics;
using System.Text.Json;
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
    /// A new version replaces the active one only if its validation NDCG@20 (task all) is at least the active one's times
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
/// Trains one model version as two Hangfire jobs on the <c>gpu</c> queue. <see cref="SearchAsync"/>: loads the stored
/// interactions, runs the hyper-parameter search of <see cref="TrainingPipeline.Search"/> on the validation split and
/// stores every trial (<see cref="HyperParameterTrial"/>). <see cref="RunAsync"/> (a continuation of the search): refits
/// the chosen configurations, evaluates them on test, fits the serving model, saves the artifact under
/// <c>models/{model}/{version}.bin</c>, stores parameters, timings and every metric, and activates the version when it
/// is not worse than the active one. A failed or cancelled run never replaces the active model.
/// </summary>
public sealed class TrainingJob(
    IDbContextFactory<PortalDbContext> dbFactory,
    PortalPaths paths,
    ModelStore store,
    TrainingOptions options,
    ILogger<TrainingJob> logger,
    WorkerIdentity? identity = null)
{
    /// <summary>
    /// The search job of run <paramref name="trainingRunId"/> (status Queued → Searching): tries the model's grid on
    /// the validation split and stores the trials and the validation metrics of each task's choice. Does nothing for a
    /// run that is no longer queued (cancelled, or already handled).
    /// </summary>
    /// <exception cref="KeyNotFoundException">No such run.</exception>
    /// <exception cref="OperationCanceledException">The run was cancelled (its job deleted) or the server stops.</exception>
    [Queue("gpu")]
    [AutomaticRetry(Attempts = 0)]
    public async Task SearchAsync(int trainingRunId, CancellationToken ct)
    {
        var run = await StartAsync(trainingRunId, TrainingStatus.Queued, TrainingStatus.Searching, ct);
        if (run is null) return;
        var progress = new ThrottledProgress(dbFactory, logger, trainingRunId);
        try
        {
            var (events, text, prices) = await LoadDataAsync(run.Model, ct);
            var search = await Task.Run(() => TrainingPipeline.Search(run.Model, events, PipelineOptionsFor(run, events, text, prices), progress, ct), ct);
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            var stored = await db.TrainingRuns.Include(r => r.Trials).Include(r => r.Metrics).SingleAsync(r => r.Id == trainingRunId, ct);
            StoreTrials(stored, search);
            stored.SearchSeconds = search.SearchSeconds;
            stored.Progress = 0.6;
            stored.ProgressText = $"{run.Model}: search done ({search.Trials.Count} trials); waiting for the training job";
            await db.SaveChangesAsync(ct);
        }
        catch (OperationCanceledException)
        {
            await FailAsync(trainingRunId, TrainingStatus.Cancelled, "Cancelled.");
            throw;
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Hyper-parameter search of run {Run} ({Model}) failed", trainingRunId, run.Model);
            await FailAsync(trainingRunId, TrainingStatus.Failed, ex.GetBaseException().Message);
            throw;
        }
    }

    /// <summary>
    /// Trains run <paramref name="trainingRunId"/>: after <see cref="SearchAsync"/> (status Searching, trials stored) it
    /// uses the stored choice; a run still Queued (enqueued without a search job) searches first. Does nothing for a
    /// run in any other state (cancelled, failed, already handled).
    /// </summary>
    /// <exception cref="KeyNotFoundException">No such run.</exception>
    /// <exception cref="OperationCanceledException">The run was cancelled (its job deleted) or the server stops.</exception>
    [Queue("gpu")]
    [AutomaticRetry(Attempts = 0)]
    public async Task RunAsync(int trainingRunId, CancellationToken ct)
    {
        var run = await StartAsync(trainingRunId, TrainingStatus.Searching, TrainingStatus.Running, ct)
                  ?? await StartAsync(trainingRunId, TrainingStatus.Queued, TrainingStatus.Running, ct);
        if (run is null) return;

        var progress = new ThrottledProgress(dbFactory, logger, trainingRunId);
        var clock = Stopwatch.StartNew();
        long? trained = null;
        try
        {
            var (events, text, prices) = await LoadDataAsync(run.Model, ct);
            trained = events.Count;
            var searched = StoredSearch(run);
            var result = await Task.Run(() => TrainingPipeline.Run(run.Model, events, PipelineOptionsFor(run, events, text, prices), progress, ct, searched), ct);

            var relative = Path.Combine(run.Model, run.Version + ".bin");
            if (result.Serving is { } serving)
            {
                var file = Path.Combine(paths.Models, relative);
                Directory.CreateDirectory(Path.GetDirectoryName(file)!);
                await using (var s = File.Create(file + ".tmp")) serving.Save(s);
                File.Move(file + ".tmp", file, overwrite: true);
            }
            await CompleteAsync(trainingRunId, result, events, result.Serving is null ? null : relative, ct);
            TrainingTelemetry.RecordRun(run.Model, "succeeded", clock.Elapsed.TotalSeconds, trained);
        }
        catch (OperationCanceledException)
        {
            await FailAsync(trainingRunId, TrainingStatus.Cancelled, "Cancelled.");
            TrainingTelemetry.RecordRun(run.Model, "cancelled", clock.Elapsed.TotalSeconds, trained);
            throw;
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Training run {Run} ({Model}) failed", trainingRunId, run.Model);
            await FailAsync(trainingRunId, TrainingStatus.Failed, ex.GetBaseException().Message);
            TrainingTelemetry.RecordRun(run.Model, "failed", clock.Elapsed.TotalSeconds, trained);
            throw;
        }
    }

    /// <summary>
    /// Moves the run from <paramref name="from"/> to <paramref name="to"/> and records this worker; null when the run
    /// is in another state (nothing to do). The run is returned with its trials.
    /// </summary>
    private async Task<TrainingRun?> StartAsync(int id, TrainingStatus from, TrainingStatus to, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var run = await db.TrainingRuns.Include(r => r.Trials).SingleOrDefaultAsync(r => r.Id == id, ct)
                  ?? throw new KeyNotFoundException($"Training run {id} does not exist.");
        if (run.Status != from) return null;
        run.Status = to;
        run.StartedAt ??= DateTime.UtcNow;
        run.ProgressText = "loading events";
        run.TrainedOn = $"{identity?.ServerName ?? Environment.MachineName + ":" + Environment.ProcessId} · {TorchDevice.Describe()}";
        await db.SaveChangesAsync(ct);
        return run;
    }

    /// <summary>
    /// The stored events in protocol order, the catalogue text for the models that read it (text2vec, blend) and the
    /// unit prices for the models with price features (blend).
    /// </summary>
    private async Task<(List<Interaction> Events, Dictionary<string, string>? Text, Dictionary<string, double>? Prices)> LoadDataAsync(string model, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var events = await StoreInteractions.LoadAsync(db, ct);
        Dictionary<string, string>? text = null;
        Dictionary<string, double>? prices = null;
        var probe = Recommenders.Names.Contains(model) ? Recommenders.Create(model) : null;
        if (probe is Embeddings.ICatalogueTextModel) text = await StoreInteractions.LoadCatalogueTextAsync(db, ct);
        if (probe is IItemPriceModel) prices = await StoreInteractions.LoadPricesAsync(db, ct);
        return (events, text, prices);
    }

    private PipelineOptions PipelineOptionsFor(TrainingRun run, List<Interaction> events, Dictionary<string, string>? text, Dictionary<string, double>? prices) => new()
    {
        DatasetName = StoreInteractions.DatasetName,
        DatasetSha256 = StoreInteractions.Checksum(events),
        Seed = run.Seed,
        Version = run.Version,
        CatalogueText = text,
        ItemPrices = prices,
        Grid = FixedGrid(run.Model),
    };

    /// <summary>Replaces the run's trials with those of <paramref name="search"/>, marking each task's choice.</summary>
    private static void StoreTrials(TrainingRun run, SearchResult search)
    {
        run.Trials.Clear();
        foreach (var (trial, ordinal) in search.Trials.Select((t, i) => (t, i)))
        {
            var row = new HyperParameterTrial
            {
                Ordinal = ordinal,
                ParametersJson = JsonSerializer.Serialize(trial.Parameters),
                ChosenForAll = ReferenceEquals(trial, search.BestAll),
                ChosenForNovel = ReferenceEquals(trial, search.BestNovel),
            };
            SetValidation(row, trial);
            run.Trials.Add(row);
        }
    }

    /// <summary>Writes a trial's validation figures (NDCG@20 and all metrics, per task) into its stored row.</summary>
    private static void SetValidation(HyperParameterTrial row, SearchTrial trial)
    {
        row.NdcgAll = trial.NdcgAll;
        row.NdcgNovel = trial.NdcgNovel;
        row.ValidationAllJson = trial.ValidationAll is null ? null : JsonSerializer.Serialize(trial.ValidationAll);
        row.ValidationNovelJson = trial.ValidationNovel is null ? null : JsonSerializer.Serialize(trial.ValidationNovel);
    }

    /// <summary>The search stored by <see cref="SearchAsync"/>, or null when the run has no trials (search inline).</summary>
    private static SearchResult? StoredSearch(TrainingRun run)
    {
        if (run.Trials.Count == 0) return null;
        var trials = run.Trials.OrderBy(t => t.Ordinal).Select(t => (Row: t, Trial: new SearchTrial(
            JsonSerializer.Deserialize<Dictionary<string, double>>(t.ParametersJson)!, t.NdcgAll, t.NdcgNovel)
        {
            ValidationAll = t.ValidationAllJson is null ? null : JsonSerializer.Deserialize<TaskMetrics>(t.ValidationAllJson),
            ValidationNovel = t.ValidationNovelJson is null ? null : JsonSerializer.Deserialize<TaskMetrics>(t.ValidationNovelJson),
        })).ToList();
        return new SearchResult
        {
            Trials = trials.Select(t => t.Trial).ToList(),
            BestAll = trials.Single(t => t.Row.ChosenForAll).Trial,
            BestNovel = trials.Single(t => t.Row.ChosenForNovel).Trial,
            SearchSeconds = run.SearchSeconds ?? 0,
        };
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
        var run = await db.TrainingRuns.Include(r => r.Metrics).Include(r => r.Trials).SingleAsync(r => r.Id == id, ct);
        var report = result.Report;
        // Cancelled while finishing (the fit did not reach a cancellation check): the run stays cancelled, never active.
        if (run.Status == TrainingStatus.Cancelled) return;
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
        // The search the run used; a self-validating model (blend) only now knows its trials' validation metrics.
        if (run.Trials.Count == 0) StoreTrials(run, result.Search);
        else
            foreach (var (row, trial) in run.Trials.OrderBy(t => t.Ordinal).Zip(result.Search.Trials))
                SetValidation(row, trial);
        run.ServeFitSeconds = result.ServeFitSeconds;
        run.ResultJson = report.ToJson();
        run.ArtifactPath = artifact;
        run.Metrics.Clear();
        AddMetrics(run, "all", report.All);
        AddMetrics(run, "novel", report.Novel);
        AddMetrics(run, "validation-all", result.ValidationAll);
        AddMetrics(run, "validation-novel", result.ValidationNovel);

        // Registry: activate when not worse than the active version of this model by validation NDCG@20 (task all);
        // test figures are for reporting only (shared/EVALUATION.md: nothing is chosen by looking at test).
        var active = await db.TrainingRuns.Include(r => r.Metrics)
            .Where(r => r.Model == run.Model && r.ModelStatus == ModelStatus.Active && r.Id != id).ToListAsync(ct);
        var activeNdcg = active.SelectMany(r => r.Metrics).Where(m => m.Task == "validation-all" && m.Name == "ndcg@20").Select(m => (double?)m.Value).Max();
        var ndcg = result.ValidationAll.Ndcg20;
        if (artifact is not null && (activeNdcg is null || ndcg >= activeNdcg.Value * (1 - options.ActivationMargin)))
        {
            foreach (var a in active) a.ModelStatus = ModelStatus.Retired;
            run.ModelStatus = ModelStatus.Active;
            run.Message = activeNdcg is null ? "Activated (first version)." : $"Activated: validation NDCG@20 {ndcg:F4} vs {activeNdcg:F4} of the previous version.";
        }
        else
        {
            run.ModelStatus = ModelStatus.Candidate;
            run.Message = $"Kept as candidate: validation NDCG@20 {ndcg:F4} is worse than the active version's {activeNdcg:F4} by more than {options.ActivationMargin:P0}.";
        }
        await db.SaveChangesAsync(ct);
        store.Invalidate(run.Model);
        TrainingTelemetry.RecordMetrics(run.Model, "all", report.All);
        TrainingTelemetry.RecordMetrics(run.Model, "novel", report.Novel);
        TrainingTelemetry.RecordMetrics(run.Model, "validation-all", result.ValidationAll);
        TrainingTelemetry.RecordMetrics(run.Model, "validation-novel", result.ValidationNovel);
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
        // A run cancelled by a user keeps the message that says who cancelled it.
        if (run is null || run.Status == TrainingStatus.Cancelled) return;
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
