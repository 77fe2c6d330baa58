using System.Diagnostics;
using Portal.Core.Behavior;
using Portal.Core.Evaluation;
using Portal.Core.Recommendation;

namespace Portal.Core.Backtest;

/// <summary>Settings of a replay backtest.</summary>
public sealed record BacktestOptions
{
    /// <summary>Weeks walked back from the end of the log (the last week ends at the midnight after the last event).</summary>
    public int Weeks { get; init; } = 10;
    /// <summary>Push list length per customer (K).</summary>
    public int ListLength { get; init; } = 20;
    /// <summary>Customers with an event in this many days before a week are pushed a list that week.</summary>
    public int ActiveWindowDays { get; init; } = 90;
    /// <summary>Model names (<see cref="Recommenders.Names"/>).</summary>
    public IReadOnlyList<string> Models { get; init; } = ["popularity", "repeat", "itemknn", "userknn"];
    /// <summary>Hyper-parameters per model (for example the active version's); null or a missing model: the model's defaults.</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, double>>? Parameters { get; init; }
    /// <summary>Item ids never pushed (unavailable products, service charges).</summary>
    public IReadOnlySet<string> Unavailable { get; init; } = new HashSet<string>();
}

/// <summary>
/// Replay backtest of push lists on a behaviour log ("replayed" CTR): for each of the last N weeks, each model is
/// trained on everything before the week, every recently active customer gets a top-K list, and a push counts as a
/// replayed click when that customer bought the item during the week. This is the offline replay of logged behaviour
/// used to estimate push performance without live traffic (cf. Li, Chu, Langford &amp; Wang, "Unbiased offline
/// evaluation of contextual-bandit-based news article recommendation algorithms", WSDM 2011, for replay evaluation;
/// here the "clicks" are purchases, so the figures are labelled replayed and never mixed with online CTR).
/// Recall@K per week follows shared/EVALUATION.md's definition with R(u) = the distinct pushable items u bought that week.
/// </summary>
public static class ReplayBacktester
{
    /// <summary>The start of each replayed week, oldest first: midnight after the last event minus 7·(N − i) days.</summary>
    /// <param name="lastEvent">The log's last event (UTC).</param>
    /// <param name="weeks">N.</param>
    public static IReadOnlyList<DateTime> WeekStarts(DateTime lastEvent, int weeks)
    {
        var end = lastEvent.Date.AddDays(1);
        return Enumerable.Range(0, weeks).Select(i => end.AddDays(-7 * (weeks - i))).ToList();
    }

    /// <summary>Runs the backtest.</summary>
    /// <param name="events">Interactions in time order (returns already excluded).</param>
    /// <param name="options">Settings.</param>
    /// <param name="progress">Fraction done and what is being done; may be null.</param>
    /// <param name="ct">Cancellation, checked between fits and users.</param>
    /// <returns>One row per (model, week) that had training data and at least one active customer, weeks in order within each model.</returns>
    /// <exception cref="ArgumentException">An unknown model, or a non-positive number of weeks or list length.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="ct"/> was cancelled.</exception>
    public static IReadOnlyList<BacktestWeek> Run(IReadOnlyList<Interaction> events, BacktestOptions options,
        IProgress<(double Fraction, string Text)>? progress = null, CancellationToken ct = default)
    {
        if (options.Weeks <= 0) throw new ArgumentException("Weeks must be positive.", nameof(options));
        if (options.ListLength <= 0) throw new ArgumentException("The list length must be positive.", nameof(options));
        foreach (var m in options.Models)
            if (!Recommenders.Names.Contains(m)) throw new ArgumentException($"Unknown model '{m}'. Available: {string.Join(", ", Recommenders.Names)}.", nameof(options));
        var result = new List<BacktestWeek>();
        if (events.Count == 0) return result;

        var starts = WeekStarts(events[^1].Timestamp, options.Weeks);
        var steps = starts.Count * options.Models.Count;
        var step = 0;
        foreach (var start in starts)
        {
            ct.ThrowIfCancellationRequested();
            var end = start.AddDays(7);
            var cut = LowerBound(events, start);
            if (cut == 0) { step += options.Models.Count; continue; }
            var train = InteractionSet.Create(events.Take(cut));
            // Customers active in the window before the week, and what each bought during the week.
            var activeFrom = start.AddDays(-options.ActiveWindowDays);
            var active = new SortedSet<int>();
            for (var e = cut - 1; e >= 0 && events[e].Timestamp >= activeFrom; e--) active.Add(train.UserIndex(events[e].UserId));
            // Unavailable items are never pushed, so they are neither in the lists nor in R(u).
            var exclude = options.Unavailable.Select(train.ItemIndex).Where(i => i >= 0).Order().ToArray();
            var bought = new Dictionary<int, SortedSet<int>>();
            for (var e = cut; e < events.Count && events[e].Timestamp < end; e++)
            {
                if (events[e].Type != EventType.Purchase) continue;
                var u = train.UserIndex(events[e].UserId);
                var i = train.ItemIndex(events[e].ItemId);
                // New customers and new items cannot be pushed from a model trained before the week.
                if (u < 0 || i < 0 || !active.Contains(u) || Array.BinarySearch(exclude, i) >= 0) continue;
                if (!bought.TryGetValue(u, out var set)) bought[u] = set = [];
                set.Add(i);
            }
            var users = active.ToArray();

            foreach (var name in options.Models)
            {
                ct.ThrowIfCancellationRequested();
                progress?.Report((step / (double)steps, $"week of {start:yyyy-MM-dd}: {name}"));
                IReadOnlyDictionary<string, double>? p = null;
                options.Parameters?.TryGetValue(name, out p);
                var model = Recommenders.Create(name, p);
                var fit = Stopwatch.StartNew();
                model.Fit(train, ct);
                fit.Stop();

                long clicks = 0, pushes = 0;
                double recallSum = 0;
                var buyers = 0;
                var gate = new object();
                Parallel.ForEach(System.Collections.Concurrent.Partitioner.Create(0, users.Length, 64),
                    new ParallelOptions { CancellationToken = ct }, () => new float[train.ItemCount], (range, _, scores) =>
                {
                    long c = 0, n = 0; double r = 0; var b = 0;
                    for (var x = range.Item1; x < range.Item2; x++)
                    {
                        var u = users[x];
                        model.Score(u, scores);
                        var list = Ranking.TopK(scores, options.ListLength, exclude);
                        n += list.Length;
                        if (!bought.TryGetValue(u, out var set)) continue;
                        var rel = set.ToArray();
                        var hits = list.Count(i => set.Contains(i));
                        c += hits;
                        r += TaskMetrics.AtK(rel, list, options.ListLength).Recall;
                        b++;
                    }
                    lock (gate) { clicks += c; pushes += n; recallSum += r; buyers += b; }
                    return scores;
                }, _ => { });

                result.Add(new BacktestWeek
                {
                    Model = name,
                    WeekStart = start,
                    TrainEvents = cut,
                    PushedCustomers = users.Length,
                    Pushes = pushes,
                    ReplayedClicks = clicks,
                    Buyers = buyers,
                    ReplayedCtr = pushes == 0 ? 0 : clicks / (double)pushes,
                    RecallAtK = buyers == 0 ? 0 : recallSum / buyers,
                    FitSeconds = fit.Elapsed.TotalSeconds,
                });
                step++;
            }
        }
        progress?.Report((1, "done"));
        return result.OrderBy(w => options.Models.ToList().IndexOf(w.Model)).ThenBy(w => w.WeekStart).ToList();
    }

    /// <summary>Index of the first event at or after <paramref name="t"/> (events are in time order).</summary>
    private static int LowerBound(IReadOnlyList<Interaction> events, DateTime t)
    {
        int lo = 0, hi = events.Count;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (events[mid].Timestamp < t) lo = mid + 1; else hi = mid;
        }
        return lo;
    }
}
