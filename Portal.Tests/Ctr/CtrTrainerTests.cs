using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Portal.Core;
using Portal.Core.Ctr;
using Portal.Core.Training;
using Portal.Tests.Import;

namespace Portal.Tests.Ctr;

/// <summary>The CTR protocol on the real Open Bandit men's random log, from the file and from the feedback table.</summary>
public sealed class CtrTrainerTests
{
    [Fact]
    public void On_the_random_log_the_chosen_model_matches_or_beats_the_logistic_baseline()
    {
        var data = OpenBanditCtrData.Load(OpenBanditData.Log("random"));

        var report = CtrTrainer.Evaluate(data);

        Assert.Equal(10_000, data.Impressions.Count);
        Assert.Equal(46, data.Impressions.Count(i => i.Clicked));
        Assert.Equal((8_000, 2_000), (report.Split.TrainImpressions, report.Split.TestImpressions));
        Assert.Equal((6_400, 1_600), (report.Split.FitImpressions, report.Split.ValidationImpressions));
        Assert.Equal(46, report.Split.TrainClicks + report.Split.TestClicks);
        Assert.All(data.Impressions.Skip(8_000), i => Assert.True(i.Timestamp >= report.Split.T));
        Assert.Contains(report.Chosen.Config.Trainer, CtrTrainers.Candidates);
        Assert.Equal(CtrTrainers.Logistic, report.Baseline.Config.Trainer);
        Assert.Equal(3, report.Results.Count);
        Assert.True(report.Chosen.Auc > 0.5, $"chosen {report.Chosen.Config.Trainer} AUC {report.Chosen.Auc}");
        Assert.True(report.Chosen.Auc >= report.Baseline.Auc, $"chosen AUC {report.Chosen.Auc} < baseline AUC {report.Baseline.Auc}");
        Assert.All(report.Results, r => Assert.InRange(r.LogLoss, 0.0, 0.2));
        using var json = JsonDocument.Parse(report.ToJson());
        Assert.Equal(report.Chosen.Auc, json.RootElement.GetProperty("chosen").GetProperty("auc").GetDouble(), 5);
        Assert.Equal(46, json.RootElement.GetProperty("dataset").GetProperty("clicks").GetInt32());
    }

    [Fact]
    public async Task The_training_job_trains_from_the_feedback_table_and_the_predictor_serves_the_active_model()
    {
        using var f = new ImportFixture();
        var import = await f.ImportAsync(OpenBanditData.Log("random"));
        Assert.True(import.EventsAdded == 10_046, import.Message);
        var paths = new PortalPaths(f.Db.Directory);
        var service = new TrainingService(f.Db.Factory, f.Jobs);
        Assert.Contains(CtrTrainingJob.ModelName, service.TrainableModels);
        var runId = Assert.Single(await service.EnqueueAsync([CtrTrainingJob.ModelName], "test"));
        // The job went to Hangfire's gpu queue; run it here as a worker would.
        var enqueued = Assert.Single(f.Storage.GetMonitoringApi().EnqueuedJobs("gpu", 0, 10));
        Assert.Equal(typeof(CtrTrainingJob), enqueued.Value.Job.Type);

        await new CtrTrainingJob(f.Db.Factory, paths, new TrainingOptions(), NullLogger<CtrTrainingJob>.Instance).RunAsync(runId, CancellationToken.None);

        await using var db = f.Db.CreateContext();
        var run = await db.TrainingRuns.Include(r => r.Metrics).SingleAsync(r => r.Id == runId);
        Assert.True(run.Status == TrainingStatus.Succeeded, run.Message);
        Assert.Equal(ModelStatus.Active, run.ModelStatus);
        double Metric(string task, string name) => run.Metrics.Single(m => m.Task == task && m.Name == name).Value;
        using var result = JsonDocument.Parse(run.ResultJson!);
        Assert.Equal(result.RootElement.GetProperty("chosen").GetProperty("auc").GetDouble(), Metric("ctr", "auc"), 5);
        Assert.Equal(result.RootElement.GetProperty("baseline").GetProperty("log_loss").GetDouble(), Metric("ctr-baseline", "log_loss"), 5);
        Assert.Equal(8_000, result.RootElement.GetProperty("split").GetProperty("train_impressions").GetInt32());
        Assert.True(File.Exists(Path.Combine(paths.Models, run.ArtifactPath!)));

        var predictor = new CtrPredictor(f.Db.Factory, paths, NullLogger<CtrPredictor>.Instance);
        Assert.Equal(run.Version, await predictor.ActiveVersionAsync());
        var rows = OpenBanditCtrData.Load(OpenBanditData.Log("random")).Impressions.Take(200).Select(i => i.Features).ToList();
        var p = await predictor.PredictAsync(rows);
        Assert.NotNull(p);
        Assert.Equal(200, p!.Length);
        Assert.All(p, x => Assert.InRange(x, 0.0, 1.0));
        Assert.True(p.Distinct().Count() > 1, "the model gives every row the same probability");
        // The saved model predicts what a fresh load of the artifact predicts.
        Assert.Equal(CtrModel.Load(Path.Combine(paths.Models, run.ArtifactPath!)).Predict(rows), p);
    }
}
