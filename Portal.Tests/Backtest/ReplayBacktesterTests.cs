using Portal.Core.Backtest;
using Portal.Core.Behavior;
using Portal.Core.Recommendation;

namespace Portal.Tests.Backtest;

/// <summary>The replay backtest's week boundaries and arithmetic on a hand-made log.</summary>
public class ReplayBacktesterTests
{
    private static readonly DateTime Day0 = new(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    private static Interaction Buy(string user, string item, double day) => new(user, item, Day0.AddDays(day), EventType.Purchase, 1);

    [Fact]
    public void Weeks_end_at_the_midnight_after_the_last_event()
    {
        var starts = ReplayBacktester.WeekStarts(new DateTime(2011, 12, 9, 12, 50, 0, DateTimeKind.Utc), 3);
        Assert.Equal([new DateTime(2011, 11, 19), new DateTime(2011, 11, 26), new DateTime(2011, 12, 3)], starts);
    }

    [Fact]
    public void Counts_replayed_clicks_and_recall_by_hand()
    {
        // Train (before day 14): A bought x twice and y once; B bought y; C bought z long ago (inactive with a 10-day window).
        // Week [14, 21): A buys y and w (w is new: never in train, so not in R(A)); B buys x; C buys x (inactive, not pushed).
        // Last event on day 20.5 → the single week starts on day 14.
        Interaction[] events =
        [
            Buy("C", "z", 0), Buy("A", "x", 8), Buy("A", "x", 9), Buy("A", "y", 10), Buy("B", "y", 11),
            Buy("A", "y", 15), Buy("A", "w", 16), Buy("B", "x", 17), Buy("C", "x", 20.5),
        ];
        var weeks = ReplayBacktester.Run(events, new BacktestOptions { Weeks = 1, ListLength = 2, ActiveWindowDays = 10, Models = ["popularity", "repeat"] });

        Assert.Equal(2, weeks.Count);
        Assert.All(weeks, w => Assert.Equal(Day0.AddDays(14), w.WeekStart));
        Assert.All(weeks, w => Assert.Equal(5, w.TrainEvents));
        // A and B were active in [4, 14); C was not.
        Assert.All(weeks, w => Assert.Equal(2, w.PushedCustomers));
        // Catalogue x, y, z: each user gets 2 items → 4 pushes.
        Assert.All(weeks, w => Assert.Equal(4, w.Pushes));
        Assert.All(weeks, w => Assert.Equal(2, w.Buyers));

        // Popularity: x (2 events), y (2 events), ties by id → [x, y] for both. A bought y (hit), B bought x (hit).
        var pop = weeks.Single(w => w.Model == "popularity");
        Assert.Equal(2, pop.ReplayedClicks);
        Assert.Equal(0.5, pop.ReplayedCtr, 12);
        Assert.Equal(1.0, pop.RecallAtK, 12); // R(A) = {y}, R(B) = {x}: both fully recalled.
    }

    [Fact]
    public void Unavailable_items_are_never_pushed_nor_counted()
    {
        Interaction[] events = [Buy("A", "POST", 1), Buy("A", "POST", 2), Buy("A", "x", 2.5), Buy("A", "POST", 8), Buy("A", "x", 9)];
        var weeks = ReplayBacktester.Run(events, new BacktestOptions
        {
            Weeks = 1, ListLength = 1, ActiveWindowDays = 30, Models = ["popularity"], Unavailable = new HashSet<string> { "POST" },
        });
        var w = Assert.Single(weeks);
        // Without the rule POST (2 events) would be pushed; with it, x is, and A bought x: one click, recall 1.
        Assert.Equal(1, w.Pushes);
        Assert.Equal(1, w.ReplayedClicks);
        Assert.Equal(1.0, w.RecallAtK, 12);
    }

    [Fact]
    public void Refuses_unknown_models()
    {
        var ex = Assert.Throws<ArgumentException>(() => ReplayBacktester.Run([Buy("A", "x", 1)], new BacktestOptions { Models = ["nope"] }));
        Assert.Contains("nope", ex.Message);
    }
}
