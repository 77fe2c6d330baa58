using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using Portal.Client.Components;
using Portal.Client.Pages;
using Portal.Core.Recommendation;

namespace Portal.Tests.Components;

/// <summary>The recommendation preview page and its push list, on a real SQLite database with UCI rows.</summary>
public sealed class PreviewPageTests : ComponentTestBase
{
    private int Seed(params string[] models)
    {
        var customerId = UciSeed.Seed(Contexts);
        Services.AddSingleton<IRecommendationPreviewService>(new InterimPreviewService(Contexts, models));
        Render<MudPopoverProvider>();
        return customerId;
    }

    [Fact]
    public void Shows_twenty_items_with_rank_name_id_score_and_reason()
    {
        var customerId = Seed("itemknn", "popularity");

        var cut = Render<Preview>(p => p.Add(x => x.CustomerId, customerId));

        cut.WaitForAssertion(() => Assert.Equal(20, cut.FindAll("[data-testid=push-item]").Count), TimeSpan.FromSeconds(10));
        var items = cut.FindAll("[data-testid=push-item]");
        Assert.Single(cut.FindAll("[data-testid=push-list]"));
        Assert.Equal(Enumerable.Range(1, 20).Select(i => i.ToString()), items.Select(i => i.QuerySelector("[data-testid=push-rank]")!.TextContent.Trim()));
        Assert.All(items, i =>
        {
            Assert.False(string.IsNullOrWhiteSpace(i.QuerySelector("[data-testid=push-name]")!.TextContent));
            Assert.False(string.IsNullOrWhiteSpace(i.QuerySelector("[data-testid=push-product-id]")!.TextContent));
            Assert.False(string.IsNullOrWhiteSpace(i.QuerySelector("[data-testid=push-reason]")!.TextContent));
        });
        // The customer bought the seven products of invoice 536365 (and two again in 536366): none of them is pushed.
        Assert.DoesNotContain(items, i => i.GetAttribute("data-product-id") == "85123A");
        // Item 1 is a similar-items proposal naming the two latest purchases (invoice 536366, last line first).
        var first = items[0].QuerySelector("[data-testid=push-reason]")!.TextContent.Trim();
        Assert.Equal("Because you bought WHITE METAL LANTERN and WHITE HANGING HEART T-LIGHT HOLDER", first);
        Assert.Equal("You buy this regularly", items[1].QuerySelector("[data-testid=push-reason]")!.TextContent.Trim());
        Assert.Equal("Popular with everyone", items[2].QuerySelector("[data-testid=push-reason]")!.TextContent.Trim());
        Assert.Equal("Customers like you bought it", items[3].QuerySelector("[data-testid=push-reason]")!.TextContent.Trim());
        Assert.Equal("Predicted from your basket", items[4].QuerySelector("[data-testid=push-reason]")!.TextContent.Trim());
        // History: the nine purchase events of 17850, newest first.
        Assert.Equal(9, cut.FindAll("[data-testid=history-item]").Count);
        Assert.Contains("itemknn interim-1", cut.Find("[data-testid=preview-model]").TextContent);
        Assert.Matches(@"^\d+(\.\d)? ms$", cut.Find("[data-testid=preview-elapsed]").TextContent.Trim());
        Assert.Contains("Top 20 push list", cut.Markup);
    }

    [Fact]
    public void Speaks_chinese_under_zh_CN()
    {
        UseCulture("zh-CN");
        var customerId = Seed("itemknn");

        var cut = Render<Preview>(p => p.Add(x => x.CustomerId, customerId));

        cut.WaitForAssertion(() => Assert.Equal(20, cut.FindAll("[data-testid=push-item]").Count), TimeSpan.FromSeconds(10));
        var reasons = cut.FindAll("[data-testid=push-reason]").Select(r => r.TextContent.Trim()).ToList();
        Assert.Equal("因为您购买了 WHITE METAL LANTERN、WHITE HANGING HEART T-LIGHT HOLDER", reasons[0]);
        Assert.Equal("您经常购买此商品", reasons[1]);
        Assert.Equal("大家都喜欢", reasons[2]);
        Assert.Contains("前 20 推送列表", cut.Markup);
        Assert.Contains("历史行为", cut.Markup);
        Assert.Contains("毫秒", cut.Find("[data-testid=preview-elapsed]").TextContent);
    }

    [Fact]
    public void Without_a_customer_asks_to_pick_one_and_offers_the_models()
    {
        Seed("itemknn", "popularity", "ease");

        var cut = Render<Preview>();

        cut.WaitForAssertion(() => Assert.Contains("Pick a customer", cut.Find("[data-testid=empty-state]").TextContent));
        Assert.Empty(cut.FindAll("[data-testid=push-list]"));
        var select = cut.FindComponent<MudSelect<string>>();
        Assert.Equal("itemknn", select.Find("input").GetAttribute("value"));
    }

    [Fact]
    public void A_model_without_an_active_version_shows_a_notice_instead_of_a_list()
    {
        var customerId = UciSeed.Seed(Contexts);
        Services.AddSingleton<IRecommendationPreviewService>(new InterimPreviewService(Contexts));
        Render<MudPopoverProvider>();

        var cut = Render<Preview>(p => p.Add(x => x.CustomerId, customerId));

        cut.WaitForAssertion(() => Assert.Contains("No trained model can serve yet", cut.Find("[data-testid=preview-notice]").TextContent));
        Assert.Empty(cut.FindAll("[data-testid=push-item]"));
    }

    [Fact]
    public void Without_the_service_the_page_still_renders()
    {
        UciSeed.Seed(Contexts);
        Render<MudPopoverProvider>();

        var cut = Render<Preview>();

        Assert.Contains("The recommendation service is not available yet.", cut.Find("[data-testid=preview-notice]").TextContent);
    }

    [Fact]
    public void Push_list_names_at_most_two_items_and_keeps_unknown_kinds()
    {
        PreviewItem Item(int rank, string kind, params string[] because) => new(rank, rank, $"P{rank}", $"Product {rank}", 1m, 0.5,
            new PreviewReason(kind, because.Select(b => new ReasonItem(b, b, 0.5)).ToList()));

        var cut = Render<PushList>(p => p.Add(x => x.Items, new[]
        {
            Item(1, "similar-items", "A", "B", "C"), Item(2, "similar-items", "A"), Item(3, "similar-items"), Item(4, "sequence"),
        }));

        var reasons = cut.FindAll("[data-testid=push-reason]").Select(r => r.TextContent.Trim()).ToList();
        Assert.Equal(["Because you bought A and B", "Because you bought A", "Similar to what you bought", "sequence"], reasons);
        Assert.Equal("sequence", cut.FindAll("[data-testid=push-reason]")[3].GetAttribute("data-reason-kind"));
    }
}
