using Bunit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using MudBlazor;
using Portal.Client.Pages;
using Portal.Core.Backtest;

namespace Portal.Tests.Components;

/// <summary>The trends page on a backtest run for real (the real job on the imported UCI sample).</summary>
public sealed class TrendsPageTests : ComponentTestBase
{
    [Fact]
    public void Shows_replayed_weeks_of_a_real_backtest_labelled_as_replayed()
    {
        UciSeed.Seed(Database);
        int id;
        using (var db = Contexts.CreateDbContext())
        {
            var run = new BacktestRun { Models = "popularity,repeat,itemknn", Weeks = 3, ListLength = 20, ActiveWindowDays = 90, Status = BacktestStatus.Queued };
            db.BacktestRuns.Add(run);
            db.SaveChanges();
            id = run.Id;
        }
        new BacktestJob(Contexts, NullLogger<BacktestJob>.Instance).RunAsync(id, CancellationToken.None).GetAwaiter().GetResult();
        List<BacktestWeek> weeks;
        using (var db = Contexts.CreateDbContext())
        {
            Assert.Equal(BacktestStatus.Succeeded, db.BacktestRuns.Single().Status);
            weeks = db.BacktestWeeks.AsNoTracking().ToList();
        }
        Assert.Equal(3, weeks.Select(w => w.Model).Distinct().Count());
        Assert.All(weeks, w => Assert.InRange(w.ReplayedCtr, 0, 1));
        Assert.Contains(weeks, w => w.ReplayedClicks > 0);

        Render<MudPopoverProvider>();
        var cut = Render<Trends>();

        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=chart-replayed-ctr]")));
        Assert.Contains("replayed, not online CTR", cut.Find("[data-testid=replayed-label]").TextContent);
        // One legend entry per model in each replayed chart, and a line per model.
        var ctr = cut.Find("[data-testid=chart-replayed-ctr]");
        foreach (var m in new[] { "popularity", "repeat", "itemknn" }) Assert.Contains(m, ctr.TextContent);
        Assert.Equal(3, ctr.QuerySelectorAll("path.mud-chart-line").Length);
        var csv = cut.Find("[data-testid=replayed-csv]").GetAttribute("href")!;
        Assert.StartsWith("/api/trends/replayed.csv?from=", csv);
        Assert.Contains("models=itemknn%2Cpopularity%2Crepeat", csv); // models in name order, as the query returns them
    }

    [Fact]
    public void Says_when_no_backtest_has_finished()
    {
        Render<MudPopoverProvider>();
        var cut = Render<Trends>();
        cut.WaitForAssertion(() => Assert.Contains("No backtest has finished yet", cut.Find("[data-testid=replayed-section]").TextContent));
        Assert.Contains("No training run has finished yet", cut.Find("[data-testid=offline-section]").TextContent);
    }
}
