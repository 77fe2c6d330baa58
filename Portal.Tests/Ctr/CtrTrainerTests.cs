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
        // Three forward-chaining folds: windows of 1,600 over the last 60 % of train, each fitted on all before it.
        Assert.Equal([(0, 3_200, 4_800), (1, 4_800, 6_400), (2, 6_400, 8_000)],
            report.Split.Folds.Select(f => (f.Index, f.ValidationStart, f.ValidationEnd)).ToArray());
        Assert.Equal(4_800, report.Split.ValidationImpressions);
        Assert.All(report.Split.Folds, f => Assert.True(data.Impressions[f.ValidationStart - 1].Timestamp < f.ValidationFrom));
        Assert.Equal(report.Split.Folds.Sum(f => f.ValidationClicks), data.Impressions.Skip(3_200).Take(4_800).Count(i => i.Clicked));
        Assert.Equal(46, report.Split.TrainClicks + report.Split.TestClicks);
        Assert.All(data.Impressions.Skip(8_000), i => Assert.True(i.Timestamp >= report.Split.T));
        Assert.Contains(report.Chosen.Config.Trainer, CtrTrainers.Candidates);
        Assert.Equal(CtrTrainers.Logistic, report.Baseline.Config.Trainer);
        Assert.Equal(3, report.Results.Count);
        Assert.True(report.Chosen.Auc > 0.5, $"chosen {report.Chosen.Config.Trainer} AUC {report.Chosen.Auc}");
        Assert.True(report.Chosen.Auc >= report.Baseline.Auc, $"chosen AUC {report.Chosen.Auc} < baseline AUC {report.Baseline.Auc}");
        Assert.All(report.Results, r => Assert.InRange(r.LogLoss, 0.0, 0.2));
        // The validation AUC that chose each setting is the mean over the usable folds, and the choice is the best mean.
        Assert.All(report.Results, r =>
        {
            Assert.Equal(3, r.ValidationFoldAucs.Count);
            Assert.Equal(r.ValidationFoldAucs.Zip(report.Split.Folds).Where(x => x.Second.Usable).Select(x => x.First!.Value).Average(), r.ValidationAuc, 12);
        });
        Assert.Equal(report.Results.Where(r => r.Role == "candidate").Max(r => r.ValidationAuc), report.Chosen.ValidationAuc);
        using var json = JsonDocument.Parse(report.ToJson());
        Assert.Equal(report.Chosen.Auc, json.RootElement.GetProperty("chosen").GetProperty("auc").GetDouble(), 5);
        Assert.Equal(46, json.RootElement.GetProperty("dataset").GetProperty("clicks").GetInt32());
        var split = json.RootElement.GetProperty("split");
        Assert.Equal(3, split.GetProperty("folds").GetArrayLength());
        Assert.Equal(split.GetProperty("folds").EnumerateArray().Sum(f => f.GetProperty("validation_clicks").GetInt32()), split.GetProperty("validation_clicks").GetInt32());
        Assert.Equal(3_200, split.GetProperty("folds")[0].GetProperty("fit_impressions").GetInt32());
        Assert.Equal(3, json.RootElement.GetProperty("trainers")[0].GetProperty("validation_fold_aucs").GetArrayLength());
    }

    private static CtrImpression Impression(int i, bool clicked) =>
        new(CtrFeatures.Build((i % 3).ToString(System.Globalization.CultureInfo.InvariantCulture), 1 + i % 3, [], [], [], []),
            new DateTime(2019, 11, 24, 0, 0, 0, DateTimeKind.Utc).AddSeconds(i), i, clicked);

    [Theory]
    [InlineData(8_000, 3, 0.2)]
    [InlineData(1_003, 3, 0.2)]
    [InlineData(41, 4, 0.2)]
    public void Temporal_folds_are_consecutive_equal_windows_ending_train_each_fitted_strictly_before_its_window(int n, int k, double share)
    {
        var train = Enumerable.Range(0, n).Select(i => Impression(i, i % 7 == 0)).ToList();

        var folds = CtrTrainer.TemporalFolds(train, k, share);

        var w = (int)(n * share);
        Assert.Equal(k, folds.Count);
        Assert.Equal(n, folds[^1].ValidationEnd);
        Assert.Equal(n - k * w, folds[0].ValidationStart);
        for (var j = 0; j < k; j++)
        {
            var f = folds[j];
            Assert.Equal(j, f.Index);
            Assert.Equal(w, f.ValidationImpressions);
            Assert.Equal(f.ValidationStart, f.FitImpressions);
            if (j > 0) Assert.Equal(folds[j - 1].ValidationEnd, f.ValidationStart); // consecutive, no overlap, no gap
            // Fit part [0, start) lies strictly before the window in time (on this log no timestamp straddles a cut).
            Assert.True(train[f.ValidationStart - 1].Timestamp < f.ValidationFrom);
            Assert.Equal(train[f.ValidationStart].Timestamp, f.ValidationFrom);
            Assert.Equal(train[f.ValidationEnd - 1].Timestamp, f.ValidationTo);
            Assert.Equal(train.Take(f.ValidationStart).Count(i => i.Clicked), f.FitClicks);
            Assert.Equal(train.Skip(f.ValidationStart).Take(w).Count(i => i.Clicked), f.ValidationClicks);
            Assert.True(f.Usable);
        }
    }

    [Fact]
    public void Temporal_folds_refuse_windows_that_leave_nothing_to_fit()
    {
        var train = Enumerable.Range(0, 100).Select(i => Impression(i, i % 7 == 0)).ToList();
        Assert.Throws<ArgumentOutOfRangeException>(() => CtrTrainer.TemporalFolds(train, 5, 0.2));
        Assert.Throws<ArgumentOutOfRangeException>(() => CtrTrainer.TemporalFolds(train, 0, 0.2));
        Assert.Throws<ArgumentOutOfRangeException>(() => CtrTrainer.TemporalFolds(train.Take(4).ToList(), 3, 0.2));
    }

    [Fact]
    public void A_fold_whose_window_has_no_click_is_not_usable_and_no_usable_fold_is_a_clear_error()
    {
        // 100 impressions: train = first 80; clicks only in the first 32 (the first fold's fit part) and in test.
        var data = new CtrDataset("synthetic", "", Enumerable.Range(0, 100).Select(i => Impression(i, i < 32 ? i % 4 == 0 : i >= 80 && i % 4 == 0)).ToList(), []);
        var folds = CtrTrainer.TemporalFolds(data.Impressions.Take(80).ToList());
        Assert.All(folds, f => Assert.False(f.Usable));
        Assert.Equal(0, folds.Sum(f => f.ValidationClicks));

        var e = Assert.Throws<ArgumentException>(() => CtrTrainer.Evaluate(data));
        Assert.Contains("synthetic", e.Message);
        Assert.Contains("no validation fold", e.Message);
    }

    [Fact]
    public void On_a_tie_of_validation_AUC_the_earlier_candidate_wins()
    {
        CtrTrainerResult R(string trainer, string role, double validationAuc) =>
            new(new CtrConfig(trainer, new Dictionary<string, double>()), role, validationAuc, 0.9, 0.1, 1, 0.05, [validationAuc]);
        Assert.Equal(CtrTrainers.LightGbm, CtrTrainer.ChooseCandidate([R(CtrTrainers.Ffm, "candidate", 0.6), R(CtrTrainers.LightGbm, "candidate", 0.6), R(CtrTrainers.Logistic, "baseline", 0.9)]).Config.Trainer);
        Assert.Equal(CtrTrainers.Ffm, CtrTrainer.ChooseCandidate([R(CtrTrainers.LightGbm, "candidate", 0.6), R(CtrTrainers.Ffm, "candidate", 0.61), R(CtrTrainers.Logistic, "baseline", 0.9)]).Config.Trainer);
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
        // The job selects by the same forward-chaining folds as the verb.
        Assert.Equal(result.RootElement.GetProperty("split").GetProperty("folds").EnumerateArray().Count(f => f.GetProperty("usable").GetBoolean()),
            Metric("ctr", "validation_folds"));
        var chosenTrainer = result.RootElement.GetProperty("chosen").GetProperty("trainer").GetString();
        Assert.Equal(Metric("ctr-" + chosenTrainer, "validation_auc"), Metric("ctr", "validation_auc"));
        Assert.All(run.Metrics.Where(m => m.Task.StartsWith("ctr-", StringComparison.Ordinal) && m.Task != "ctr-baseline" && m.Task != "ctr-logistic" && m.Name == "validation_auc"),
            m => Assert.True(m.Value <= Metric("ctr", "validation_auc")));
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
