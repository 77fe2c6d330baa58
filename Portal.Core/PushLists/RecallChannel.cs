using Portal.Core.Recommendation;

namespace Portal.Core.PushLists;

/// <summary>
/// A recall channel of the push pipeline (a plug-in): it scores every catalogue item for a user and proposes its
/// <see cref="Quota"/> best as candidates for the ranker. The first stage of the two-stage "candidate generation, then
/// ranking" design (Covington, Adams and Sargin, "Deep Neural Networks for YouTube Recommendations", RecSys 2016).
/// Implementations are thread-safe after they are built on a fitted model.
/// </summary>
public interface IRecallChannel
{
    /// <summary>Channel name (<c>repeat</c>, <c>itemknn</c>, <c>userknn</c>, <c>ease</c>, <c>text2vec</c>, <c>item2vec</c>, <c>gru</c>, <c>popular</c>, <c>new</c>).</summary>
    string Name { get; }
    /// <summary>How many candidates the channel proposes per user (its quota), ≥ 1.</summary>
    int Quota { get; }
    /// <summary>The fitted model behind the channel (its explanations become the pushed item's reason).</summary>
    IRecommender Model { get; }
    /// <summary>
    /// Writes the channel's score of every item (length <c>Model.Data.ItemCount</c>, higher is better) into
    /// <paramref name="scores"/>; <see cref="float.NaN"/> marks an item the channel cannot propose.
    /// </summary>
    /// <param name="user">Dense user id, or -1 for a user without history.</param>
    /// <param name="scores">Output buffer, overwritten.</param>
    void Score(int user, Span<float> scores);
}

/// <summary>
/// A channel over a fitted <see cref="IRecommender"/>: its scores as they are, or, with <paramref name="ownItemsOnly"/>,
/// only the user's past items (the repeat-buy channel: NaN elsewhere).
/// </summary>
/// <param name="name">Channel name.</param>
/// <param name="quota">Candidates per user, ≥ 1.</param>
/// <param name="model">A fitted model.</param>
/// <param name="ownItemsOnly">True to propose only the user's own past items.</param>
public sealed class RecommenderChannel(string name, int quota, IRecommender model, bool ownItemsOnly = false) : IRecallChannel
{
    /// <inheritdoc />
    public string Name { get; } = name;
    /// <inheritdoc />
    public int Quota { get; } = quota >= 1 ? quota : throw new ArgumentOutOfRangeException(nameof(quota), quota, "A quota is at least 1.");
    /// <inheritdoc />
    public IRecommender Model { get; } = model;

    /// <inheritdoc />
    public void Score(int user, Span<float> scores)
    {
        Model.Score(user, scores);
        if (!ownItemsOnly) return;
        var data = Model.Data;
        var own = user < 0 ? default : data.ItemsOf(user);
        var next = 0;
        for (var i = 0; i < scores.Length; i++)
        {
            if (next < own.Length && own[next] == i) { next++; continue; }
            scores[i] = float.NaN;
        }
    }
}

/// <summary>
/// "Popular now": items by their number of events in the last <paramref name="windowDays"/> days of the fitted data
/// (every user gets the same scores; items without a recent event score 0).
/// </summary>
/// <param name="quota">Candidates per user, ≥ 1.</param>
/// <param name="model">Any fitted model of the pipeline (it supplies the data and the <c>popular</c> explanation).</param>
/// <param name="windowDays">The recent window in days (&gt; 0).</param>
public sealed class RecentPopularChannel(int quota, IRecommender model, double windowDays = 30) : IRecallChannel
{
    private readonly float[] _recent = ItemStatistics.Compute(model.Data, windowDays).RecentEvents.Select(x => (float)x).ToArray();

    /// <inheritdoc />
    public string Name => "popular";
    /// <inheritdoc />
    public int Quota { get; } = quota >= 1 ? quota : throw new ArgumentOutOfRangeException(nameof(quota), quota, "A quota is at least 1.");
    /// <inheritdoc />
    public IRecommender Model { get; } = model;

    /// <inheritdoc />
    public void Score(int user, Span<float> scores) => _recent.CopyTo(scores);
}

/// <summary>
/// "Popular in your tier": the items most customers of the user's RFM segment bought in the last
/// <c>windowDays</c> days of the fitted data (a constructor argument). Segments come from the fitted data alone (no look-ahead): RFM
/// quintile scores (Hughes, <i>Strategic Database Marketing</i>, 1994; <see cref="Tiers.RfmScoring"/>) over purchases —
/// recency in days to the data's last event, frequency = distinct purchase days, monetary = units bought (the interaction
/// set carries no prices) — mapped to a segment by the default RFM grid (<see cref="Tiers.TierRules.Segment"/>). A user
/// without purchases has no segment and gets nothing from this channel; items no one of the segment bought are NaN.
/// </summary>
public sealed class SegmentPopularChannel : IRecallChannel
{
    private readonly int[] _segmentOf;          // per user: index into RfmSegments.All, or -1
    private readonly float[][] _buyers;         // per segment: distinct recent buyers per item (NaN for none)

    /// <summary>Builds the channel on a fitted model's data.</summary>
    /// <param name="quota">Candidates per user, ≥ 1.</param>
    /// <param name="model">Any fitted model of the pipeline (it supplies the data).</param>
    /// <param name="windowDays">The recent window in days (&gt; 0).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="quota"/> &lt; 1.</exception>
    public SegmentPopularChannel(int quota, IRecommender model, double windowDays = 90)
    {
        Quota = quota >= 1 ? quota : throw new ArgumentOutOfRangeException(nameof(quota), quota, "A quota is at least 1.");
        Model = model;
        var data = model.Data;
        var now = data.LastTimestamp.Ticks;
        var lastPurchase = new long[data.UserCount];
        Array.Fill(lastPurchase, long.MinValue);
        var units = new double[data.UserCount];
        var days = new HashSet<(int, long)>();
        var frequency = new int[data.UserCount];
        for (var k = 0; k < data.EventCount; k++)
        {
            if (data.EventTypes[k] != Behavior.EventType.Purchase) continue;
            var u = data.EventUser[k];
            lastPurchase[u] = Math.Max(lastPurchase[u], data.EventTicks[k]);
            units[u] += data.EventQuantity[k];
            if (days.Add((u, data.EventTicks[k] / TimeSpan.TicksPerDay))) frequency[u]++;
        }
        var buyers = Enumerable.Range(0, data.UserCount).Where(u => frequency[u] > 0).ToArray();
        var scores = Tiers.RfmScoring.Score(buyers.Select(u =>
            new Tiers.RfmValues((now - lastPurchase[u]) / (double)TimeSpan.TicksPerDay, frequency[u], units[u])).ToArray());
        var rules = new Tiers.TierRules();
        _segmentOf = new int[data.UserCount];
        Array.Fill(_segmentOf, -1);
        for (var i = 0; i < buyers.Length; i++)
            _segmentOf[buyers[i]] = Tiers.RfmSegments.IndexOf(rules.Segment(scores[i].R, scores[i].FM));

        var cut = now - (long)(windowDays * TimeSpan.TicksPerDay);
        _buyers = Tiers.RfmSegments.All.Select(_ => Enumerable.Repeat(float.NaN, data.ItemCount).ToArray()).ToArray();
        var counted = new HashSet<(int, int)>();
        for (var k = 0; k < data.EventCount; k++)
        {
            if (data.EventTypes[k] != Behavior.EventType.Purchase || data.EventTicks[k] < cut) continue;
            var (u, item) = (data.EventUser[k], data.EventItem[k]);
            var segment = _segmentOf[u];
            if (segment < 0 || !counted.Add((u, item))) continue;
            var row = _buyers[segment];
            row[item] = float.IsNaN(row[item]) ? 1 : row[item] + 1;
        }
    }

    /// <inheritdoc />
    public string Name => "segment";
    /// <inheritdoc />
    public int Quota { get; }
    /// <inheritdoc />
    public IRecommender Model { get; }

    /// <summary>The user's segment code (<see cref="Tiers.RfmSegments"/>), or null for a user without purchases.</summary>
    /// <param name="user">Dense user id, or -1.</param>
    public string? SegmentOf(int user) => user >= 0 && _segmentOf[user] >= 0 ? Tiers.RfmSegments.All[_segmentOf[user]] : null;

    /// <summary>Distinct recent buyers of <paramref name="item"/> in <paramref name="user"/>'s segment (0 when none or no segment).</summary>
    public int BuyersInSegment(int user, int item) =>
        user >= 0 && _segmentOf[user] >= 0 && _buyers[_segmentOf[user]][item] is var n && !float.IsNaN(n) ? (int)n : 0;

    /// <inheritdoc />
    public void Score(int user, Span<float> scores)
    {
        if (user < 0 || _segmentOf[user] < 0) { scores.Fill(float.NaN); return; }
        _buyers[_segmentOf[user]].CopyTo(scores);
    }
}

/// <summary>
/// Cold start: new products (no event, or a first event within the last <paramref name="newDays"/> days of the data),
/// ranked by the text model's similarity to the user's history (content-based recall for items that collaborative
/// filtering cannot reach yet; Schein et al., "Methods and metrics for cold-start recommendations", SIGIR 2002).
/// Older items get NaN.
/// </summary>
/// <param name="quota">Candidates per user, ≥ 1.</param>
/// <param name="textModel">A fitted text model (<c>text2vec</c>).</param>
/// <param name="newDays">How recent a first event makes an item new, in days.</param>
public sealed class NewProductsChannel(int quota, IRecommender textModel, double newDays = 30) : IRecallChannel
{
    private readonly bool[] _isNew = ItemStatistics.Compute(textModel.Data, newDays).IsNew;

    /// <inheritdoc />
    public string Name => "new";
    /// <inheritdoc />
    public int Quota { get; } = quota >= 1 ? quota : throw new ArgumentOutOfRangeException(nameof(quota), quota, "A quota is at least 1.");
    /// <inheritdoc />
    public IRecommender Model { get; } = textModel;

    /// <inheritdoc />
    public void Score(int user, Span<float> scores)
    {
        Model.Score(user, scores);
        for (var i = 0; i < scores.Length; i++) if (!_isNew[i]) scores[i] = float.NaN;
    }
}

/// <summary>Per-item statistics of a fitted data set, relative to its latest event ("now").</summary>
/// <param name="RecentEvents">Events per item in the recent window (dense item id).</param>
/// <param name="DaysSinceLast">Days from the item's latest event to now (a large number for items without events).</param>
/// <param name="DaysSinceFirst">Days from the item's first event to now (0 for items without events: brand new).</param>
/// <param name="IsNew">First event within the window, or no event.</param>
public sealed record ItemStatistics(int[] RecentEvents, float[] DaysSinceLast, float[] DaysSinceFirst, bool[] IsNew)
{
    /// <summary>Days used for items without any event.</summary>
    public const float NoEventDays = 10_000f;

    /// <summary>Computes the statistics of <paramref name="data"/> with a recent window of <paramref name="windowDays"/> days.</summary>
    public static ItemStatistics Compute(InteractionSet data, double windowDays)
    {
        var m = data.ItemCount;
        var now = data.LastTimestamp.Ticks;
        var cut = now - (long)(windowDays * TimeSpan.TicksPerDay);
        var recent = new int[m];
        var first = new long[m]; Array.Fill(first, long.MaxValue);
        var last = new long[m]; Array.Fill(last, long.MinValue);
        for (var k = 0; k < data.EventCount; k++)
        {
            var i = data.EventItem[k];
            var t = data.EventTicks[k];
            if (t >= cut) recent[i]++;
            if (t < first[i]) first[i] = t;
            if (t > last[i]) last[i] = t;
        }
        var sinceLast = new float[m]; var sinceFirst = new float[m]; var isNew = new bool[m];
        for (var i = 0; i < m; i++)
        {
            var none = last[i] == long.MinValue;
            sinceLast[i] = none ? NoEventDays : (float)((now - last[i]) / (double)TimeSpan.TicksPerDay);
            sinceFirst[i] = none ? 0f : (float)((now - first[i]) / (double)TimeSpan.TicksPerDay);
            isNew[i] = none || first[i] >= cut;
        }
        return new ItemStatistics(recent, sinceLast, sinceFirst, isNew);
    }
}
