using Portal.Core.Embeddings;
using Portal.Core.Recommendation;
using Xunit.Abstractions;

namespace Portal.Tests.Embeddings;

/// <summary>Cold start through text on the bundled data.</summary>
public class TextColdStartTests(EmbeddingFixture fx, ITestOutputHelper output) : IClassFixture<EmbeddingFixture>
{
    [Fact]
    public void Products_without_events_are_recommended_through_text_to_buyers_of_similar_products()
    {
        // Three lunch bags lose all their events but stay in the catalogue.
        string[] cold = ["22382", "20726", "20728"]; // LUNCH BAG SPACEBOY DESIGN, LUNCH BAG WOODLAND, LUNCH BAG CARS BLUE
        var events = fx.Events.Where(e => !cold.Contains(e.ItemId)).ToList();
        var data = InteractionSet.Create(events, fx.Names.Keys);
        foreach (var c in cold) { Assert.True(data.ItemIndex(c) >= 0); Assert.Equal(0, data.ItemEventCounts[data.ItemIndex(c)]); }
        var model = new Text2VecRecommender(new Dictionary<string, double> { ["decay_days"] = 30 });
        model.UseCatalogueText(fx.Names);
        model.Fit(data);
        var serving = new ServingModel(model, "cold-1", DateTime.UtcNow);
        using var ms = new MemoryStream();
        serving.Save(ms);
        ms.Position = 0;
        var loaded = ServingModel.Load(ms);
        Assert.Equal(data.ItemCount, loaded.Data.ItemCount);

        // Users who bought at least three other lunch bags.
        var lunchBags = data.Items.Select((id, i) => (id, i))
            .Where(x => fx.Names.TryGetValue(x.id, out var n) && n.Contains("LUNCH BAG", StringComparison.Ordinal) && !cold.Contains(x.id))
            .Select(x => x.i).ToHashSet();
        var buyers = Enumerable.Range(0, data.UserCount).Where(u => data.ItemsOf(u).ToArray().Count(lunchBags.Contains) >= 3).ToList();
        var reached = 0;
        foreach (var u in buyers)
        {
            var top = loaded.Recommend(data.Users[u], 20, excludeSeen: true);
            if (top.Any(r => cold.Contains(r.ItemId))) reached++;
        }
        var sample = loaded.Recommend(data.Users[buyers[0]], 20, excludeSeen: true).First(r => cold.Contains(r.ItemId));
        output.WriteLine($"{reached} of {buyers.Count} lunch-bag buyers get a cold lunch bag in their top 20; e.g. {fx.Names[sample.ItemId]} " +
                         $"because of {string.Join(", ", sample.Reason.BecauseOf.Select(c => fx.Names[c.ItemId]))}");
        Assert.True(buyers.Count >= 20);
        Assert.True(reached >= buyers.Count * 0.4, $"{reached} of {buyers.Count}");
        Assert.Equal("similar-items", sample.Reason.Kind);

        // Users who bought no lunch bag get them much less often: the cold items are not simply everywhere (without
        // behaviour, by chance, 3 items of ~3,900 would reach a top 20 about 1.5 % of the time).
        var others = Enumerable.Range(0, data.UserCount).Where(u => !data.ItemsOf(u).ToArray().Any(lunchBags.Contains)).Take(200).ToList();
        var pushed = others.Count(u => loaded.Recommend(data.Users[u], 20, excludeSeen: true).Any(r => cold.Contains(r.ItemId)));
        output.WriteLine($"{pushed} of {others.Count} users without lunch bags get one");
        Assert.True((double)reached / buyers.Count > 1.5 * pushed / others.Count);
    }

    [Fact(Skip = "Not yet seen to finish: over 8 minutes on the shared 2-core machine (fixture + full pipeline); run it alone on a quieter machine.")]
    public void Pipeline_serving_fit_of_text2vec_holds_catalogue_items_without_events_and_evaluation_does_not()
    {
        string[] cold = ["22382", "20726", "20728"];
        var events = fx.Events.Where(e => !cold.Contains(e.ItemId)).ToList();
        IReadOnlyList<IReadOnlyDictionary<string, double>> Grid(string m, Portal.Core.Evaluation.EvaluationTask t) =>
            [new Dictionary<string, double> { ["decay_days"] = 30 }];
        var result = Portal.Core.Training.Pipeline.TrainingPipeline.Run("text2vec", events,
            new Portal.Core.Training.Pipeline.PipelineOptions { CatalogueText = fx.Names, Grid = Grid, Seed = 42 });
        Assert.Equal(3_625, result.Report.CatalogueItems); // the protocol's catalogue: items of train only
        var serving = result.Serving!;
        Assert.Equal(events.Select(e => e.ItemId).Concat(fx.Names.Keys).Distinct().Count(), serving.Data.ItemCount);
        var index = ((IItemVectorModel)serving.Recommender).Index;
        Assert.All(cold, c => Assert.True(index.HasVector[serving.Data.ItemIndex(c)]));
        output.WriteLine($"test ndcg@20 all {result.Report.All.Ndcg20:F4}, novel {result.Report.Novel.Ndcg20:F4}; serving items {serving.Data.ItemCount}");
    }
}
