using Bunit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Client.Pages;
using Portal.Core.Embeddings;

namespace Portal.Tests.Components;

/// <summary>The similar-items panel of the product page, from text2vec and item2vec trained for real on UCI rows.</summary>
public class ProductDetailSimilarTests : ComponentTestBase
{
    [Fact]
    public void Shows_text_and_behaviour_neighbours_with_shared_tokens()
    {
        UciSeed.Seed(Database);
        var text = Train("text2vec", new Dictionary<string, double> { ["dim"] = 32, ["epochs"] = 5, ["min_steps"] = 0 });
        var behaviour = Train("item2vec", new Dictionary<string, double> { ["dim"] = 32, ["epochs"] = 2, ["min_steps"] = 0 });
        Services.AddSingleton(new SimilarItemsService(Contexts, Models));
        int productId;
        using (var db = Contexts.CreateDbContext())
            productId = db.Products.Where(p => p.ExternalId == "85123A").Select(p => p.Id).Single(); // WHITE HANGING HEART T-LIGHT HOLDER

        var cut = Render<ProductDetail>(p => p.Add(x => x.Id, productId));

        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=similar-text] [data-testid=similar-row]")), TimeSpan.FromSeconds(30));
        var textRows = cut.FindAll("[data-testid=similar-text] [data-testid=similar-row]");
        Assert.Equal(10, textRows.Count);
        var expected = ((Text2VecRecommender)text.Recommender).Index.Nearest(text.Data.ItemIndex("85123A"), 10);
        Assert.Contains("text2vec", cut.Find("[data-testid=similar-text]").TextContent);
        // Most text neighbours share a token with the query, and the chips show it.
        Assert.True(textRows.Count(r => r.QuerySelectorAll(".mud-chip").Length > 0) >= 7);
        Assert.Contains(textRows, r => r.TextContent.Contains("holder", StringComparison.Ordinal));
        Assert.Equal(expected[0].Cosine.ToString("F3"), textRows[0].QuerySelectorAll("td")[1].TextContent.Trim());
        var behaviourRows = cut.FindAll("[data-testid=similar-behaviour] [data-testid=similar-row]");
        Assert.Equal(10, behaviourRows.Count);
        Assert.Contains("item2vec", cut.Find("[data-testid=similar-behaviour]").TextContent);
    }

    [Fact]
    public void Says_so_in_chinese_when_no_embedding_model_is_active()
    {
        UseCulture("zh-CN");
        UciSeed.Seed(Database);
        Services.AddSingleton(new SimilarItemsService(Contexts, Models));
        int productId;
        using (var db = Contexts.CreateDbContext()) productId = db.Products.Select(p => p.Id).First();

        var cut = Render<ProductDetail>(p => p.Add(x => x.Id, productId));

        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=similar-items]")), TimeSpan.FromSeconds(30));
        Assert.Contains("相似商品", cut.Markup);
        Assert.Contains("没有启用的 text2vec 模型", cut.Find("[data-testid=similar-text]").TextContent);
        Assert.Contains("没有启用的 item2vec 模型", cut.Find("[data-testid=similar-behaviour]").TextContent);
    }
}
