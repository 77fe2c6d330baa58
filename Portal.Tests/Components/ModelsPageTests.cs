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
}
