using Portal.Core.Recommendation;

namespace Portal.Core.Evaluation;

/// <summary>The two tasks of shared/EVALUATION.md.</summary>
public enum EvaluationTask
{
    /// <summary>R(u) = the user's distinct test items in the catalogue; every catalogue item is a candidate (the headline).</summary>
    All,
    /// <summary>R(u) = the user's distinct test items in the catalogue without a train event of u; u's train items are not candidates; users with empty R(u) skipped.</summary>
    Novel,
}

/// <summary>An evaluated user of one task.</summary>
/// <param name="User">Dense user id in <see cref="TemporalSplit.Train"/>.</param>
/// <param name="Relevant">R(u): dense item ids in the train set (the catalogue), ascending, not empty.</param>
public sealed record EvaluatedUser(int User, int[] Relevant);

/// <summary>
/// The global temporal split of shared/EVALUATION.md: T = latest timestamp − 30 days, train = events with
/// timestamp &lt; T, test = events with timestamp ≥ T, catalogue = distinct train items, evaluated users = users with a
/// train event and a test event whose item is in the catalogue; R(u) for both tasks.
/// </summary>
public sealed class TemporalSplit
{
    /// <summary>The length of the test window: 30 days.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromDays(30);

    /// <summary>The cut T (UTC).</summary>
    public required DateTime T { get; init; }
    /// <summary>Events with timestamp &lt; T, in the given order.</summary>
    public required IReadOnlyList<Interaction> TrainEvents { get; init; }
    /// <summary>Events with timestamp ≥ T, in the given order.</summary>
    public required IReadOnlyList<Interaction> TestEvents { get; init; }
    /// <summary>The indexed train part; its items are the catalogue.</summary>
    public required InteractionSet Train { get; init; }
    /// <summary>Evaluated users of the "all" task, ascending dense user id.</summary>
    public required IReadOnlyList<EvaluatedUser> AllUsers { get; init; }
    /// <summary>Evaluated users of the "novel" task (non-empty R(u)), ascending dense user id.</summary>
    public required IReadOnlyList<EvaluatedUser> NovelUsers { get; init; }

    /// <summary>Number of catalogue items (distinct train items).</summary>
    public int CatalogueItems => Train.ItemCount;

    /// <summary>The evaluated users of <paramref name="task"/>.</summary>
    public IReadOnlyList<EvaluatedUser> Users(EvaluationTask task) => task == EvaluationTask.All ? AllUsers : NovelUsers;

    /// <summary>Splits <paramref name="events"/> (any order; the order is kept within each part).</summary>
    /// <exception cref="ArgumentException">No events, or no train event.</exception>
    public static TemporalSplit Create(IReadOnlyList<Interaction> events)
    {
        if (events.Count == 0) throw new ArgumentException("No events to split.", nameof(events));
        var latest = events.Max(e => e.Timestamp);
        var t = latest - Window;
        var train = new List<Interaction>();
        var test = new List<Interaction>();
        foreach (var e in events) (e.Timestamp < t ? train : test).Add(e);
        if (train.Count == 0) throw new ArgumentException($"No event before T = {t:yyyy-MM-dd HH:mm:ss}: the log spans less than 30 days.", nameof(events));
        var set = InteractionSet.Create(train);

        var relevant = new SortedDictionary<int, SortedSet<int>>();
        foreach (var e in test)
        {
            var u = set.UserIndex(e.UserId);
            var i = set.ItemIndex(e.ItemId);
            if (u < 0 || i < 0) continue;
            if (!relevant.TryGetValue(u, out var r)) relevant[u] = r = [];
            r.Add(i);
        }
        var all = new List<EvaluatedUser>(relevant.Count);
        var novel = new List<EvaluatedUser>(relevant.Count);
        foreach (var (u, r) in relevant)
        {
            all.Add(new EvaluatedUser(u, r.ToArray()));
            var seen = set.ItemsOf(u).ToArray();
            var fresh = r.Where(i => Array.BinarySearch(seen, i) < 0).ToArray();
            if (fresh.Length > 0) novel.Add(new EvaluatedUser(u, fresh));
        }
        return new TemporalSplit { T = t, TrainEvents = train, TestEvents = test, Train = set, AllUsers = all, NovelUsers = novel };
    }

    /// <summary>The validation split: the same construction on the train part alone (T_val = latest train timestamp − 30 days).</summary>
    public TemporalSplit Validation() => Create(TrainEvents);
}
