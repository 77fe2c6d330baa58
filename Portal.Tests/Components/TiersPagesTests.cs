using Bunit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Client.Pages;
using Portal.Client.Pages.Tiers;
using Portal.Core.Tiers;

namespace Portal.Tests.Components;

/// <summary>The customer profile and the tiers page, rendered on a real tiers run over real UCI rows.</summary>
public class TiersPagesTests : ComponentTestBase
{
    private SegmentationService Seed(out SegmentationRun run)
    {
        UciSeed.Seed(Database);
        var service = new SegmentationService(Contexts, Models);
        Services.AddSingleton(service);
        run = service.RunAsync("test").GetAwaiter().GetResult();
        Assert.Equal(SegmentationStatus.Succeeded, run.Status);
        return service;
    }

    [Fact]
    public void The_customer_profile_shows_the_stored_layers_and_the_numbers_behind_them()
    {
        Seed(out var run);
        int id;
        CustomerTier tier;
        string topic;
        using (var db = Contexts.CreateDbContext())
        {
            id = db.Customers.Single(c => c.ExternalId == UciSeed.FirstCustomer).Id;
            tier = db.CustomerTiers.Single(t => t.SegmentationRunId == run.Id && t.CustomerId == id);
            topic = db.InterestTopics.Single(t => t.Id == tier.TopicId).AutoName;
        }

        var cut = Render<CustomerDetail>(p => p.Add(x => x.Id, id));

        cut.WaitForAssertion(() => cut.Find("[data-testid=profile-segment]"), TimeSpan.FromSeconds(30));
        var l = Services.GetRequiredService<Microsoft.Extensions.Localization.IStringLocalizer<Portal.Client.Resources.UiText>>();
        Assert.Equal($"Segment: {l["Segment." + tier.Segment]}", cut.Find("[data-testid=profile-segment]").TextContent.Trim());
        Assert.Equal($"Lifecycle: {l["Lifecycle." + tier.Lifecycle]}", cut.Find("[data-testid=profile-lifecycle]").TextContent.Trim());
        Assert.Equal(tier.R.ToString(), cut.Find("[data-testid=profile-r]").TextContent.Trim());
        Assert.Equal(tier.F.ToString(), cut.Find("[data-testid=profile-f]").TextContent.Trim());
        Assert.Equal(tier.M.ToString(), cut.Find("[data-testid=profile-m]").TextContent.Trim());
        Assert.Equal(tier.Frequency.ToString("N0"), cut.Find("[data-testid=profile-frequency]").TextContent.Trim());
        Assert.Contains(tier.RecencyDays!.Value.ToString("0.#"), cut.Find("[data-testid=profile-recency]").TextContent);
        Assert.Contains(topic, cut.Find("[data-testid=profile-topic]").TextContent);
        Assert.Contains($"Cluster {tier.Cluster}", cut.Find("[data-testid=profile-cluster]").TextContent);
        // Interest strengths: a bar chart and the shares; nearest products to the interest vector.
        Assert.NotEmpty(cut.FindAll("[data-testid=profile-interests] svg"));
        Assert.Contains("%", cut.Find("[data-testid=profile-interests]").TextContent);
        var nearest = cut.FindAll("[data-testid=profile-nearest] .mud-list-item");
        Assert.Equal(8, nearest.Count);
        Assert.Contains("tf-idf", cut.Find("[data-testid=profile-nearest]").TextContent);
    }

    [Fact]
    public void The_profile_speaks_chinese()
    {
        Seed(out _);
        UseCulture("zh-CN");
        int id;
        using (var db = Contexts.CreateDbContext()) id = db.Customers.Single(c => c.ExternalId == UciSeed.FirstCustomer).Id;
        var cut = Render<CustomerProfileCard>(p => p.Add(x => x.CustomerId, id));
        cut.WaitForAssertion(() => Assert.Contains("用户画像", cut.Markup), TimeSpan.FromSeconds(30));
        Assert.Contains("最近购买（R）", cut.Markup);
        Assert.Contains("兴趣簇", cut.Find("[data-testid=profile-cluster]").TextContent);
    }

    [Fact]
    public void A_customer_without_a_run_gets_a_clear_message()
    {
        UciSeed.Seed(Database);
        Services.AddSingleton(new SegmentationService(Contexts, Models));
        var cut = Render<CustomerProfileCard>(p => p.Add(x => x.CustomerId, 1));
        cut.WaitForAssertion(() => Assert.Contains("No tiers computed for this customer yet.", cut.Find("[data-testid=profile-none]").TextContent));
    }

    [Fact]
    public void The_tiers_page_shows_sizes_that_sum_to_the_run_and_a_definitions_preview()
    {
        var service = Seed(out var run);
        var cut = Render<Portal.Client.Pages.Tiers.Tiers>();
        cut.WaitForAssertion(() => cut.Find("[data-testid=tier-sizes]"), TimeSpan.FromSeconds(30));
        var counts = cut.FindAll("[data-testid=tier-sizes] tbody tr").Select(r => int.Parse(r.QuerySelectorAll("td")[1].TextContent.Trim().Replace(",", ""))).ToList();
        Assert.Equal(run.Customers, counts.Sum());
        Assert.NotEmpty(cut.FindAll("[data-testid=tier-history] svg"));
        Assert.Contains($"#{run.Id}", cut.Find("[data-testid=tiers-run]").TextContent);
        Assert.Equal(16, cut.FindAll("[data-testid=tier-topics] tbody tr").Count);
        Assert.Equal(run.ClusterCount, cut.FindAll("[data-testid=tier-clusters] tbody tr").Count);
        // One run: the flow between its day and itself keeps everyone in place.
        Assert.Equal(run.Customers.ToString("N0"), cut.Find("[data-testid=flow-table-stayed]").TextContent.Trim());

        // What-if: the unchanged definitions move nobody.
        cut.Find("button[data-testid=definitions-preview]").Click();
        cut.WaitForAssertion(() => cut.Find("[data-testid=preview-summary]"), TimeSpan.FromSeconds(60));
        Assert.Contains($"0 of {run.Customers:N0} customers", cut.Find("[data-testid=preview-summary]").TextContent);
    }
}
