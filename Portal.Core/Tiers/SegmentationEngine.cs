using System.Diagnostics;
using Portal.Core.Behavior;

namespace Portal.Core.Tiers;

/// <summary>A product as the tier computation sees it.</summary>
/// <param name="Id">Database id.</param>
/// <param name="ItemKey">Model-facing id (<see cref="Training.StoreInteractions.ItemKey"/>), to find its text2vec vector.</param>
/// <param name="Text">Name, category and description (for TF-IDF vectors and topic names).</param>
/// <param name="CategoryId">Leaf category, if any (its interest key then is the category, not the topic).</param>
public sealed record TierProduct(int Id, string ItemKey, string Text, int? CategoryId);

/// <summary>One behaviour event as the tier computation sees it.</summary>
/// <param name="CustomerId">Customer id.</param>
/// <param name="ProductId">Product id.</param>
/// <param name="Timestamp">UTC time.</param>
/// <param name="Type">Event type.</param>
/// <param name="Quantity">Units (positive, also for returns).</param>
/// <param name="Price">Unit price, 0 when unknown.</param>
/// <param name="Order">Order (invoice/session) number interned per load, −1 when unknown.</param>
public readonly record struct TierEvent(int CustomerId, int ProductId, DateTime Timestamp, EventType Type, double Quantity, double Price, int Order);

/// <summary>The data of one computation: customers, products and their events (ordered by customer, then time).</summary>
/// <param name="CustomerIds">Every customer id, ascending.</param>
/// <param name="Products">Every product.</param>
/// <param name="Events">Events ordered by customer id, then timestamp.</param>
public sealed record TierSnapshot(int[] CustomerIds, IReadOnlyList<TierProduct> Products, TierEvent[] Events)
{
    /// <summary>The as-of time: the last event's timestamp (recency and decay are measured from it, so an unchanged
    /// database gives unchanged layers whenever it is recomputed); null without events.</summary>
    public DateTime? AsOf { get; } = Events.Length == 0 ? null : Events.Max(e => e.Timestamp);
}

/// <summary>One interest of a customer: a topic index or category id, and its strength share.</summary>
/// <param name="IsCategory">True for a category id, false for a topic index.</param>
/// <param name="Id">Category id or topic index.</param>
/// <param name="Strength">Share 0..1.</param>
public readonly record struct InterestShare(bool IsCategory, int Id, double Strength);

/// <summary>One customer's computed layers (topic as an index into <see cref="TierResult.Topics"/>).</summary>
public sealed record TierAssignment
{
    /// <summary>Customer id.</summary>
    public int CustomerId { get; init; }
    /// <summary>RFM values, null without purchases.</summary>
    public RfmValues? Rfm { get; init; }
    /// <summary>RFM scores (0, 0, 0 without purchases).</summary>
    public RfmScores Scores { get; init; }
    /// <summary>RFM segment code, null without purchases.</summary>
    public string? Segment { get; init; }
    /// <summary>Lifecycle code.</summary>
    public required string Lifecycle { get; init; }
    /// <summary>Days since the last event.</summary>
    public double DaysSinceLastEvent { get; init; }
    /// <summary>Purchase cadence, days.</summary>
    public double? CadenceDays { get; init; }
    /// <summary>Strongest topic index, null without weighted events on products with a topic.</summary>
    public int? Topic { get; init; }
    /// <summary>Cluster 1..k, 0 without an interest vector.</summary>
    public int Cluster { get; init; }
    /// <summary>Top interests (at most 5), strongest first.</summary>
    public IReadOnlyList<InterestShare> Interests { get; init; } = [];
}

/// <summary>Everything one computation produces.</summary>
/// <param name="AsOf">The as-of time.</param>
/// <param name="Assignments">One per customer with at least one event, by customer id.</param>
/// <param name="Topics">Discovered topics (index = topic number − 1).</param>
/// <param name="TopicOf">Product id → topic index.</param>
/// <param name="Space">The product vectors used.</param>
/// <param name="UserVectorSource"><c>gru</c> or <c>embedding-mean</c>.</param>
/// <param name="ClusterCount">Chosen k.</param>
/// <param name="Silhouette">Its mean silhouette on the sample.</param>
/// <param name="Seconds">Wall time.</param>
public sealed record TierResult(DateTime? AsOf, IReadOnlyList<TierAssignment> Assignments, IReadOnlyList<DiscoveredTopic> Topics,
    IReadOnlyDictionary<int, int> TopicOf, ProductSpace Space, string UserVectorSource, int ClusterCount, double Silhouette, double Seconds);

/// <summary>
/// Computes every layer of every customer from a <see cref="TierSnapshot"/>: RFM values, quintile scores and segment
/// (<see cref="RfmScoring"/>, <see cref="TierRules.RfmGrid"/>), lifecycle stage (<see cref="Lifecycle"/>), interest
/// topics (<see cref="InterestTopics"/>), decayed interest shares (<see cref="InterestDecay"/>), the user interest
/// vector (the active GRU's state when it covers every customer, else the decayed type-weighted mean of the unit
/// vectors of the customer's products) and the interest cluster (k-means on the unit user vectors, k chosen by
/// silhouette on a sample). Deterministic: the same snapshot and rules give the same result.
/// </summary>
public static class SegmentationEngine
{
    /// <summary>Runs the computation.</summary>
    /// <param name="snapshot">The data.</param>
    /// <param name="rules">Validated rules.</param>
    /// <param name="space">Product vectors; null: TF-IDF of the product texts.</param>
    /// <param name="gruVectors">Customer id → GRU interest vector (all of one length), or null.</param>
    /// <param name="ct">Cancellation.</param>
    public static TierResult Compute(TierSnapshot snapshot, TierRules rules, ProductSpace? space = null,
        IReadOnlyDictionary<int, float[]>? gruVectors = null, CancellationToken ct = default)
    {
        var clock = Stopwatch.StartNew();
        rules.Validate();
        var asOf = snapshot.AsOf ?? DateTime.UnixEpoch;
        space ??= ProductSpace.TfIdf(snapshot.Products.Select(p => (p.Id, p.Text)).ToList());
        var texts = snapshot.Products.ToDictionary(p => p.Id, p => p.Text);
        var (topics, topicOf) = InterestTopics.Discover(space, texts, rules.Clusters.TopicCount);
        var category = snapshot.Products.Where(p => p.CategoryId is not null).ToDictionary(p => p.Id, p => p.CategoryId!.Value);
        ct.ThrowIfCancellationRequested();

        // Pass over each customer's events.
        var events = snapshot.Events;
        var d = space.Index.Dimensions;
        var customers = new List<int>();
        var rfm = new List<(int Customer, RfmValues Values)>();
        var partial = new List<TierAssignment>();
        var userVectors = new Dictionary<int, float[]>();
        var start = 0;
        while (start < events.Length)
        {
            var cust = events[start].CustomerId;
            var end = start;
            while (end < events.Length && events[end].CustomerId == cust) end++;
            ct.ThrowIfCancellationRequested();

            DateTime first = events[start].Timestamp, last = events[start].Timestamp;
            DateTime? lastPurchase = null;
            var orders = new HashSet<int>();
            var days = new HashSet<DateTime>();
            var monetary = 0.0;
            var interests = new Dictionary<(bool, int), double>();
            var topicStrength = new Dictionary<int, double>();
            var vector = new double[d];
            var vectorWeight = 0.0;
            for (var i = start; i < end; i++)
            {
                var e = events[i];
                if (e.Timestamp < first) first = e.Timestamp;
                if (e.Timestamp > last) last = e.Timestamp;
                if (e.Type == EventType.Purchase)
                {
                    lastPurchase = lastPurchase is null || e.Timestamp > lastPurchase ? e.Timestamp : lastPurchase;
                    orders.Add(e.Order >= 0 ? e.Order : -1 - (int)(e.Timestamp.Date.Ticks / TimeSpan.TicksPerDay));
                    days.Add(e.Timestamp.Date);
                    monetary += e.Quantity * e.Price;
                }
                else if (e.Type == EventType.Return) monetary -= e.Quantity * e.Price;

                var w = InterestDecay.Weight(rules.Interests.Weight(e.Type), (asOf - e.Timestamp).TotalDays, rules.Interests.HalfLifeDays);
                if (w <= 0) continue;
                var hasTopic = topicOf.TryGetValue(e.ProductId, out var topic);
                if (hasTopic) topicStrength[topic] = topicStrength.GetValueOrDefault(topic) + w;
                if (category.TryGetValue(e.ProductId, out var cat)) interests[(true, cat)] = interests.GetValueOrDefault((true, cat)) + w;
                else if (hasTopic) interests[(false, topic)] = interests.GetValueOrDefault((false, topic)) + w;
                var row = space.Row(e.ProductId);
                if (row >= 0 && space.Index.HasVector[row])
                {
                    var v = space.Index.Vector(row);
                    for (var t = 0; t < d; t++) vector[t] += w * v[t];
                    vectorWeight += w;
                }
            }

            double? cadence = Lifecycle.Cadence(days);
            var sinceLast = (asOf - last).TotalDays;
            var sum = interests.Values.Sum();
            var top = interests.Select(x => new InterestShare(x.Key.Item1, x.Key.Item2, sum > 0 ? x.Value / sum : 0))
                .OrderByDescending(x => x.Strength).ThenBy(x => x.IsCategory).ThenBy(x => x.Id).Take(5).ToList();
            int? bestTopic = topicStrength.Count == 0 ? null
                : topicStrength.OrderByDescending(x => x.Value).ThenBy(x => x.Key).First().Key;
            partial.Add(new TierAssignment
            {
                CustomerId = cust,
                Lifecycle = Lifecycle.Stage(rules.Lifecycle, (asOf - first).TotalDays, sinceLast, cadence),
                DaysSinceLastEvent = sinceLast,
                CadenceDays = cadence,
                Topic = bestTopic,
                Interests = top,
            });
            if (lastPurchase is { } lp) rfm.Add((cust, new RfmValues((asOf - lp).TotalDays, orders.Count, monetary)));
            if (vectorWeight > 0) userVectors[cust] = Unit(vector);
            customers.Add(cust);
            start = end;
        }

        // RFM scores and segments.
        var scores = RfmScoring.Score(rfm.Select(x => x.Values).ToList());
        var rfmOf = new Dictionary<int, (RfmValues Values, RfmScores Scores)>();
        for (var i = 0; i < rfm.Count; i++) rfmOf[rfm[i].Customer] = (rfm[i].Values, scores[i]);

        // Interest vectors: the GRU's when it covers every customer that has an embedding vector.
        var userSource = "embedding-mean";
        if (gruVectors is { Count: > 0 } && userVectors.Keys.All(gruVectors.ContainsKey))
        {
            userSource = "gru";
            userVectors = userVectors.Keys.ToDictionary(c => c, c => Unit(gruVectors[c].Select(x => (double)x).ToArray()));
        }
        var (clusterOf, k, silhouette) = Cluster(userVectors, rules.Clusters, ct);

        var assignments = partial.Select(a =>
        {
            var has = rfmOf.TryGetValue(a.CustomerId, out var r);
            return a with
            {
                Rfm = has ? r.Values : null,
                Scores = has ? r.Scores : default,
                Segment = has ? rules.Segment(r.Scores.R, r.Scores.FM) : null,
                Cluster = clusterOf.GetValueOrDefault(a.CustomerId),
            };
        }).ToList();
        return new TierResult(snapshot.AsOf, assignments, topics, topicOf, space, userSource, k, silhouette, clock.Elapsed.TotalSeconds);
    }

    private static (Dictionary<int, int> ClusterOf, int K, double Silhouette) Cluster(Dictionary<int, float[]> vectors, ClusterRules rules, CancellationToken ct)
    {
        if (vectors.Count < 3) return (vectors.Keys.ToDictionary(c => c, _ => 1), vectors.Count == 0 ? 0 : 1, 0);
        var ids = vectors.Keys.Order().ToArray();
        var d = vectors[ids[0]].Length;
        var all = new float[ids.Length * d];
        for (var i = 0; i < ids.Length; i++) vectors[ids[i]].CopyTo(all.AsSpan(i * d, d));
        var stride = (ids.Length + rules.SilhouetteSample - 1) / rules.SilhouetteSample;
        var sampleRows = Enumerable.Range(0, ids.Length).Where(i => i % stride == 0).ToArray();
        var sample = new float[sampleRows.Length * d];
        for (var i = 0; i < sampleRows.Length; i++) all.AsSpan(sampleRows[i] * d, d).CopyTo(sample.AsSpan(i * d, d));
        var (k, silhouette) = KMeansClustering.ChooseK(sample, d, rules.MinClusters, rules.MaxClusters);
        ct.ThrowIfCancellationRequested();
        var fit = KMeansClustering.Fit(all, d, k);
        // Number clusters by size, largest first (ties: the cluster whose first member comes first).
        var order = Enumerable.Range(0, fit.K)
            .Select(c => (C: c, Size: fit.Assignments.Count(a => a == c), First: Array.IndexOf(fit.Assignments, c)))
            .Where(x => x.Size > 0).OrderByDescending(x => x.Size).ThenBy(x => x.First).Select(x => x.C).ToList();
        var number = new int[fit.K];
        for (var i = 0; i < order.Count; i++) number[order[i]] = i + 1;
        var result = new Dictionary<int, int>(ids.Length);
        for (var i = 0; i < ids.Length; i++) result[ids[i]] = number[fit.Assignments[i]];
        return (result, order.Count, silhouette);
    }

    private static float[] Unit(double[] v)
    {
        var norm = Math.Sqrt(v.Sum(x => x * x));
        var result = new float[v.Length];
        if (norm > 0) for (var i = 0; i < v.Length; i++) result[i] = (float)(v[i] / norm);
        return result;
    }
}
