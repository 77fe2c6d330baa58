using System.Diagnostics;
using Portal.Core.Evaluation;
using Portal.Core.Recommendation;
using Portal.Core.Training.Pipeline;

namespace Portal.Tests.Evaluation;

/// <summary>The training pipeline on the bundled UCI file with small grids.</summary>
public class PipelineTests(UciFixture uci) : IClassFixture<UciFixture>
{
    private sealed class ListProgress : IProgress<PipelineProgress>
    {
        public List<PipelineProgress> Items { get; } = [];
        public void Report(PipelineProgress value) { lock (Items) Items.Add(value); }
    }

    [Theory]
    [InlineData("userknn")]
    [InlineData("ease")]
    public void Runs_search_test_and_serving_fit_and_is_reproducible(string model)
    {
        IReadOnlyList<IReadOnlyDictionary<string, double>> Grid(string m, EvaluationTask t) => m == "ease"
            ? [new Dictionary<string, double> { ["lambda"] = 400, ["alpha"] = t == EvaluationTask.All ? 2 : 0 }]
            : [new Dictionary<string, double> { ["k"] = 50 }, new Dictionary<string, double> { ["k"] = 50, ["alpha"] = t == EvaluationTask.All ? 2 : 0 }];
        var progress = new ListProgress();
        var options = new PipelineOptions { DatasetName = "online_retail", Grid = Grid, Seed = 7 };
        var a = TrainingPipeline.Run(model, uci.Events, options, progress);
        if (model == "userknn") // reproducibility (EASE is checked once only, to keep the test short)
        {
            var b = TrainingPipeline.Run(model, uci.Events, options with { FitServingModel = false });
            Assert.Equal(a.Report.All, b.Report.All);
            Assert.Equal(a.Report.Novel, b.Report.Novel);
        }
        Assert.Equal(1_379, a.Report.EvaluatedUsersAll);
        Assert.Equal(7, a.Report.Seed);
        Assert.True(a.Report.All.Ndcg20 > 0.0901);
        Assert.Equal(1.0, progress.Items[^1].Fraction);
        Assert.True(progress.Items.Zip(progress.Items.Skip(1)).All(p => p.First.Fraction <= p.Second.Fraction));
        Assert.Contains("\"params\":{\"all\":{", a.Report.ToJson());

        // The serving model covers all interactions, round-trips through the artifact and answers fast.
        var serving = a.Serving!;
        Assert.Equal(uci.Events.Count, serving.Data.EventCount);
        using var ms = new MemoryStream();
        serving.Save(ms);
        ms.Position = 0;
        var loaded = ServingModel.Load(ms);
        var users = serving.Data.Users.Take(30).ToList();
        loaded.Recommend(users[0]);
        var sw = Stopwatch.StartNew();
        foreach (var u in users)
            Assert.Equal(serving.Recommend(u).Select(x => (x.ItemId, x.Score)), loaded.Recommend(u).Select(x => (x.ItemId, x.Score)));
        Assert.True(sw.Elapsed.TotalMilliseconds / users.Count / 2 < 50, $"{sw.Elapsed.TotalMilliseconds / users.Count / 2:F1} ms per answer");
    }

    [Fact]
    public void Honours_cancellation()
    {
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => TrainingPipeline.Run("itemknn", uci.Events, ct: cts.Token));
    }
}
