using System.Security.Cryptography;
using System.Text;
using Portal.Core.Behavior;

namespace Portal.Core.Recommendation;

/// <summary>
/// An immutable, indexed set of interactions: users and items are mapped to dense ids (0-based), items sorted by
/// id in ordinal (byte) order so that a lower dense item id is also the protocol's tie-break winner
/// (shared/EVALUATION.md, "Metrics"). Users are numbered in ordinal order too. The events keep their given order.
/// Per user, the distinct items (ascending dense id) with event count, summed quantity and latest timestamp are
/// stored in compressed sparse rows; per item, the distinct users likewise.
/// Items normally are the items of the events; a set built with extra items
/// (<see cref="Create(IEnumerable{Interaction}, IEnumerable{string}?)"/>) also holds catalogue items without any event
/// (zero counts, empty CSR rows): the serving set of a text model, so that new products are reachable (cold start).
/// The offline protocol never adds them (its catalogue is the items of train).
/// </summary>
public sealed class InteractionSet
{
    private readonly Dictionary<string, int> _userIndex;
    private readonly Dictionary<string, int> _itemIndex;
    private readonly Lazy<float[]> _cooccurrence;

    /// <summary>User ids by dense id, ordinal order.</summary>
    public IReadOnlyList<string> Users { get; }
    /// <summary>Item ids by dense id, ordinal order.</summary>
    public IReadOnlyList<string> Items { get; }
    /// <summary>Number of users.</summary>
    public int UserCount => Users.Count;
    /// <summary>Number of items (the catalogue when this set is a train part).</summary>
    public int ItemCount => Items.Count;
    /// <summary>Number of events.</summary>
    public int EventCount => EventUser.Length;

    /// <summary>Dense user id of each event, in the given order.</summary>
    public int[] EventUser { get; }
    /// <summary>Dense item id of each event.</summary>
    public int[] EventItem { get; }
    /// <summary>Timestamp (UTC ticks) of each event.</summary>
    public long[] EventTicks { get; }
    /// <summary>Type of each event.</summary>
    public EventType[] EventTypes { get; }
    /// <summary>Quantity of each event.</summary>
    public double[] EventQuantity { get; }

    /// <summary>Start of user u's row in the user CSR arrays is <c>UserOffsets[u]</c>, end <c>UserOffsets[u+1]</c> (length UserCount + 1).</summary>
    public int[] UserOffsets { get; }
    /// <summary>Distinct items of each user, ascending dense id (CSR values).</summary>
    public int[] UserItems { get; }
    /// <summary>Number of events of the (user, item) pair at the same CSR position.</summary>
    public int[] UserItemCounts { get; }
    /// <summary>Summed quantity of the (user, item) pair.</summary>
    public double[] UserItemQuantity { get; }
    /// <summary>Latest timestamp (UTC ticks) of the (user, item) pair.</summary>
    public long[] UserItemLastTicks { get; }
    /// <summary>Start of item i's row in the item CSR arrays (length ItemCount + 1).</summary>
    public int[] ItemOffsets { get; }
    /// <summary>Distinct users of each item, ascending dense id.</summary>
    public int[] ItemUsers { get; }
    /// <summary>Number of events per item (popularity, as the protocol's popularity baseline counts it).</summary>
    public int[] ItemEventCounts { get; }
    /// <summary>Earliest timestamp of the set (UTC); <see cref="DateTime.MinValue"/> when empty.</summary>
    public DateTime FirstTimestamp { get; }
    /// <summary>Latest timestamp of the set (UTC); <see cref="DateTime.MinValue"/> when empty.</summary>
    public DateTime LastTimestamp { get; }

    private InteractionSet(IReadOnlyList<Interaction> events, IEnumerable<string>? extraItems = null)
    {
        var users = new SortedSet<string>(StringComparer.Ordinal);
        var items = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var e in events) { users.Add(e.UserId); items.Add(e.ItemId); }
        if (extraItems is not null) foreach (var i in extraItems) items.Add(i);
        Users = users.ToArray();
        Items = items.ToArray();
        _userIndex = new Dictionary<string, int>(Users.Count, StringComparer.Ordinal);
        for (var i = 0; i < Users.Count; i++) _userIndex[Users[i]] = i;
        _itemIndex = new Dictionary<string, int>(Items.Count, StringComparer.Ordinal);
        for (var i = 0; i < Items.Count; i++) _itemIndex[Items[i]] = i;

        var n = events.Count;
        EventUser = new int[n]; EventItem = new int[n]; EventTicks = new long[n]; EventTypes = new EventType[n]; EventQuantity = new double[n];
        ItemEventCounts = new int[Items.Count];
        long first = long.MaxValue, last = long.MinValue;
        for (var k = 0; k < n; k++)
        {
            var e = events[k];
            EventUser[k] = _userIndex[e.UserId];
            EventItem[k] = _itemIndex[e.ItemId];
            EventTicks[k] = e.Timestamp.Ticks;
            EventTypes[k] = e.Type;
            EventQuantity[k] = e.Quantity;
            ItemEventCounts[EventItem[k]]++;
            first = Math.Min(first, EventTicks[k]);
            last = Math.Max(last, EventTicks[k]);
        }
        FirstTimestamp = n == 0 ? DateTime.MinValue : new DateTime(first, DateTimeKind.Utc);
        LastTimestamp = n == 0 ? DateTime.MinValue : new DateTime(last, DateTimeKind.Utc);

        // User CSR: sort event indices by (user, item) and merge.
        var order = new int[n];
        for (var k = 0; k < n; k++) order[k] = k;
        var eu = EventUser; var ei = EventItem;
        Array.Sort(order, (a, b) => eu[a] != eu[b] ? eu[a].CompareTo(eu[b]) : ei[a] != ei[b] ? ei[a].CompareTo(ei[b]) : a.CompareTo(b));
        var uItems = new List<int>(); var uCounts = new List<int>(); var uQty = new List<double>(); var uLast = new List<long>();
        UserOffsets = new int[Users.Count + 1];
        var prevU = -1; var prevI = -1;
        foreach (var k in order)
        {
            if (eu[k] != prevU || ei[k] != prevI)
            {
                uItems.Add(ei[k]); uCounts.Add(0); uQty.Add(0); uLast.Add(long.MinValue);
                UserOffsets[eu[k] + 1]++;
                prevU = eu[k]; prevI = ei[k];
            }
            var p = uItems.Count - 1;
            uCounts[p]++; uQty[p] += EventQuantity[k]; uLast[p] = Math.Max(uLast[p], EventTicks[k]);
        }
        for (var u = 0; u < Users.Count; u++) UserOffsets[u + 1] += UserOffsets[u];
        UserItems = uItems.ToArray(); UserItemCounts = uCounts.ToArray(); UserItemQuantity = uQty.ToArray(); UserItemLastTicks = uLast.ToArray();

        // Item CSR (transpose of the user CSR; users come out ascending).
        ItemOffsets = new int[Items.Count + 1];
        foreach (var i in UserItems) ItemOffsets[i + 1]++;
        for (var i = 0; i < Items.Count; i++) ItemOffsets[i + 1] += ItemOffsets[i];
        ItemUsers = new int[UserItems.Length];
        var fill = (int[])ItemOffsets.Clone();
        for (var u = 0; u < Users.Count; u++)
            for (var p = UserOffsets[u]; p < UserOffsets[u + 1]; p++)
                ItemUsers[fill[UserItems[p]]++] = u;

        _cooccurrence = new Lazy<float[]>(ComputeCooccurrence, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>Indexes <paramref name="events"/> (kept in their order).</summary>
    /// <param name="events">The interactions; empty is allowed.</param>
    public static InteractionSet Create(IEnumerable<Interaction> events) =>
        new(events as IReadOnlyList<Interaction> ?? events.ToList());

    /// <summary>
    /// Indexes <paramref name="events"/> and adds <paramref name="extraItems"/> (duplicates and items with events are
    /// ignored) as items without events: dense item ids stay in ordinal order over all items.
    /// </summary>
    /// <param name="events">The interactions; empty is allowed.</param>
    /// <param name="extraItems">Further item ids (catalogue products without behaviour), or null.</param>
    public static InteractionSet Create(IEnumerable<Interaction> events, IEnumerable<string>? extraItems) =>
        new(events as IReadOnlyList<Interaction> ?? events.ToList(), extraItems);

    /// <summary>Dense id of <paramref name="userId"/>, or -1 when the user has no event in this set.</summary>
    public int UserIndex(string userId) => _userIndex.TryGetValue(userId, out var u) ? u : -1;
    /// <summary>Dense id of <paramref name="itemId"/>, or -1 when the item is not in this set.</summary>
    public int ItemIndex(string itemId) => _itemIndex.TryGetValue(itemId, out var i) ? i : -1;

    /// <summary>Distinct items of user <paramref name="user"/> (dense ids, ascending).</summary>
    public ReadOnlySpan<int> ItemsOf(int user) => UserItems.AsSpan(UserOffsets[user], UserOffsets[user + 1] - UserOffsets[user]);
    /// <summary>Distinct users of item <paramref name="item"/> (dense ids, ascending).</summary>
    public ReadOnlySpan<int> UsersOf(int item) => ItemUsers.AsSpan(ItemOffsets[item], ItemOffsets[item + 1] - ItemOffsets[item]);

    /// <summary>The events as <see cref="Interaction"/> values, in order.</summary>
    public IEnumerable<Interaction> Events()
    {
        for (var k = 0; k < EventCount; k++)
            yield return new Interaction(Users[EventUser[k]], Items[EventItem[k]], new DateTime(EventTicks[k], DateTimeKind.Utc), EventTypes[k], EventQuantity[k]);
    }

    /// <summary>
    /// The item-item co-occurrence of the binary user-item matrix X, G = XᵀX, dense row-major
    /// (ItemCount × ItemCount, float; G[i,i] = number of users of i). Computed once, on first use, and shared.
    /// </summary>
    /// <exception cref="NotSupportedException">ItemCount² exceeds the largest array (about 46,000 items): dense models such as EASE do not scale there.</exception>
    public float[] Cooccurrence => _cooccurrence.Value;

    private float[] ComputeCooccurrence()
    {
        var m = ItemCount;
        if ((long)m * m > Array.MaxLength)
            throw new NotSupportedException($"The dense item-item matrix of {m:N0} items needs {(long)m * m:N0} cells (at most {Array.MaxLength:N0}); models that need it (EASE) cannot run on this catalogue.");
        var g = new float[(long)m * m];
        for (var u = 0; u < UserCount; u++)
        {
            var row = ItemsOf(u);
            for (var a = 0; a < row.Length; a++)
            {
                var baseA = (long)row[a] * m;
                for (var b = 0; b < row.Length; b++) g[baseA + row[b]] += 1f;
            }
        }
        return g;
    }

    /// <summary>
    /// SHA-256 (lower-case hex) of the events in order, one line per event:
    /// <c>user \t item \t yyyy-MM-ddTHH:mm:ss.fffffff \t type \t quantity (invariant) \n</c>.
    /// </summary>
    public static string Sha256(IEnumerable<Interaction> events)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var sb = new StringBuilder();
        foreach (var e in events)
        {
            sb.Clear();
            sb.Append(e.UserId).Append('\t').Append(e.ItemId).Append('\t')
              .Append(e.Timestamp.ToString("yyyy-MM-ddTHH:mm:ss.fffffff", System.Globalization.CultureInfo.InvariantCulture)).Append('\t')
              .Append(e.Type.ToFileName()).Append('\t')
              .Append(e.Quantity.ToString(System.Globalization.CultureInfo.InvariantCulture)).Append('\n');
            hash.AppendData(Encoding.UTF8.GetBytes(sb.ToString()));
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>Writes the items, users and events (ids, ticks, types, quantities) so that <see cref="Read"/> rebuilds an equal set, items without events included.</summary>
    public void Write(BinaryWriter w)
    {
        w.Write(UserCount); foreach (var u in Users) w.Write(u);
        w.Write(ItemCount); foreach (var i in Items) w.Write(i);
        w.Write(EventCount);
        for (var k = 0; k < EventCount; k++)
        {
            w.Write(EventUser[k]); w.Write(EventItem[k]); w.Write(EventTicks[k]); w.Write((byte)EventTypes[k]); w.Write(EventQuantity[k]);
        }
    }

    /// <summary>Reads a set written by <see cref="Write"/>.</summary>
    /// <exception cref="InvalidDataException">The data is inconsistent.</exception>
    public static InteractionSet Read(BinaryReader r)
    {
        var users = new string[r.ReadInt32()];
        for (var i = 0; i < users.Length; i++) users[i] = r.ReadString();
        var items = new string[r.ReadInt32()];
        for (var i = 0; i < items.Length; i++) items[i] = r.ReadString();
        var n = r.ReadInt32();
        if (n < 0) throw new InvalidDataException("Negative event count.");
        var events = new Interaction[n];
        for (var k = 0; k < n; k++)
        {
            int u = r.ReadInt32(), i = r.ReadInt32();
            if ((uint)u >= users.Length || (uint)i >= items.Length) throw new InvalidDataException("Event refers to an unknown user or item.");
            events[k] = new Interaction(users[u], items[i], new DateTime(r.ReadInt64(), DateTimeKind.Utc), (EventType)r.ReadByte(), r.ReadDouble());
        }
        return new InteractionSet(events, items); // the written items: keeps items without events
    }
}
