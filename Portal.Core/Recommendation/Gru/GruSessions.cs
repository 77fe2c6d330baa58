using Portal.Core.Behavior;

namespace Portal.Core.Recommendation.Gru;

/// <summary>
/// The events of an <see cref="InteractionSet"/> cut into sessions for GRU4Rec: each user's events in their given
/// (time) order form one session, split where two consecutive events are more than <c>gapDays</c> apart (0: never
/// split). Sessions are stored back to back in <see cref="Items"/>; <see cref="Order"/> lists the trainable sessions
/// (at least two events) by their first timestamp, as the official implementation's <c>session_order='time'</c>.
/// </summary>
internal sealed class GruSessions
{
    /// <summary>Dense item id of every event, session after session.</summary>
    public int[] Items { get; }
    /// <summary>Loss weight of every event as a target (type weight divided by the mean over all targets).</summary>
    public float[] Weights { get; }
    /// <summary>Per event: true when its item does not occur earlier in its session (a "new" item for the user there).</summary>
    public bool[] FirstInSession { get; }
    /// <summary>Session s spans <c>Items[Offsets[s] .. Offsets[s+1])</c>.</summary>
    public int[] Offsets { get; }
    /// <summary>Sessions with at least two events, by first timestamp (then user).</summary>
    public int[] Order { get; }
    /// <summary>Per user: the index of the user's last session (the one whose final state is the interest vector).</summary>
    public int[] LastSession { get; }
    /// <summary>Number of (input, target) pairs in one epoch: Σ over trainable sessions of (length − 1).</summary>
    public long TrainingPairs { get; }

    /// <summary>Builds the sessions.</summary>
    /// <param name="data">The interactions (events in time order).</param>
    /// <param name="gapDays">Split a user's sequence where consecutive events are more than this many days apart; ≤ 0: one session per user.</param>
    /// <param name="typeWeight">Loss weight of an event type as a target.</param>
    public GruSessions(InteractionSet data, double gapDays, Func<EventType, double> typeWeight)
    {
        var n = data.EventCount;
        // Stable counting sort of the events by user: each user's events keep their time order.
        var start = new int[data.UserCount + 1];
        foreach (var u in data.EventUser) start[u + 1]++;
        for (var u = 0; u < data.UserCount; u++) start[u + 1] += start[u];
        var fill = (int[])start.Clone();
        var byUser = new int[n];
        for (var k = 0; k < n; k++) byUser[fill[data.EventUser[k]]++] = k;

        Items = new int[n];
        var weights = new double[n];
        var offsets = new List<int>();
        var firstTicks = new List<long>();
        var owner = new List<int>();
        LastSession = new int[data.UserCount];
        var gapTicks = gapDays > 0 ? (long)(gapDays * TimeSpan.TicksPerDay) : long.MaxValue;
        for (var u = 0; u < data.UserCount; u++)
        {
            for (var p = start[u]; p < start[u + 1]; p++)
            {
                var k = byUser[p];
                if (p == start[u] || data.EventTicks[k] - data.EventTicks[byUser[p - 1]] > gapTicks)
                {
                    offsets.Add(p); firstTicks.Add(data.EventTicks[k]); owner.Add(u);
                }
                Items[p] = data.EventItem[k];
                weights[p] = typeWeight(data.EventTypes[k]);
            }
            LastSession[u] = offsets.Count - 1;
        }
        offsets.Add(n);
        Offsets = offsets.ToArray();
        FirstInSession = new bool[n];
        var seenAt = new int[data.ItemCount];
        Array.Fill(seenAt, -1);
        for (var s = 0; s < Offsets.Length - 1; s++)
            for (var p = Offsets[s]; p < Offsets[s + 1]; p++)
            {
                FirstInSession[p] = seenAt[Items[p]] != s;
                seenAt[Items[p]] = s;
            }

        var trainable = Enumerable.Range(0, offsets.Count - 1).Where(s => Offsets[s + 1] - Offsets[s] >= 2).ToArray();
        Order = trainable.OrderBy(s => firstTicks[s]).ThenBy(s => owner[s]).ThenBy(s => s).ToArray();
        double sum = 0; long pairs = 0;
        foreach (var s in Order)
            for (var p = Offsets[s] + 1; p < Offsets[s + 1]; p++) { sum += weights[p]; pairs++; }
        TrainingPairs = pairs;
        var mean = pairs > 0 && sum > 0 ? sum / pairs : 1.0;
        Weights = weights.Select(w => (float)(w / mean)).ToArray();
    }
}
