using Portal.Core.Embeddings;
using Portal.Core.Recommendation;

namespace Portal.Core.PushLists;

/// <summary>One user's candidates with their ranker features.</summary>
/// <param name="User">Dense user id, or -1.</param>
/// <param name="Items">Candidate dense item ids, in proposal order (channel order, then channel rank).</param>
/// <param name="Features">Items.Length × FeatureCount values, row-major (<see cref="PushFeatures.Names"/>).</param>
/// <param name="FeatureCount">Features per candidate.</param>
/// <param name="ChannelCount">Number of channels (the first 2 × ChannelCount features are score and rank per channel).</param>
public sealed record UserCandidates(int User, int[] Items, float[] Features, int FeatureCount, int ChannelCount)
{
    /// <summary>Channel scores of candidate <paramref name="local"/> (NaN where the channel cannot score it).</summary>
    public float[] ChannelScores(int local)
    {
        var r = new float[ChannelCount];
        for (var c = 0; c < ChannelCount; c++)
        {
            var v = Features[local * FeatureCount + 2 * c];
            r[c] = v == PushFeatures.MissingScore ? float.NaN : v;
        }
        return r;
    }

    /// <summary>Channel ranks (1-based) of candidate <paramref name="local"/>, 0 where the channel did not propose it.</summary>
    public int[] ChannelRanks(int local)
    {
        var r = new int[ChannelCount];
        for (var c = 0; c < ChannelCount; c++)
        {
            var v = Features[local * FeatureCount + 2 * c + 1];
            r[c] = v == PushFeatures.MissingRank ? 0 : (int)v;
        }
        return r;
    }
}

/// <summary>
/// Candidate generation and the ranker's features over one fitted data set ("now" = its latest event). Features per
/// (user, item) candidate, in <see cref="Names"/> order:
/// per channel its score (<see cref="MissingScore"/> where the channel cannot score the item) and its rank in the
/// channel's top quota (<see cref="MissingRank"/> when not proposed by it);
/// item: log(1 + events), log(1 + events in the last 30 days), log(1 + buyers), days since its last and first event,
/// price band (decile of the unit price over the priced catalogue, −1 unknown);
/// user (RFM, Hughes 1994): log(1 + events) (frequency), distinct items, days since the last event (recency),
/// log(1 + Σ quantity × price) (monetary; quantity alone where prices are unknown);
/// user–item: times bought, days since last bought (<see cref="NeverDays"/> if never), log(1 + quantity bought);
/// similarity: per vector model (text2vec, item2vec) the largest and the mean cosine of the item to the user's 5 most
/// recent distinct items (−2 without vectors or history);
/// and the number of channels that proposed the item. Thread-safe.
/// </summary>
public sealed class PushFeatures
{
    /// <summary>Score sentinel: the channel cannot score this item.</summary>
    public const float MissingScore = -1e6f;
    /// <summary>Rank sentinel: the channel did not propose this item.</summary>
    public const float MissingRank = 1000f;
    /// <summary>Days sentinel for "never bought".</summary>
    public const float NeverDays = 10_000f;
    /// <summary>How many of the user's most recent distinct items the similarity features look at.</summary>
    public const int RecentItems = 5;

    private readonly ItemStatistics _items;
    private readonly float[] _logBuyers;
    private readonly float[] _priceBand;
    private readonly float[] _userMonetary;

    /// <summary>Builds the feature context.</summary>
    /// <param name="data">The fitted data (every channel's model is fitted on it).</param>
    /// <param name="channels">The channels, in feature order.</param>
    /// <param name="vectors">Item vector indexes (rows = dense item ids of <paramref name="data"/>); the first is used by MMR.</param>
    /// <param name="prices">Unit price per item id, or null.</param>
    public PushFeatures(InteractionSet data, IReadOnlyList<IRecallChannel> channels, IReadOnlyList<VectorIndex> vectors, IReadOnlyDictionary<string, double>? prices)
    {
        Data = data; Channels = channels; Vectors = vectors;
        _items = ItemStatistics.Compute(data, 30);
        _logBuyers = new float[data.ItemCount];
        for (var i = 0; i < data.ItemCount; i++) _logBuyers[i] = MathF.Log(1 + data.ItemOffsets[i + 1] - data.ItemOffsets[i]);
        _priceBand = new float[data.ItemCount];
        Array.Fill(_priceBand, -1f);
        var price = new double[data.ItemCount];
        if (prices is not null)
        {
            var known = new List<(int Item, double Price)>();
            for (var i = 0; i < data.ItemCount; i++)
                if (prices.TryGetValue(data.Items[i], out var pr) && pr > 0) { known.Add((i, pr)); price[i] = pr; }
            known.Sort((a, b) => a.Price.CompareTo(b.Price));
            for (var r = 0; r < known.Count; r++) _priceBand[known[r].Item] = Math.Min(9, 10 * r / known.Count);
        }
        _userMonetary = new float[data.UserCount];
        var money = new double[data.UserCount];
        for (var k = 0; k < data.EventCount; k++)
            money[data.EventUser[k]] += data.EventQuantity[k] * (prices is null ? 1 : price[data.EventItem[k]]);
        for (var u = 0; u < data.UserCount; u++) _userMonetary[u] = (float)Math.Log(1 + Math.Max(0, money[u]));
        var names = new List<string>();
        foreach (var c in channels) { names.Add($"score.{c.Name}"); names.Add($"rank.{c.Name}"); }
        names.AddRange(["item.log_events", "item.log_events_30d", "item.log_buyers", "item.days_since_last", "item.days_since_first", "item.price_band",
            "user.log_events", "user.items", "user.days_since_last", "user.log_monetary",
            "user_item.times", "user_item.days_since_last", "user_item.log_quantity"]);
        for (var v = 0; v < vectors.Count; v++) { names.Add($"sim{v}.max_recent"); names.Add($"sim{v}.mean_recent"); }
        names.Add("channels");
        Names = names;
        Fields = names.Select(FieldOf).ToArray();
    }

    /// <summary>
    /// The fields of the field-aware factorisation machine (Juan et al., RecSys 2016), by index:
    /// 0 <c>channel</c> (every <c>score.*</c> and <c>rank.*</c>, and <c>channels</c>), 1 <c>item</c> (<c>item.*</c>),
    /// 2 <c>user</c> (<c>user.*</c>), 3 <c>user_item</c> (<c>user_item.*</c> and the <c>sim*.*</c> similarities of the
    /// item to the user's recent items).
    /// </summary>
    public static readonly IReadOnlyList<string> FieldNames = ["channel", "item", "user", "user_item"];

    /// <summary>The field (index into <see cref="FieldNames"/>) of the feature called <paramref name="name"/>.</summary>
    /// <param name="name">A feature name of <see cref="Names"/>.</param>
    /// <exception cref="ArgumentException">A name that belongs to no field.</exception>
    public static int FieldOf(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.StartsWith("score.", StringComparison.Ordinal) || name.StartsWith("rank.", StringComparison.Ordinal) || name == "channels") return 0;
        if (name.StartsWith("item.", StringComparison.Ordinal)) return 1;
        if (name.StartsWith("user.", StringComparison.Ordinal)) return 2;
        if (name.StartsWith("user_item.", StringComparison.Ordinal) || (name.StartsWith("sim", StringComparison.Ordinal) && name.Contains('.'))) return 3;
        throw new ArgumentException($"Feature '{name}' belongs to no FFM field (channel, item, user, user_item).", nameof(name));
    }

    /// <summary>The data the channels are fitted on.</summary>
    public InteractionSet Data { get; }
    /// <summary>The channels, in feature order.</summary>
    public IReadOnlyList<IRecallChannel> Channels { get; }
    /// <summary>Item vector indexes (the first one drives MMR).</summary>
    public IReadOnlyList<VectorIndex> Vectors { get; }
    /// <summary>Feature names, in order.</summary>
    public IReadOnlyList<string> Names { get; }
    /// <summary>Number of features.</summary>
    public int Count => Names.Count;
    /// <summary>The FFM field of every feature (<see cref="FieldOf"/>; length <see cref="Count"/>), for <see cref="PushRanker.Train"/>.</summary>
    public IReadOnlyList<int> Fields { get; }

    /// <summary>The candidates of <paramref name="user"/> with their features.</summary>
    /// <param name="user">Dense user id, or -1.</param>
    /// <param name="novel">True to leave out the user's own past items (task "novel").</param>
    /// <param name="allowed">Mask over dense item ids (false = excluded by a business rule), or null.</param>
    public UserCandidates Candidates(int user, bool novel, bool[]? allowed)
    {
        var data = Data;
        var m = data.ItemCount;
        var cc = Channels.Count;
        var scores = new float[cc][];
        var ranks = new Dictionary<int, int[]>();
        var order = new List<int>();
        var exclude = novel && user >= 0 ? data.ItemsOf(user) : default;
        for (var c = 0; c < cc; c++)
        {
            var s = scores[c] = new float[m];
            Channels[c].Score(user, s);
            var ranked = (float[])s.Clone();
            if (allowed is not null) for (var i = 0; i < m; i++) if (!allowed[i]) ranked[i] = float.NaN;
            var top = Ranking.TopK(ranked, Channels[c].Quota, exclude);
            for (var r = 0; r < top.Length; r++)
            {
                var i = top[r];
                if (!float.IsFinite(ranked[i])) break; // NaN/−∞ sort last: the channel has nothing more to propose
                if (!ranks.TryGetValue(i, out var rk)) { ranks[i] = rk = new int[cc]; order.Add(i); }
                rk[c] = r + 1;
            }
        }
        var items = order.ToArray();
        var f = Count;
        var features = new float[items.Length * f];
        // The user's most recent distinct items (by last event), for the similarity features.
        int[] recent = [];
        if (user >= 0)
        {
            var from = data.UserOffsets[user]; var to = data.UserOffsets[user + 1];
            recent = Enumerable.Range(from, to - from).OrderByDescending(p => data.UserItemLastTicks[p]).ThenBy(p => p)
                .Take(RecentItems).Select(p => data.UserItems[p]).ToArray();
        }
        var now = data.LastTimestamp.Ticks;
        var userEvents = 0; var userItems = 0; var userDays = PushFeatures.NeverDays;
        if (user >= 0)
        {
            userItems = data.UserOffsets[user + 1] - data.UserOffsets[user];
            long last = long.MinValue;
            for (var p = data.UserOffsets[user]; p < data.UserOffsets[user + 1]; p++) { userEvents += data.UserItemCounts[p]; last = Math.Max(last, data.UserItemLastTicks[p]); }
            if (userItems > 0) userDays = (float)((now - last) / (double)TimeSpan.TicksPerDay);
        }
        for (var x = 0; x < items.Length; x++)
        {
            var i = items[x];
            var row = features.AsSpan(x * f, f);
            var k = 0;
            var rk = ranks[i];
            var proposing = 0;
            for (var c = 0; c < cc; c++)
            {
                var s = scores[c][i];
                row[k++] = float.IsFinite(s) ? s : MissingScore;
                row[k++] = rk[c] > 0 ? rk[c] : MissingRank;
                if (rk[c] > 0) proposing++;
            }
            row[k++] = MathF.Log(1 + data.ItemEventCounts[i]);
            row[k++] = MathF.Log(1 + _items.RecentEvents[i]);
            row[k++] = _logBuyers[i];
            row[k++] = _items.DaysSinceLast[i];
            row[k++] = _items.DaysSinceFirst[i];
            row[k++] = _priceBand[i];
            row[k++] = MathF.Log(1 + userEvents);
            row[k++] = userItems;
            row[k++] = userDays;
            row[k++] = user >= 0 ? _userMonetary[user] : 0;
            var pair = user >= 0 ? data.ItemsOf(user).BinarySearch(i) : -1;
            if (pair >= 0)
            {
                var p = data.UserOffsets[user] + pair;
                row[k++] = data.UserItemCounts[p];
                row[k++] = (float)((now - data.UserItemLastTicks[p]) / (double)TimeSpan.TicksPerDay);
                row[k++] = (float)Math.Log(1 + Math.Max(0, data.UserItemQuantity[p]));
            }
            else { row[k++] = 0; row[k++] = NeverDays; row[k++] = 0; }
            foreach (var v in Vectors)
            {
                if (recent.Length == 0 || !v.HasVector[i]) { row[k++] = -2; row[k++] = -2; continue; }
                float max = -1, sum = 0; var cnt = 0;
                foreach (var j in recent)
                {
                    if (j == i || !v.HasVector[j]) continue;
                    var cos = v.Cosine(i, j);
                    max = Math.Max(max, cos); sum += cos; cnt++;
                }
                row[k++] = cnt == 0 ? -2 : max;
                row[k++] = cnt == 0 ? -2 : sum / cnt;
            }
            row[k++] = proposing;
        }
        return new UserCandidates(user, items, features, f, cc);
    }
}
