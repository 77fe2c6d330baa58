using System.Globalization;
using Bunit;
using Microsoft.EntityFrameworkCore;
using MudBlazor;
using Portal.Client.Components;
using Portal.Client.Pages;
using Portal.Core.Training;

namespace Portal.Tests.Components;

/// <summary>The models page with a run trained for real: queued by the real training service, run by the real training job.</summary>
public sealed class ModelsPageTests : ComponentTestBase
{
    private static readonly string[] MetricNames = ["recall@10", "recall@20", "ndcg@10", "ndcg@20", "hitrate@20", "coverage@20"];

    [Fact]
    public void Shows_a_trained_runs_metrics_of_both_tasks()
    {
        UciSeed.Seed(Database);
        var service = AddTrainingService();
        var id = service.EnqueueAsync(["popularity"], "test").GetAwaiter().GetResult().Single();
        // The real service enqueued TrainingJob.RunAsync on the gpu queue; run it as a Hangfire server would.
        var job = JobStorage.GetMonitoringApi().EnqueuedJobs("gpu", 0, 10).Single().Value.Job;
        Assert.Equal(typeof(TrainingJob), job.Type);
        Assert.Equal(id, job.Args[0]);
        TrainingJob().RunAsync(id, CancellationToken.None).GetAwaiter().GetResult();
        TrainingRun run;
        using (var db = Contexts.CreateDbContext())
            run = db.TrainingRuns.AsNoTracking().Include(r => r.Metrics).Single(r => r.Id == id);
        Assert.Equal(TrainingStatus.Succeeded, run.Status);
        Assert.Equal(ModelStatus.Active, run.ModelStatus);
        Assert.True(File.Exists(Path.Combine(Paths.Models, run.ArtifactPath!)));
        var expected = new[] { "all", "novel" }.SelectMany(t => MetricNames.Select(n => run.Metrics.Single(m => m.Task == t && m.Name == n).Value)).ToList();
        Assert.Contains(expected, v => v > 0);
        Render<MudPopoverProvider>();

        var cut = Render<Models>();

        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid=run-row]")));
        var row = cut.Find("[data-testid=run-row]");
        Assert.Equal(id.ToString(CultureInfo.InvariantCulture), row.GetAttribute("data-run-id"));
        Assert.Contains("popularity", row.TextContent);
        Assert.Contains(run.Version, row.TextContent);
        Assert.Contains("Succeeded", row.TextContent);
        Assert.Contains("popularityactive", row.TextContent.Replace(" ", "")); // the Active chip next to the name
        var cells = row.QuerySelectorAll("td").Select(c => c.TextContent.Trim()).ToList();
        Assert.Equal(3 + 12, cells.Count);
        Assert.Equal(expected.Select(v => Format.Metric(v)), cells.Skip(3));
        // The only succeeded run holds the best value of every column.
        Assert.Equal(12, cut.FindAll("[data-testid=best-metric]").Count);
    }

    [Fact]
    public void The_search_is_its_own_job_and_its_trials_are_shown()
    {
        UciSeed.Seed(Database);
        var service = AddTrainingService();
        var id = service.EnqueueAsync(["itemknn"], "test").GetAwaiter().GetResult().Single();
        // The service enqueued the search job and, awaiting it, the training job as its continuation.
        var monitoring = JobStorage.GetMonitoringApi();
        var search = monitoring.EnqueuedJobs("gpu", 0, 10).Single().Value.Job;
        Assert.Equal(nameof(Portal.Core.Training.TrainingJob.SearchAsync), search.Method.Name);
        string[] jobIds;
        using (var db = Contexts.CreateDbContext())
            jobIds = db.TrainingRuns.Single(r => r.Id == id).JobIds!.Split(';');
        Assert.Equal(2, jobIds.Length);
        Assert.Equal(nameof(Portal.Core.Training.TrainingJob.RunAsync), monitoring.JobDetails(jobIds[1]).Job.Method.Name);
        Assert.Equal("Awaiting", monitoring.JobDetails(jobIds[1]).History[0].StateName);

        // Run both jobs as the Hangfire server would: the search stores its trials, the training uses its choice.
        TrainingJob().SearchAsync(id, CancellationToken.None).GetAwaiter().GetResult();
        using (var db = Contexts.CreateDbContext())
        {
            var searched = db.TrainingRuns.AsNoTracking().Include(r => r.Trials).Single(r => r.Id == id);
            Assert.Equal(TrainingStatus.Searching, searched.Status);
            Assert.Equal(Portal.Core.Recommendation.Recommenders.Grid("itemknn", Portal.Core.Evaluation.EvaluationTask.All)
                .Concat(Portal.Core.Recommendation.Recommenders.Grid("itemknn", Portal.Core.Evaluation.EvaluationTask.Novel))
                .Select(p => System.Text.Json.JsonSerializer.Serialize(p)).Distinct().Count(), searched.Trials.Count);
            Assert.Single(searched.Trials, t => t.ChosenForAll);
            Assert.Single(searched.Trials, t => t.ChosenForNovel);
            Assert.Equal(searched.Trials.Where(t => t.NdcgAll is not null).Max(t => t.NdcgAll), searched.Trials.Single(t => t.ChosenForAll).NdcgAll);
            Assert.NotNull(searched.TrainedOn);
        }
        TrainingJob().RunAsync(id, CancellationToken.None).GetAwaiter().GetResult();
        TrainingRun run;
        using (var db = Contexts.CreateDbContext())
            run = db.TrainingRuns.AsNoTracking().Include(r => r.Trials).Include(r => r.Metrics).Single(r => r.Id == id);
        Assert.Equal(TrainingStatus.Succeeded, run.Status);
        // The chosen configuration is the one trained: its parameters are the run's "all" parameters.
        var chosen = System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, double>>(run.Trials.Single(t => t.ChosenForAll).ParametersJson)!;
        using (var doc = System.Text.Json.JsonDocument.Parse(run.ParametersJson))
            foreach (var (name, value) in chosen)
                Assert.Equal(value, doc.RootElement.GetProperty("all").GetProperty(name).GetDouble());
        // The validation metrics of the chosen trial are the run's validation metrics.
        Assert.Equal(run.Trials.Single(t => t.ChosenForAll).NdcgAll, run.Metrics.Single(m => m.Task == "validation-all" && m.Name == "ndcg@20").Value);

        Render<MudPopoverProvider>();
        var cut = Render<Models>();
        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid=trials-toggle]")));
        Assert.Empty(cut.FindAll("[data-testid=trial]"));
        cut.Find("[data-testid=trials-toggle]").Click();
        cut.WaitForAssertion(() => Assert.Equal(run.Trials.Count, cut.FindAll("[data-testid=trial]").Count));
        Assert.Single(cut.FindAll("[data-testid=chosen-all]"));
        Assert.Single(cut.FindAll("[data-testid=chosen-novel]"));
        Assert.Contains("k=", cut.Find("[data-testid=trials-table]").TextContent);
    }

    [Fact]
    public void Cancelling_a_queued_run_deletes_its_jobs_and_keeps_the_active_model()
    {
        UciSeed.Seed(Database);
        var service = AddTrainingService();
        var first = service.EnqueueAsync(["popularity"], "test").GetAwaiter().GetResult().Single();
        TrainingJob().SearchAsync(first, CancellationToken.None).GetAwaiter().GetResult();
        TrainingJob().RunAsync(first, CancellationToken.None).GetAwaiter().GetResult();
        var second = service.EnqueueAsync(["popularity"], "test").GetAwaiter().GetResult().Single();
        Render<MudPopoverProvider>();
        Render<MudSnackbarProvider>();
        var cut = Render<Models>();
        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid=cancel-run]")));

        cut.Find("[data-testid=cancel-run]").Click();

        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll("[data-testid=cancel-run]")));
        using var db = Contexts.CreateDbContext();
        var runs = db.TrainingRuns.AsNoTracking().ToDictionary(r => r.Id);
        Assert.Equal(TrainingStatus.Cancelled, runs[second].Status);
        Assert.Equal(ModelStatus.Active, runs[first].ModelStatus);
        Assert.NotEqual(ModelStatus.Active, runs[second].ModelStatus);
        foreach (var job in runs[second].JobIds!.Split(';'))
            Assert.Equal("Deleted", JobStorage.GetMonitoringApi().JobDetails(job).History[0].StateName);
        // A job that a server would still pick up does nothing for a cancelled run.
        TrainingJob().RunAsync(second, CancellationToken.None).GetAwaiter().GetResult();
        Assert.Equal(TrainingStatus.Cancelled, db.TrainingRuns.AsNoTracking().Single(r => r.Id == second).Status);
        Assert.False(service.CancelAsync(second, "test").GetAwaiter().GetResult());
    }

    [Fact]
    public void Shows_each_workers_device_memory_and_heartbeat_age()
    {
        var now = DateTime.UtcNow;
        using (var db = Contexts.CreateDbContext())
        {
            db.WorkerHeartbeats.Add(new WorkerHeartbeat { ServerName = "gpu-1:gpu:41", Host = "gpu-1", ProcessId = 41, Queues = "gpu", Device = "CUDA (1 device(s))", FreeMemoryMiB = 120_000, TotalMemoryMiB = 128_000, WorkerCount = 1, StartedAt = now.AddHours(-1), LastSeen = now.AddSeconds(-5) });
            db.WorkerHeartbeats.Add(new WorkerHeartbeat { ServerName = "gpu-2:gpu:7", Host = "gpu-2", ProcessId = 7, Queues = "gpu", Device = "CPU", FreeMemoryMiB = 1_000, TotalMemoryMiB = 8_000, WorkerCount = 2, StartedAt = now.AddHours(-2), LastSeen = now.AddMinutes(-10) });
            db.SaveChanges();
        }
        Render<MudPopoverProvider>();
        var cut = Render<Models>();
        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("[data-testid=worker]").Count));
        var workers = cut.FindAll("[data-testid=worker]");
        Assert.Equal("false", workers[0].GetAttribute("data-stale"));
        Assert.Contains("CUDA (1 device(s))", workers[0].TextContent);
        Assert.Contains("120,000", workers[0].TextContent);
        Assert.Equal("true", workers[1].GetAttribute("data-stale"));
        Assert.Contains("10 min", workers[1].QuerySelector("[data-testid=worker-heartbeat]")!.TextContent);
    }

    [Fact]
    public void Says_when_no_worker_serves_the_gpu_queue()
    {
        Render<MudPopoverProvider>();
        var cut = Render<Models>();
        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid=no-workers]")));
    }
}
