using System.Diagnostics;
using Portal.Core.Embeddings;
using Portal.Core.Recommendation;
using Xunit.Abstractions;

namespace Portal.Tests.Embeddings;

/// <summary>Text and behaviour embeddings on the bundled UCI data: neighbours, latency, determinism, artifacts.</summary>
public class EmbeddingTests(EmbeddingFixture fx, ITestOutputHelper output) : IClassFixture<EmbeddingFixture>
{
    [Theory]
    [InlineData("20725", "lunch")]                    // LUNCH BAG RED RETROSPOT (lunch bags and lunch boxes)
    [InlineData("21730", "holder holders")]           // GLASS STAR FROSTED T-LIGHT HOLDER
    [InlineData("22573", "christmas decoration decorations")] // STAR WOODEN CHRISTMAS DECORATION
    public void Text_neighbours_of_real_products_share_their_head_word(string item, string headWords)
    {
        var heads = headWords.Split(' ');
        var data = fx.Text.Data;
        var row = data.ItemIndex(item);
        var neighbours = fx.Text.Index.Nearest(row, 10);
        output.WriteLine($"{fx.Names[item]} ({fx.TextSeconds:F1} s to fit text2vec)");
        foreach (var n in neighbours) output.WriteLine($"  {n.Cosine:F3} {fx.Names[data.Items[n.Row]]}");
        Assert.Equal(10, neighbours.Count);
        var sharing = neighbours.Count(n => TextTokenizer.Tokenize(fx.Names[data.Items[n.Row]]).Intersect(heads).Any());
        Assert.True(sharing >= 7, $"{sharing} of 10 neighbours share a head word ({headWords})");
    }

    [Fact]
    public void Behaviour_neighbours_exist_and_are_fast()
    {
        var data = fx.Items.Data;
        var row = data.ItemIndex("20725");
        var neighbours = fx.Items.Index.Nearest(row, 10);
        output.WriteLine($"item2vec fit {fx.ItemSeconds:F1} s; neighbours of {fx.Names["20725"]}:");
        foreach (var n in neighbours) output.WriteLine($"  {n.Cosine:F3} {fx.Names[data.Items[n.Row]]}");
        Assert.Equal(10, neighbours.Count);
        Assert.True(neighbours[0].Cosine > 0.3);

        // Latency of one query over the whole catalogue (brute force).
        var sw = Stopwatch.StartNew();
        const int queries = 200;
        for (var q = 0; q < queries; q++) fx.Text.Index.Nearest(q * 7 % data.ItemCount, 10);
        var ms = sw.Elapsed.TotalMilliseconds / queries;
        output.WriteLine($"nearest-neighbour query over {data.ItemCount} items: {ms:F3} ms");
        Assert.True(ms < 20, $"{ms:F2} ms per query");
    }

    [Fact]
    public void Same_seed_gives_the_same_vectors_and_another_seed_other_ones()
    {
        var small = InteractionSet.Create(fx.Events.Take(20_000));
        Item2VecRecommender Fit(int seed)
        {
            var m = new Item2VecRecommender(new Dictionary<string, double> { ["seed"] = seed, ["epochs"] = 2 });
            m.Fit(small);
            return m;
        }
        var a = Fit(1); var b = Fit(1); var c = Fit(2);
        var va = Enumerable.Range(0, small.ItemCount).SelectMany(i => a.Index.Vector(i).ToArray()).ToArray();
        var vb = Enumerable.Range(0, small.ItemCount).SelectMany(i => b.Index.Vector(i).ToArray()).ToArray();
        var vc = Enumerable.Range(0, small.ItemCount).SelectMany(i => c.Index.Vector(i).ToArray()).ToArray();
        Assert.Equal(va, vb);
        Assert.NotEqual(va, vc);

        var t1 = new TextEmbeddingOptions { Word2Vec = new Word2VecOptions { Epochs = 3, Seed = 5 } };
        var texts = fx.Names.Values.Take(500).ToList();
        Assert.Equal(TextEmbedding.Train(texts, t1).WordVectors, TextEmbedding.Train(texts, t1).WordVectors);
    }

    [Theory]
    [InlineData("text2vec")]
    [InlineData("item2vec")]
    public void Serving_artifact_round_trips(string model)
    {
        IRecommender m = model == "text2vec" ? fx.Text : fx.Items;
        var serving = new ServingModel(m, "test-1", DateTime.UtcNow);
        using var ms = new MemoryStream();
        serving.Save(ms);
        ms.Position = 0;
        var loaded = ServingModel.Load(ms);
        var vectors = (IItemVectorModel)loaded.Recommender;
        for (var i = 0; i < fx.Data.ItemCount; i += 97)
            Assert.Equal(((IItemVectorModel)m).Index.Vector(i).ToArray(), vectors.Index.Vector(i).ToArray());
        foreach (var u in fx.Data.Users.Take(20))
            Assert.Equal(serving.Recommend(u).Select(x => (x.ItemId, x.Score)), loaded.Recommend(u).Select(x => (x.ItemId, x.Score)));
        if (loaded.Recommender is Text2VecRecommender t)
        {
            var row = fx.Data.ItemIndex("20725");
            Assert.Equal(fx.Text.ItemTokens(row), t.ItemTokens(row));
            Assert.Equal(fx.Text.Embedding.Embed("LUNCH BAG"), t.Embedding.Embed("LUNCH BAG"));
        }
    }
}
