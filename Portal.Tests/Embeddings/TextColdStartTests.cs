using Portal.Core.Embeddings;
using Portal.Core.Recommendation;
using Xunit.Abstractions;

namespace Portal.Tests.Embeddings;

/// <summary>Chinese product text, and cold start through text on the bundled data.</summary>
public class TextColdStartTests(EmbeddingFixture fx, ITestOutputHelper output) : IClassFixture<EmbeddingFixture>
{
    /// <summary>A small Chinese catalogue: phones, clothes, furniture (names like the seed's examples).</summary>
    private static readonly Dictionary<string, (string Category, string Name)> Chinese = new()
    {
        ["p1"] = ("phone", "华为 Mate 60 Pro 手机 5G 全网通"),
        ["p2"] = ("phone", "小米 14 手机 徕卡影像"),
        ["p3"] = ("phone", "苹果 iPhone 15 手机 256GB"),
        ["p4"] = ("phone", "华为 nova 12 智能手机"),
        ["c1"] = ("clothes", "纯棉 男士 T恤 短袖"),
        ["c2"] = ("clothes", "纯棉 女士 T恤 夏季"),
        ["c3"] = ("clothes", "男士 休闲 衬衫 纯棉"),
        ["c4"] = ("clothes", "女士 连衣裙 夏季 雪纺"),
        ["f1"] = ("furniture", "实木 餐桌 家用 长方形"),
        ["f2"] = ("furniture", "实木 餐椅 靠背椅子"),
        ["f3"] = ("furniture", "北欧 实木 书桌 家用"),
        ["f4"] = ("furniture", "布艺 沙发 客厅 北欧"),
    };

    [Fact]
    public void Chinese_products_with_shared_words_are_nearer_each_other_than_to_unrelated_ones()
    {
        var text = Chinese.ToDictionary(kv => kv.Key, kv => kv.Value.Name, StringComparer.Ordinal);
        var model = new Text2VecRecommender();
        model.UseCatalogueText(text);
        model.Fit(InteractionSet.Create([], text.Keys)); // catalogue items only, no behaviour
        var data = model.Data;
        var tokens = text.ToDictionary(kv => kv.Key, kv => TextTokenizer.Tokenize(kv.Value).ToHashSet());
        var checkedPairs = 0;
        foreach (var a in text.Keys)
            foreach (var b in text.Keys)
            {
                if (a == b || Chinese[a].Category != Chinese[b].Category || !tokens[a].Overlaps(tokens[b])) continue;
                var ab = model.Index.Cosine(data.ItemIndex(a), data.ItemIndex(b));
                foreach (var c in text.Keys.Where(c => Chinese[c].Category != Chinese[a].Category && !tokens[a].Overlaps(tokens[c])))
                {
                    var ac = model.Index.Cosine(data.ItemIndex(a), data.ItemIndex(c));
                    Assert.True(ab > ac, $"{text[a]} ~ {text[b]} = {ab:F3} should exceed {text[a]} ~ {text[c]} = {ac:F3}");
                    checkedPairs++;
                }
            }
        output.WriteLine($"{checkedPairs} comparisons; tokens of p1: {string.Join(" | ", model.ItemTokens(data.ItemIndex("p1")))}");
        Assert.True(checkedPairs > 50);
        // Each product's nearest neighbour is of its kind.
        foreach (var a in text.Keys.Where(k => k != "f4"))
        {
            var nearest = data.Items[model.Index.Nearest(data.ItemIndex(a), 1)[0].Row];
            Assert.Equal(Chinese[a].Category, Chinese[nearest].Category);
        }
    }

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
}
