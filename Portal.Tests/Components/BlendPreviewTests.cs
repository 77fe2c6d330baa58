using Bunit;
using MudBlazor;
using Portal.Client.Components;
using Portal.Client.Pages;
using Portal.Core.Recommendation;

namespace Portal.Tests.Components;

/// <summary>The preview of the push pipeline (<c>blend</c>): channels, ranker and MMR per item, on a blend trained on the real UCI sample.</summary>
public class BlendPreviewTests : ComponentTestBase
{
    // No Word2Vec training in a component test: text channels off (so MMR has no vectors and adjusts nothing).
    private static readonly Dictionary<string, double> Small = new() { ["quota_text2vec"] = 0, ["quota_new"] = 0, ["iterations"] = 40 };

    [Fact]
    public void Blend_comes_first_and_each_item_shows_its_channels_ranker_score_and_mmr_adjustment()
    {
        var customerId = UciSeed.Seed(Database);
        Train("popularity");
        var blend = Train("blend", Small);
        AddPreviewService();
        Render<MudPopoverProvider>();

        var cut = Render<Preview>(p => p.Add(x => x.CustomerId, customerId));

        cut.WaitForAssertion(() => Assert.Equal(20, cut.FindAll("[data-testid=push-item]").Count), TimeSpan.FromSeconds(60));
        Assert.Contains("blend uci-1", cut.Find("[data-testid=preview-model]").TextContent);
        var expected = blend.Recommend(UciSeed.FirstCustomer, 40).Where(r => !Portal.Core.Data.Sources.UciOnlineRetailDataset.ServiceCodes.Contains(r.ItemId)).Take(20).ToList();
        var items = cut.FindAll("[data-testid=push-item]");
        Assert.Equal(expected.Select(e => e.ItemId), items.Select(i => i.GetAttribute("data-product-id")));
        foreach (var (e, item) in expected.Zip(items))
        {
            var d = e.Reason.Detail!;
            // Every channel that proposed the item, with its rank.
            var channels = d.Keys.Where(k => k.StartsWith("rank.", StringComparison.Ordinal)).Select(k => k[5..]).OrderBy(x => x).ToList();
            Assert.NotEmpty(channels);
            Assert.Equal(channels, item.QuerySelectorAll("[data-testid=push-channel]").Select(c => c.GetAttribute("data-channel")!).OrderBy(x => x));
            // The ranker's score (also the score column) and the MMR line.
            var ranker = d["ranker_score"].ToString("0.####", System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal($"Ranker {ranker}", item.QuerySelector("[data-testid=push-ranker]")!.TextContent.Trim());
            Assert.Equal(ranker, item.QuerySelector("[data-testid=push-score]")!.TextContent.Trim());
            Assert.Equal($"MMR 0 (was #{(int)d["rank_before_mmr"]})", item.QuerySelector("[data-testid=push-mmr]")!.TextContent.Trim());
            if (d.TryGetValue("probability", out var p))
                Assert.Equal($"Purchase probability {p:0.0%}", item.QuerySelector("[data-testid=push-probability]")!.TextContent.Trim());
            Assert.False(string.IsNullOrWhiteSpace(item.QuerySelector("[data-testid=push-reason]")!.TextContent));
        }
    }

    [Fact]
    public void Push_item_shows_pipeline_numbers_in_chinese()
    {
        UseCulture("zh-CN");
        var detail = new Dictionary<string, double>
        {
            ["ranker_score"] = 1.23456, ["probability"] = 0.125, ["rank_before_mmr"] = 5, ["mmr_penalty"] = 0.0125,
            ["rank.ease"] = 3, ["score.ease"] = 0.5, ["rank.repeat"] = 1, ["score.repeat"] = 2.25, ["times"] = 3,
        };
        var cut = Render<PushList>(p => p.Add(x => x.Items, new[]
        {
            new PreviewItem(1, 1, "22423", "REGENCY CAKESTAND 3 TIER", 12.75m, 1.23456, new PreviewReason("repeat", [], detail)),
        }));

        Assert.Equal("您已购买过 3 次", cut.Find("[data-testid=push-reason]").TextContent.Trim());
        var chips = cut.FindAll("[data-testid=push-channel]").Select(c => c.TextContent.Trim()).ToList();
        Assert.Equal(["复购 第1名 · 2.25", "EASE 第3名 · 0.5"], chips);
        Assert.Equal("购买概率 12.5%", cut.Find("[data-testid=push-probability]").TextContent.Trim());
        Assert.Equal("排序模型 1.2346", cut.Find("[data-testid=push-ranker]").TextContent.Trim());
        Assert.Equal("MMR -0.0125（原第5名）", cut.Find("[data-testid=push-mmr]").TextContent.Trim());
    }
}
