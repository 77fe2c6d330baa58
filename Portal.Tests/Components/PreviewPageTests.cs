using Portal.Core.Data.Sources;
using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using Portal.Client.Components;
using Portal.Client.Pages;
using Microsoft.EntityFrameworkCore;
using Portal.Core.Recommendation;
using Portal.Core.Training;

namespace Portal.Tests.Components;

/// <summary>
/// The recommendation preview page and its push list, on a real SQLite database with real UCI rows, served by the real
/// <see cref="RecommendationPreviewService"/> from models fitted for real on those rows.
/// </summary>
public sealed class PreviewPageTests : ComponentTestBase
{
    /// <summary>ItemKNN with a re-purchase term without decay (17850 buys in December 2010, the sample ends in December 2011), so that the list mixes "repeat" and "similar-items" reasons.</summary>
    private static readonly Dictionary<string, double> ItemKnn = new() { ["k"] = 100, ["shrink"] = 10, ["alpha"] = 0.25, ["halflife_days"] = 0 };

    private readonly Dictionary<string, ServingModel> _trained = [];

    private int Seed(params string[] models)
    {
        var customerId = UciSeed.Seed(Database);
        foreach (var m in models) _trained[m] = Train(m, m == "itemknn" ? ItemKnn : null);
        AddPreviewService();
        Render<MudPopoverProvider>();
        return customerId;
    }

    /// <summary>Product names by external id, from the catalogue.</summary>
    private Dictionary<string, string> Names()
    {
        using var db = Contexts.CreateDbContext();
        return db.Products.AsNoTracking().ToDictionary(p => p.ExternalId, p => p.Name);
    }

    /// <summary>External ids of what the customer did (every event), from the database.</summary>
    private HashSet<string> Bought(int customerId)
    {
        using var db = Contexts.CreateDbContext();
        return db.Events.Where(e => e.CustomerId == customerId).Select(e => e.Product!.ExternalId).ToHashSet();
    }

    [Fact]
    public void Shows_the_models_twenty_items_with_rank_name_id_score_and_reason()
    {
        var customerId = Seed("itemknn");
        var expected = Pushable(_trained["itemknn"]);
        var names = Names();
        var bought = Bought(customerId);

        var cut = Render<Preview>(p => p.Add(x => x.CustomerId, customerId));

        cut.WaitForAssertion(() => Assert.Equal(20, cut.FindAll("[data-testid=push-item]").Count), TimeSpan.FromSeconds(30));
        var items = cut.FindAll("[data-testid=push-item]");
        Assert.Single(cut.FindAll("[data-testid=push-list]"));
        Assert.Equal(Enumerable.Range(1, 20).Select(i => i.ToString()), items.Select(i => i.QuerySelector("[data-testid=push-rank]")!.TextContent.Trim()));
        Assert.All(items, i =>
        {
            Assert.False(string.IsNullOrWhiteSpace(i.QuerySelector("[data-testid=push-name]")!.TextContent));
            Assert.False(string.IsNullOrWhiteSpace(i.QuerySelector("[data-testid=push-product-id]")!.TextContent));
            Assert.False(string.IsNullOrWhiteSpace(i.QuerySelector("[data-testid=push-reason]")!.TextContent));
        });
        // The page shows the fitted model's list, in its order, with the catalogue's names.
        Assert.Equal(expected.Select(e => e.ItemId), items.Select(i => i.GetAttribute("data-product-id")));
        Assert.Equal(expected.Select(e => names[e.ItemId]), items.Select(i => i.QuerySelector("[data-testid=push-name]")!.TextContent.Trim()));
        // Each reason is the model's explanation in words: past purchases of 17850 for "repeat", and the two most
        // similar past purchases, named, for "similar-items". 17850 re-buys a lot on 1 December 2010, so both occur.
        var reasons = items.Select(i => i.QuerySelector("[data-testid=push-reason]")!).ToList();
        Assert.Equal(expected.Select(e => e.Reason.Kind), reasons.Select(r => r.GetAttribute("data-reason-kind")));
        Assert.Contains(expected, e => e.Reason.Kind == "repeat");
        Assert.Contains(expected, e => e.Reason.Kind == "similar-items" && e.Reason.BecauseOf.Count >= 2);
        foreach (var (e, r) in expected.Zip(reasons))
        {
            var text = r.TextContent.Trim();
            if (e.Reason.Kind == "repeat")
            {
                Assert.Contains(e.ItemId, bought);
                var times = (int)(e.Reason.Detail?.GetValueOrDefault("times") ?? 0);
                Assert.Equal(times >= 2 ? $"You bought this {times} times" : "You bought this before", text);
            }
            else if (e.Reason.Kind == "similar-items" && e.Reason.BecauseOf.Count >= 2)
            {
                Assert.All(e.Reason.BecauseOf, b => Assert.Contains(b.ItemId, bought));
                Assert.Equal($"Because you bought {names[e.Reason.BecauseOf[0].ItemId]} and {names[e.Reason.BecauseOf[1].ItemId]}", text);
            }
        }
        // History: every event of 17850 in the sample (at most 200), newest first.
        using (var db = Contexts.CreateDbContext())
            Assert.Equal(Math.Min(200, db.Events.Count(e => e.CustomerId == customerId)), cut.FindAll("[data-testid=history-item]").Count);
        Assert.Contains("itemknn uci-1", cut.Find("[data-testid=preview-model]").TextContent);
        Assert.Matches(@"^\d+(\.\d)? ms$", cut.Find("[data-testid=preview-elapsed]").TextContent.Trim());
        Assert.Contains("Top 20 push list", cut.Markup);
    }

    [Fact]
    public void Popularity_lists_the_most_bought_items_as_popular_with_everyone()
    {
        var customerId = Seed("popularity");
        var expected = Pushable(_trained["popularity"]);

        var cut = Render<Preview>(p => p.Add(x => x.CustomerId, customerId));

        cut.WaitForAssertion(() => Assert.Equal(20, cut.FindAll("[data-testid=push-item]").Count), TimeSpan.FromSeconds(30));
        var items = cut.FindAll("[data-testid=push-item]");
        Assert.Equal(expected.Select(e => e.ItemId), items.Select(i => i.GetAttribute("data-product-id")));
        // Popularity is the number of stored interactions (returns excluded): the item with the most, the assorted colour bird ornament, leads;
        // postage (POST, second by count) is a charge, not merchandise, and is never pushed.
        using (var db = Contexts.CreateDbContext())
        {
            var events = StoreInteractions.LoadAsync(db, CancellationToken.None).GetAwaiter().GetResult();
            var top = events.GroupBy(e => e.ItemId).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).Select(g => g.Key)
                .Where(id => id != "POST").Take(20);
            Assert.DoesNotContain("POST", items.Select(i => i.GetAttribute("data-product-id")));
            Assert.Equal(top, items.Select(i => i.GetAttribute("data-product-id")));
        }
        Assert.Equal("84879", items[0].GetAttribute("data-product-id"));
        Assert.Equal("ASSORTED COLOUR BIRD ORNAMENT", items[0].QuerySelector("[data-testid=push-name]")!.TextContent.Trim());
        Assert.All(items, i => Assert.Equal("Popular with everyone", i.QuerySelector("[data-testid=push-reason]")!.TextContent.Trim()));
        Assert.Contains("popularity uci-1", cut.Find("[data-testid=preview-model]").TextContent);
    }

    [Fact]
    public void Speaks_chinese_under_zh_CN()
    {
        UseCulture("zh-CN");
        var customerId = Seed("itemknn");
        var expected = Pushable(_trained["itemknn"]);
        var names = Names();

        var cut = Render<Preview>(p => p.Add(x => x.CustomerId, customerId));

        cut.WaitForAssertion(() => Assert.Equal(20, cut.FindAll("[data-testid=push-item]").Count), TimeSpan.FromSeconds(30));
        var reasons = cut.FindAll("[data-testid=push-reason]").Select(r => r.TextContent.Trim()).ToList();
        var repeat = expected.ToList().FindIndex(e => e.Reason.Kind == "repeat");
        var similar = expected.ToList().FindIndex(e => e.Reason.Kind == "similar-items" && e.Reason.BecauseOf.Count >= 2);
        Assert.True(repeat >= 0 && similar >= 0);
        var times = (int)(expected[repeat].Reason.Detail?.GetValueOrDefault("times") ?? 0);
        Assert.Equal(times >= 2 ? $"您已购买过 {times} 次" : "您之前购买过此商品", reasons[repeat]);
        Assert.Equal($"因为您购买了 {names[expected[similar].Reason.BecauseOf[0].ItemId]}、{names[expected[similar].Reason.BecauseOf[1].ItemId]}", reasons[similar]);
        Assert.Contains("前 20 推送列表", cut.Markup);
        Assert.Contains("历史行为", cut.Markup);
        Assert.Contains("毫秒", cut.Find("[data-testid=preview-elapsed]").TextContent);
    }

    [Fact]
    public void Without_a_customer_asks_to_pick_one_and_offers_the_trained_models()
    {
        Seed("itemknn", "popularity");

        var cut = Render<Preview>();

        cut.WaitForAssertion(() => Assert.Contains("Pick a customer", cut.Find("[data-testid=empty-state]").TextContent));
        Assert.Empty(cut.FindAll("[data-testid=push-list]"));
        // The real service lists the active models in the registry's order (popularity before itemknn).
        var select = cut.FindComponent<MudSelect<string>>();
        Assert.Equal("popularity", select.Find("input").GetAttribute("value"));
        Assert.False(select.Instance.Disabled);
    }

    [Fact]
    public void A_model_without_an_active_version_shows_a_notice_instead_of_a_list()
    {
        var customerId = UciSeed.Seed(Database);
        // A failed run and a candidate without an artifact do not serve.
        using (var db = Contexts.CreateDbContext())
        {
            db.TrainingRuns.Add(new TrainingRun { Model = "itemknn", Version = "failed-1", Status = TrainingStatus.Failed, Message = "Cancelled." });
            db.TrainingRuns.Add(new TrainingRun { Model = "popularity", Version = "queued-1", Status = TrainingStatus.Queued });
            db.SaveChanges();
        }
        AddPreviewService();
        Render<MudPopoverProvider>();

        var cut = Render<Preview>(p => p.Add(x => x.CustomerId, customerId));

        cut.WaitForAssertion(() => Assert.Contains("No trained model can serve yet", cut.Find("[data-testid=preview-notice]").TextContent));
        Assert.Empty(cut.FindAll("[data-testid=push-item]"));
    }

    [Fact]
    public void Without_the_service_the_page_still_renders()
    {
        UciSeed.Seed(Database);
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
            Item(1, "similar-items", "A", "B", "C"), Item(2, "similar-items", "A"), Item(3, "similar-items"), Item(4, "sequence", "A", "B"),
            Item(5, "mystery"),
        }));

        var reasons = cut.FindAll("[data-testid=push-reason]").Select(r => r.TextContent.Trim()).ToList();
        Assert.Equal(["Because you bought A and B", "Because you bought A", "Similar to what you bought", "Follows your recent purchases of A and B", "mystery"], reasons);
        Assert.Equal("mystery", cut.FindAll("[data-testid=push-reason]")[4].GetAttribute("data-reason-kind"));
    }

    /// <summary>The model's top 20 for the seeded customer without charges such as postage, which are never pushed.</summary>
    private static List<RecommendedItem> Pushable(ServingModel model) =>
        model.Recommend(UciSeed.FirstCustomer, 40).Where(r => !UciOnlineRetailDataset.ServiceCodes.Contains(r.ItemId)).Take(20).ToList();
}
