using Bunit;
using MudBlazor;
using Portal.Client.Pages.OnlineCtr;
using Portal.Core.Data.Import;
using Portal.Tests.Ctr;
using Portal.Tests.Dashboards;

namespace Portal.Tests.Components;

/// <summary>The trends page's Online CTR section on a real SQLite database: empty state, hand-made rows, the real Open Bandit log.</summary>
public sealed class OnlineCtrSectionTests : ComponentTestBase
{
    [Fact]
    public void Without_feedback_it_says_so_and_shows_no_number()
    {
        Render<MudPopoverProvider>();
        var cut = Render<OnlineCtrSection>();
        cut.WaitForAssertion(() => Assert.Contains("No impressions have been recorded yet", cut.Find("[data-testid=online-section]").TextContent));
        Assert.Empty(cut.FindAll("[data-testid=chart-online-ctr]"));
        Assert.Empty(cut.FindAll("[data-testid=online-totals]"));
        Assert.Empty(cut.FindAll("[data-testid=online-csv-day]"));
    }

    [Fact]
    public void Hand_made_feedback_shows_the_hand_counted_ctr_per_campaign_tier_and_batch()
    {
        OnlineCtrQueriesTests.Seeded s;
        using (var db = Contexts.CreateDbContext()) s = OnlineCtrQueriesTests.Seed(db);
        Render<MudPopoverProvider>();
        var cut = Render<OnlineCtrSection>();
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=chart-online-ctr]")));

        Assert.Equal("online", cut.Find("[data-testid=online-label]").TextContent.Trim());
        // 12 impressions, 5 clicks, 1 conversion over 11-01..11-04.
        var totals = cut.Find("[data-testid=online-totals]").TextContent;
        Assert.Contains("Impressions: 12", totals);
        Assert.Contains("Clicks: 5", totals);
        Assert.Contains("Conversions: 1", totals);
        Assert.Equal("41.67%", cut.Find("[data-testid=online-total-ctr]").TextContent);

        string Row(string table, string key) => cut.Find($"[data-testid={table}] tr[data-key='{key}']").TextContent;
        Assert.Contains("Winter lamps", Row("online-campaigns", s.CampaignX.ToString()));
        Assert.Contains("40.00%", Row("online-campaigns", s.CampaignX.ToString()));        // 2 / 5
        Assert.Contains("No campaign", Row("online-campaigns", "none"));
        Assert.Contains("42.86%", Row("online-campaigns", "none"));                        // 3 / 7
        Assert.Contains("Champions", Row("online-tiers", "champions"));
        Assert.Contains("20.00%", Row("online-tiers", "champions"));                        // 1 / 5
        Assert.Contains("Anonymous", Row("online-tiers", "anonymous"));
        Assert.Contains("50.00%", Row("online-tiers", "anonymous"));                        // 2 / 4
        Assert.Contains("No tier", Row("online-tiers", "none"));
        Assert.Contains("Batch " + s.Batch1 + " (Winter lamps)", Row("online-batches", s.Batch1.ToString()));
        Assert.Contains("25.00%", Row("online-batches", s.Batch1.ToString()));              // 1 / 4

        // One line per campaign bucket plus "All"; each can be toggled.
        var chart = cut.Find("[data-testid=chart-online-ctr]");
        Assert.Equal(3, chart.QuerySelectorAll("path.mud-chart-line").Length);
        foreach (var name in new[] { "All", "Winter lamps", "No campaign" }) Assert.Contains(name, cut.Find("[data-testid=online-toggles]").TextContent);
        Assert.Equal("/api/trends/online.csv?by=day&from=2026-11-01&to=2026-11-04", cut.Find("[data-testid=online-csv-day]").GetAttribute("href"));
        Assert.Equal("/api/trends/online.csv?by=tier&from=2026-11-01&to=2026-11-04", cut.Find("[data-testid=online-csv-tier]").GetAttribute("href"));
    }

    [Fact]
    public void The_open_bandit_log_shows_its_real_clicks_in_chinese_too()
    {
        var job = new ImportJob(Contexts, new ImportProgressTracker(), new ImportJobOptions { BatchSize = 1_000 });
        int id;
        using (var db = Contexts.CreateDbContext())
        {
            var run = new ImportRun { FileName = "men.csv.gz", StoredPath = OpenBanditData.Log("random"), Format = ImportFormat.Auto, Status = ImportStatus.Queued };
            db.ImportRuns.Add(run);
            db.SaveChanges();
            id = run.Id;
        }
        job.RunAsync(id, CancellationToken.None).GetAwaiter().GetResult();

        Render<MudPopoverProvider>();
        var cut = Render<OnlineCtrSection>();
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=chart-online-ctr]")));
        Assert.Contains("Impressions: 10,000", cut.Find("[data-testid=online-totals]").TextContent);
        Assert.Contains("Clicks: 46", cut.Find("[data-testid=online-totals]").TextContent);
        Assert.Equal("0.46%", cut.Find("[data-testid=online-total-ctr]").TextContent);
        Assert.Contains("No campaign", cut.Find("[data-testid=online-campaigns] tr[data-key='none']").TextContent);
        Assert.Contains("Anonymous", cut.Find("[data-testid=online-tiers] tr[data-key='anonymous']").TextContent);
        Assert.Single(cut.Find("[data-testid=chart-online-ctr]").QuerySelectorAll("path.mud-chart-line"));
        Assert.Empty(cut.FindAll("[data-testid=online-batches]"));

        UseCulture("zh-CN");
        var zh = Render<OnlineCtrSection>();
        zh.WaitForAssertion(() => Assert.NotNull(zh.Find("[data-testid=chart-online-ctr]")));
        Assert.Equal("线上", zh.Find("[data-testid=online-label]").TextContent.Trim());
        Assert.Contains("无活动", zh.Find("[data-testid=online-campaigns]").TextContent);
        Assert.Contains("匿名", zh.Find("[data-testid=online-tiers]").TextContent);
        Assert.Contains("点击率", zh.Find("[data-testid=online-totals]").TextContent);
    }
}
