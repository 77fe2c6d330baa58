using Portal.Core.Embeddings;
using Portal.Core.Recommendation;
using Xunit.Abstractions;

namespace Portal.Tests.Embeddings;

/// <summary>text2vec on a small Chinese catalogue built here (no behaviour data).</summary>
public class ChineseTextTests(ITestOutputHelper output)
{
    /// <summary>
    /// A small Chinese catalogue: phones, clothes, furniture (names like the seed's examples). The text is the name
    /// and the category path, as <c>StoreInteractions.LoadCatalogueTextAsync</c> builds it from products.csv.
    /// </summary>
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
        var paths = new Dictionary<string, string> { ["phone"] = "数码 > 手机", ["clothes"] = "服装 > 服饰", ["furniture"] = "家居 > 家具" };
        var text = Chinese.ToDictionary(kv => kv.Key, kv => kv.Value.Name + "\n" + paths[kv.Value.Category], StringComparer.Ordinal);
        var model = new Text2VecRecommender();
        model.UseCatalogueText(text);
        model.Fit(InteractionSet.Create([], text.Keys)); // catalogue items only, no behaviour
        var data = model.Data;
        var tokens = text.ToDictionary(kv => kv.Key, kv => TextTokenizer.Tokenize(kv.Value).ToHashSet());
        foreach (var a in text.Keys)
            output.WriteLine(a + " " + string.Join(" ", text.Keys.Select(b => model.Index.Cosine(data.ItemIndex(a), data.ItemIndex(b)).ToString("F2"))));
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
        foreach (var a in text.Keys)
            output.WriteLine(a + " " + string.Join(" ", text.Keys.Select(b => model.Index.Cosine(data.ItemIndex(a), data.ItemIndex(b)).ToString("F2"))));
        output.WriteLine($"{checkedPairs} comparisons; tokens of p1: {string.Join(" | ", model.ItemTokens(data.ItemIndex("p1")))}");
        Assert.True(checkedPairs > 50);
        // Each product's nearest neighbour is of its kind.
        foreach (var a in text.Keys.Where(k => k != "f4"))
        {
            var nearest = data.Items[model.Index.Nearest(data.ItemIndex(a), 1)[0].Row];
            Assert.Equal(Chinese[a].Category, Chinese[nearest].Category);
        }
    }
}
