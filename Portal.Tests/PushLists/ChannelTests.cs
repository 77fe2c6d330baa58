using Portal.Core.Behavior;
using Portal.Core.PushLists;
using Portal.Core.Recommendation;

namespace Portal.Tests.PushLists;

/// <summary>Recall channels, item statistics and candidate features on a hand-made log whose answers are computed by hand.</summary>
public class ChannelTests
{
    private static readonly DateTime Day0 = new(2011, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    // Now = day 60 (the latest event). u1: A on day 0 and 50, B on day 55. u2: A day 10, C day 58, E day 60. u3: B day 20, C and D day 59.
    private static InteractionSet Data() => InteractionSet.Create(new (string U, string I, int Day)[]
    {
        ("u1", "A", 0), ("u2", "A", 10), ("u3", "B", 20), ("u1", "A", 50), ("u1", "B", 55), ("u2", "C", 58), ("u3", "C", 59), ("u3", "D", 59), ("u2", "E", 60),
    }.Select(e => new Interaction(e.U, e.I, Day0.AddDays(e.Day), EventType.Purchase, 1)).ToList());

    private static (InteractionSet Data, PushFeatures Features) Pipeline()
    {
        var data = Data();
        var repeat = Recommenders.Create("repeat", new Dictionary<string, double> { ["halflife_days"] = 30 });
        repeat.Fit(data);
        IRecallChannel[] channels = [new RecommenderChannel("repeat", 5, repeat, ownItemsOnly: true), new RecentPopularChannel(2, repeat)];
        return (data, new PushFeatures(data, channels, [], null));
    }

    [Fact]
    public void Item_statistics_count_the_last_30_days()
    {
        var s = ItemStatistics.Compute(Data(), 30);
        Assert.Equal([1, 1, 2, 1, 1], s.RecentEvents);                 // A day 50; B 55; C 58, 59; D 59; E 60
        Assert.Equal([10f, 5f, 1f, 1f, 0f], s.DaysSinceLast);
        Assert.Equal([60f, 40f, 2f, 1f, 0f], s.DaysSinceFirst);
        Assert.Equal([false, false, true, true, true], s.IsNew);      // first event on or after day 30
    }

    [Fact]
    public void Repeat_channel_proposes_only_own_items_and_popular_channel_the_recent_counts()
    {
        var (data, f) = Pipeline();
        var scores = new float[data.ItemCount];
        f.Channels[0].Score(data.UserIndex("u1"), scores);
        // Recency weights with half-life 30 days: A 2^(−60/30) + 2^(−10/30) = 1.0437, B 2^(−5/30) = 0.8909; plus 1.
        Assert.Equal(2.0437, scores[0], 3);
        Assert.Equal(1.8909, scores[1], 3);
        Assert.True(float.IsNaN(scores[2]) && float.IsNaN(scores[3]) && float.IsNaN(scores[4]));
        f.Channels[1].Score(-1, scores);
        Assert.Equal([1f, 1f, 2f, 1f, 1f], scores);
    }

    [Fact]
    public void Candidates_are_the_union_of_channel_quotas_with_ranks_and_features()
    {
        var (data, f) = Pipeline();
        var u1 = data.UserIndex("u1");
        // Task all: repeat proposes A, B; popular (quota 2) C (2 recent events), then A (ties at 1 go to the lower id).
        var all = f.Candidates(u1, novel: false, allowed: null);
        Assert.Equal([0, 1, 2], all.Items);
        Assert.Equal([1, 2], all.ChannelRanks(0));   // A: repeat 1, popular 2
        Assert.Equal([2, 0], all.ChannelRanks(1));   // B: repeat 2 only
        Assert.Equal([0, 1], all.ChannelRanks(2));   // C: popular 1 only
        Assert.True(float.IsNaN(all.ChannelScores(2)[0])); // repeat cannot score C
        var a = all.Features.AsSpan(0, all.FeatureCount).ToArray();
        var name = f.Names.ToList();
        Assert.Equal(2f, a[name.IndexOf("user_item.times")]);
        Assert.Equal(10f, a[name.IndexOf("user_item.days_since_last")], 3);
        Assert.Equal(2f, a[name.IndexOf("user.items")]);
        Assert.Equal(MathF.Log(4), a[name.IndexOf("user.log_events")], 5);
        Assert.Equal(5f, a[name.IndexOf("user.days_since_last")], 3);
        Assert.Equal(-1f, a[name.IndexOf("item.price_band")]);       // no prices given
        Assert.Equal(2f, a[name.IndexOf("channels")]);
        var c = all.Features.AsSpan(2 * all.FeatureCount, all.FeatureCount).ToArray();
        Assert.Equal(PushFeatures.MissingScore, c[name.IndexOf("score.repeat")]);
        Assert.Equal(PushFeatures.MissingRank, c[name.IndexOf("rank.repeat")]);
        Assert.Equal(PushFeatures.NeverDays, c[name.IndexOf("user_item.days_since_last")]);

        // Task novel: the user's own items are no candidates; popular gives C, then D.
        Assert.Equal([2, 3], f.Candidates(u1, novel: true, allowed: null).Items);

        // A business rule that excludes C: popular falls back to A and B.
        var mask = new PushRules { Unavailable = new HashSet<string> { "C" } }.AllowedMask(data.Items);
        var ruled = f.Candidates(u1, novel: false, allowed: mask);
        Assert.Equal([0, 1], ruled.Items);
        Assert.Equal([1, 1], ruled.ChannelRanks(0));
    }
}

/// <summary>The "popular in your tier" channel on a log whose RFM segments are worked out by hand.</summary>
public class SegmentPopularChannelTests
{
    private static readonly DateTime Day0 = new(2011, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    // Now = day 200. h1..h5 bought X on days 190, 195 and 200 (5 units each; h1 only 4 on day 200, plus 1 Z): recency 0,
    // 3 days, 15 units each (equal, so equal scores). l1..l5 bought Y once on day 120 (1 unit). v1 only viewed X. Quintiles over the 10 buyers (1 + ⌊5·worse/n⌋):
    // h: R = F = M = 3, FM = 3 → need_attention; l: R = F = M = 1 → lost (the default grid).
    private static IRecommender Fitted()
    {
        var events = new List<Interaction>();
        for (var i = 1; i <= 5; i++)
        {
            foreach (var day in new[] { 190, 195, 200 })
                events.Add(new Interaction($"h{i}", "X", Day0.AddDays(day), EventType.Purchase, i == 1 && day == 200 ? 4 : 5));
            events.Add(new Interaction($"l{i}", "Y", Day0.AddDays(120), EventType.Purchase, 1));
        }
        events.Add(new Interaction("h1", "Z", Day0.AddDays(200), EventType.Purchase, 1));
        events.Add(new Interaction("v1", "X", Day0.AddDays(199), EventType.View, 1));
        var model = Recommenders.Create("popularity");
        model.Fit(InteractionSet.Create(events));
        return model;
    }

    [Fact]
    public void Users_get_what_their_own_segment_bought_recently()
    {
        var model = Fitted();
        var data = model.Data;
        var channel = new SegmentPopularChannel(5, model);
        int U(string id) => data.UserIndex(id);
        int I(string id) => data.ItemIndex(id);

        Assert.Equal("need_attention", channel.SegmentOf(U("h2")));
        Assert.Equal("lost", channel.SegmentOf(U("l3")));
        Assert.Null(channel.SegmentOf(U("v1")));

        var scores = new float[data.ItemCount];
        channel.Score(U("h2"), scores);
        Assert.Equal(5f, scores[I("X")]);   // five distinct buyers, not fifteen purchases
        Assert.Equal(1f, scores[I("Z")]);
        Assert.True(float.IsNaN(scores[I("Y")]));
        Assert.Equal(5, channel.BuyersInSegment(U("h2"), I("X")));

        channel.Score(U("l1"), scores);
        Assert.Equal(5f, scores[I("Y")]);
        Assert.True(float.IsNaN(scores[I("X")]));

        channel.Score(U("v1"), scores);
        Assert.All(scores, s => Assert.True(float.IsNaN(s)));
        channel.Score(-1, scores);
        Assert.All(scores, s => Assert.True(float.IsNaN(s)));
    }

    [Fact]
    public void Purchases_before_the_window_do_not_count()
    {
        var model = Fitted();
        var channel = new SegmentPopularChannel(5, model, windowDays: 50); // cut at day 150: the l-users' day-120 purchases are out
        var scores = new float[model.Data.ItemCount];
        channel.Score(model.Data.UserIndex("l1"), scores);
        Assert.All(scores, s => Assert.True(float.IsNaN(s)));
        Assert.Equal("lost", channel.SegmentOf(model.Data.UserIndex("l1"))); // the segment itself uses all history
    }
}
