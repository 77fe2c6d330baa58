using System.Diagnostics;
using System.Text.Json.Nodes;
using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Portal.Core.Data;
using Portal.Core.Training;

namespace Portal.Core.Ctr;

/// <summary>
/// Trains the CTR model from the feedback table as a Hangfire job on the <c>gpu</c> queue: loads the labelled
/// impressions (<see cref="FeedbackCtrData"/>), runs <see cref="CtrTrainer.Evaluate"/> (temporal 80/20; hyper-parameters
/// and the choice between LightGBM and FFM by the mean AUC of forward-chaining validation folds inside train, the same
/// selection as the <c>evaluate-ctr</c> verb; logistic baseline), refits the chosen trainer on all impressions for serving,
/// saves it under <c>models/ctr/{version}.zip</c> (ML.NET zip plus layout JSON) and stores the run with its metrics:
/// task <c>ctr</c> (the chosen model's test <c>auc</c> and <c>log_loss</c>), task <c>ctr-baseline</c> (the logistic
/// baseline's) and one task per trainer (<c>ctr-lightgbm</c>, <c>ctr-ffm</c>, <c>ctr-logistic</c>, with
/// <c>validation_auc</c>, the mean over the usable folds, too; task <c>ctr</c> also records <c>validation_folds</c>, the
/// number of usable folds). The version becomes active unless its validation AUC (the mean over the folds) is worse
/// than the active version's by more than <see cref="TrainingOptions.ActivationMargin"/>; an active version from before
/// the fold selection (no <c>validation_folds</c> metric: its validation AUC came from one slice, another quantity) is
/// replaced without comparison. A failed run never replaces the active model.
/// </summary>
public sealed class CtrTrainingJob(
    IDbContextFactory<PortalDbContext> dbFactory,
    PortalPaths paths,
    TrainingOptions options,
    ILogger<CtrTrainingJob> logger)
{
    /// <summary>The model name of CTR runs in the registry (<see cref="TrainingRun.Model"/>).</summary>
    public const string ModelName = "ctr";

    /// <summary>Runs the queued training run <paramref name="trainingRunId"/>.</summary>
    /// <exception cref="KeyNotFoundException">No such run.</exception>
    /// <exception cref="ArgumentException">The feedback table holds too few impressions, or a slice has no click (the run is Failed with that message).</exception>
    [Queue("gpu")]
    [AutomaticRetry(Attempts = 0)]
    public async Task RunAsync(int trainingRunId, CancellationToken ct)
    {
        TrainingRun run;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            run = await db.TrainingRuns.FindAsync([trainingRunId], ct) ?? throw new KeyNotFoundException($"Training run {trainingRunId} does not exist.");
            if (run.Status != TrainingStatus.Queued) return;
            run.Status = TrainingStatus.Running;
            run.StartedAt = DateTime.UtcNow;
            run.ProgressText = "loading feedback";
            await db.SaveChangesAsync(ct);
        }
        try
        {
            CtrDataset data;
            await using (var db = await dbFactory.CreateDbContextAsync(ct))
                data = await FeedbackCtrData.LoadAsync(db, ct: ct);
            await SetProgressAsync(trainingRunId, 0.1, $"evaluating on {data.Impressions.Count:N0} impressions");
            var report = await Task.Run(() => CtrTrainer.Evaluate(data, run.Seed, null, ct), ct);
            await SetProgressAsync(trainingRunId, 0.8, "fitting the serving model on all impressions");
            var clock = Stopwatch.StartNew();
            var serving = await Task.Run(() => CtrModel.Fit(report.Chosen.Config, data.Impressions, run.Seed), ct);
            var serveSeconds = clock.Elapsed.TotalSeconds;
            var relative = Path.Combine(ModelName, run.Version + ".zip");
            serving.Save(Path.Combine(paths.Models, relative));
            await CompleteAsync(trainingRunId, report, relative, serveSeconds, ct);
        }
        catch (OperationCanceledException)
        {
            await FailAsync(trainingRunId, TrainingStatus.Cancelled, "Cancelled.");
            throw;
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "CTR training run {Run} failed", trainingRunId);
            await FailAsync(trainingRunId, TrainingStatus.Failed, ex.GetBaseException().Message);
            throw;
        }
    }

    private async Task CompleteAsync(int id, CtrEvaluationReport report, string artifact, double serveSeconds, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var run = await db.TrainingRuns.Include(r => r.Metrics).SingleAsync(r => r.Id == id, ct);
        // Cancelled while finishing: the run stays cancelled, never active.
        if (run.Status == TrainingStatus.Cancelled) return;
        var chosen = report.Chosen;
        run.Status = TrainingStatus.Succeeded;
        run.FinishedAt = DateTime.UtcNow;
        run.Progress = 1;
        run.ProgressText = "done";
        var parameters = chosen.Config.ParamsJson();
        parameters["trainer"] = chosen.Config.Trainer;
        run.ParametersJson = parameters.ToJsonString();
        run.DatasetName = report.Dataset.Name;
        run.DatasetSha256 = report.Dataset.Sha256;
        run.DataFrom = report.Dataset.Impressions[0].Timestamp;
        run.DataTo = report.Dataset.Impressions[^1].Timestamp;
        run.SplitT = report.Split.T;
        run.TrainSeconds = chosen.TrainSeconds;
        run.SearchSeconds = report.SearchSeconds;
        run.ServeFitSeconds = serveSeconds;
        run.ResultJson = report.ToJson();
        run.ArtifactPath = artifact;
        run.Metrics.Clear();
        void Add(string task, string name, double value) => run.Metrics.Add(new TrainingMetric { Task = task, Name = name, Value = value });
        Add("ctr", "auc", chosen.Auc);
        Add("ctr", "log_loss", chosen.LogLoss);
        Add("ctr", "validation_auc", chosen.ValidationAuc);
        Add("ctr", "validation_folds", report.Split.Folds.Count(f => f.Usable));
        Add("ctr-baseline", "auc", report.Baseline.Auc);
        Add("ctr-baseline", "log_loss", report.Baseline.LogLoss);
        foreach (var r in report.Results)
        {
            Add("ctr-" + r.Config.Trainer, "auc", r.Auc);
            Add("ctr-" + r.Config.Trainer, "log_loss", r.LogLoss);
            Add("ctr-" + r.Config.Trainer, "validation_auc", r.ValidationAuc);
        }

        var active = await db.TrainingRuns.Include(r => r.Metrics)
            .Where(r => r.Model == ModelName && r.ModelStatus == ModelStatus.Active && r.Id != id).ToListAsync(ct);
        // Activation by validation AUC; the test AUC is reported, never used to choose (shared/EVALUATION.md).
        // Only versions chosen by the same fold selection are comparable (they record validation_folds).
        var activeAuc = active.Where(r => r.Metrics.Any(m => m.Task == "ctr" && m.Name == "validation_folds"))
            .SelectMany(r => r.Metrics).Where(m => m.Task == "ctr" && m.Name == "validation_auc").Select(m => (double?)m.Value).Max();
        if (activeAuc is null || chosen.ValidationAuc >= activeAuc.Value * (1 - options.ActivationMargin))
        {
            foreach (var a in active) a.ModelStatus = ModelStatus.Retired;
            run.ModelStatus = ModelStatus.Active;
            run.Message = $"Activated: {chosen.Config.Trainer} test AUC {chosen.Auc:F4}, log loss {chosen.LogLoss:F5}; " +
                          $"logistic baseline AUC {report.Baseline.Auc:F4}, log loss {report.Baseline.LogLoss:F5}.";
        }
        else
        {
            run.ModelStatus = ModelStatus.Candidate;
            run.Message = $"Kept as candidate: validation AUC {chosen.ValidationAuc:F4} is worse than the active version's {activeAuc:F4} by more than {options.ActivationMargin:P0}.";
        }
        await db.SaveChangesAsync(ct);
        logger.LogInformation("CTR run {Run} ({Version}) finished: {Message}", id, run.Version, run.Message);
    }

    private async Task SetProgressAsync(int id, double fraction, string text)
    {
        await using var db = await dbFactory.CreateDbContextAsync();
        await db.TrainingRuns.Where(r => r.Id == id).ExecuteUpdateAsync(s => s.SetProperty(r => r.Progress, fraction).SetProperty(r => r.ProgressText, text));
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
}
