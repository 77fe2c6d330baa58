using Portal.Core.Data.Sources;
using Portal.Core.Evaluation;
using Portal.Core.Recommendation;

namespace Portal.Tests.Evaluation;

/// <summary>The bundled UCI file loaded once for the conformance tests.</summary>
public sealed class UciFixture
{
    /// <summary>The repository's data/online_retail.csv.gz, found by walking up from the test output folder.</summary>
    public static string DataPath()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var p = Path.Combine(dir.FullName, "data", "online_retail.csv.gz");
            if (File.Exists(p)) return p;
        }
        throw new FileNotFoundException("data/online_retail.csv.gz not found above " + AppContext.BaseDirectory);
    }

    /// <summary>Creates the fixture: loads and splits the file.</summary>
    public UciFixture()
    {
        Events = UciEventFileReader.FromUci(UciOnlineRetailDataset.Load(DataPath()));
        Split = TemporalSplit.Create(Events);
        Validation = Split.Validation();
    }

    /// <summary>Cleaned events in protocol order.</summary>
    public IReadOnlyList<Interaction> Events { get; }
    /// <summary>The test split.</summary>
    public TemporalSplit Split { get; }
    /// <summary>The validation split.</summary>
    public TemporalSplit Validation { get; }
}

/// <summary>Every figure of shared/EVALUATION.md "Conformance figures for the bundled UCI file".</summary>
public class UciConformanceTests(UciFixture uci) : IClassFixture<UciFixture>
{
    [Fact]
    public void Counts_and_cuts_match()
    {
        Assert.Equal(387_841, uci.Events.Count);
        var s = uci.Split;
        Assert.Equal(new DateTime(2011, 11, 9, 12, 50, 0), s.T);
        Assert.Equal(324_866, s.TrainEvents.Count);
        Assert.Equal(62_975, s.TestEvents.Count);
        Assert.Equal(3_625, s.CatalogueItems);
        Assert.Equal(1_379, s.AllUsers.Count);
        Assert.Equal(1_271, s.NovelUsers.Count);

        var v = uci.Validation;
        Assert.Equal(new DateTime(2011, 10, 10, 12, 49, 0), v.T);
        Assert.Equal(3_547, v.CatalogueItems);
        Assert.Equal(1_107, v.AllUsers.Count);
        Assert.Equal(1_028, v.NovelUsers.Count);
    }

    [Fact]
    public void Popularity_metrics_match()
    {
        var pop = new PopularityRecommender();
        pop.Fit(uci.Split.Train);
        var (all, novel) = Evaluator.Evaluate(pop, uci.Split);
        Assert.Equal(0.0360, Math.Round(all!.Recall10, 4));
        Assert.Equal(0.0893, Math.Round(all.Ndcg10, 4));
        Assert.Equal(0.4815, Math.Round(all.HitRate10, 4));
        Assert.Equal(0.0589, Math.Round(all.Recall20, 4));
        Assert.Equal(0.0901, Math.Round(all.Ndcg20, 4));
        Assert.Equal(0.6019, Math.Round(all.HitRate20, 4));
        Assert.Equal(0.0055, Math.Round(all.Coverage20, 4));
        Assert.Equal(0.0297, Math.Round(novel!.Recall20, 4));
        Assert.Equal(0.0341, Math.Round(novel.Ndcg20, 4));
        Assert.Equal(0.3037, Math.Round(novel.HitRate20, 4));
    }

    [Fact]
    public void ItemKnn_beats_popularity_and_is_reproducible()
    {
        var p = new Dictionary<string, double> { ["k"] = 50, ["shrink"] = 10, ["alpha"] = 2, ["halflife_days"] = 60 };
        var a = Recommenders.Create("itemknn", p); a.Fit(uci.Split.Train);
        var b = Recommenders.Create("itemknn", p); b.Fit(uci.Split.Train);
        var ra = Evaluator.Evaluate(a, uci.Split);
        var rb = Evaluator.Evaluate(b, uci.Split);
        Assert.Equal(ra, rb);
        Assert.True(ra.All!.Ndcg20 > 0.0901 && ra.Novel!.Ndcg20 > 0.0341);
    }

    [Fact]
    public void Serving_answers_one_user_fast()
    {
        var model = Recommenders.Create("itemknn", new Dictionary<string, double> { ["k"] = 100, ["alpha"] = 2 });
        model.Fit(uci.Split.Train);
        var serving = new ServingModel(model, "t", DateTime.UtcNow);
        serving.Recommend("17850", 20); // warm-up
        var sw = System.Diagnostics.Stopwatch.StartNew();
        foreach (var user in uci.Split.Train.Users.Take(50)) Assert.Equal(20, serving.Recommend(user, 20).Count);
        Assert.True(sw.Elapsed.TotalMilliseconds / 50 < 50, $"{sw.Elapsed.TotalMilliseconds / 50:F1} ms per user");
    }
}
