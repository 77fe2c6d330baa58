using Portal.Core.Access;
using Portal.Core.Audit;
using System.Text.Json.Nodes;
using System.Globalization;
using System.Text.Json;
using CsvHelper;
using CsvHelper.Configuration;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Portal.Core.Behavior;
using Portal.Core.Data;
using Portal.Core.Embeddings;
using Portal.Core.Recommendation;
using Portal.Core.Recommendation.Gru;
using Portal.Core.Training;

namespace Portal.Core.Tiers;

/// <summary>A layer of the tiers for history and flows.</summary>
public enum TierLayer
{
    /// <summary>RFM segment (customers without purchases: <c>none</c>).</summary>
    Segment,
    /// <summary>Lifecycle stage.</summary>
    Lifecycle,
    /// <summary>Interest cluster number (<c>0</c>: none).</summary>
    Cluster,
}

/// <summary>Customers moving from one tier to another.</summary>
/// <param name="From">Tier code in the earlier run (<c>none</c> when the customer had no tier or was not there).</param>
/// <param name="To">Tier code in the later run (<c>none</c> likewise).</param>
/// <param name="Customers">How many customers.</param>
public sealed record TierFlow(string From, string To, int Customers);

/// <summary>The what-if preview of edited definitions against the latest run.</summary>
/// <param name="BaseRunId">The run compared with (null when there is none: everyone comes from <c>none</c>).</param>
/// <param name="Segments">RFM segment flows (including customers who stay).</param>
/// <param name="Lifecycle">Lifecycle stage flows (including customers who stay).</param>
/// <param name="Moved">Customers whose segment or stage changes.</param>
/// <param name="Customers">Customers assigned by the preview.</param>
public sealed record TierPreview(int? BaseRunId, IReadOnlyList<TierFlow> Segments, IReadOnlyList<TierFlow> Lifecycle, int Moved, int Customers);

/// <summary>Tier sizes of one run.</summary>
/// <param name="RunId">The run.</param>
/// <param name="At">When it finished (UTC).</param>
/// <param name="Sizes">Tier code → customers.</param>
public sealed record TierSizes(int RunId, DateTime At, IReadOnlyDictionary<string, int> Sizes);

/// <summary>One interest of a profile.</summary>
/// <param name="Name">Topic or category name.</param>
/// <param name="Strength">Share 0..1.</param>
public sealed record ProfileInterest(string Name, double Strength);

/// <summary>A product near the customer's interest vector.</summary>
/// <param name="ProductId">Product id.</param>
/// <param name="Name">Product name.</param>
/// <param name="Cosine">Cosine similarity −1..1.</param>
public sealed record ProfileProduct(int ProductId, string Name, double Cosine);

/// <summary>A cluster's description: size, top topics and RFM mix.</summary>
/// <param name="Cluster">Number 1..k.</param>
/// <param name="Customers">Members.</param>
/// <param name="TopTopics">The most common strongest topics of its members (name, members), at most 3.</param>
/// <param name="Segments">RFM segment → members.</param>
public sealed record ClusterSummary(int Cluster, int Customers, IReadOnlyList<(string Topic, int Customers)> TopTopics, IReadOnlyDictionary<string, int> Segments);

/// <summary>The customer profile (用户画像): every layer of one customer in the latest run and the numbers behind it.</summary>
/// <param name="RunId">The run.</param>
/// <param name="AsOf">Its as-of time.</param>
/// <param name="Tier">The stored layers.</param>
/// <param name="Topic">Name of the strongest topic, if any.</param>
/// <param name="Interests">Top interests, strongest first.</param>
/// <param name="Cluster">The cluster's description, if any.</param>
/// <param name="NearestProducts">Products nearest to the customer's interest vector (embedding mean), at most 8.</param>
/// <param name="VectorSource">Space of those products' vectors.</param>
public sealed record CustomerProfile(int RunId, DateTime? AsOf, CustomerTier Tier, string? Topic, IReadOnlyList<ProfileInterest> Interests,
    ClusterSummary? Cluster, IReadOnlyList<ProfileProduct> NearestProducts, string VectorSource);

/// <summary>Filter of an audience (customers of the latest run); null fields do not filter.</summary>
/// <param name="Segment">RFM segment code.</param>
/// <param name="Lifecycle">Lifecycle code.</param>
/// <param name="TopicId">Strongest topic.</param>
/// <param name="Cluster">Cluster number.</param>
public sealed record AudienceFilter(string? Segment = null, string? Lifecycle = null, int? TopicId = null, int? Cluster = null)
{
    /// <summary>True when no field filters.</summary>
    public bool IsEmpty => Segment is null && Lifecycle is null && TopicId is null && Cluster is null;
}

/// <summary>
/// Interest stratification (用户兴趣分层): keeps the versioned tier definitions, recomputes every customer's layers
/// (<see cref="SegmentationEngine"/>) and stores them per run, previews edited definitions, and answers the tiers
/// page (sizes, history, flows), the customer profile and the audience filters and CSV export. Thread-safe singleton.
/// </summary>
public sealed class SegmentationService(IDbContextFactory<PortalDbContext> dbFactory, ModelStore models, ILogger<SegmentationService>? logger = null)
{
    /// <summary>Tier code of customers without a tier in a layer.</summary>
    public const string None = "none";

    private readonly ILogger _log = (ILogger?)logger ?? NullLogger.Instance;
    private readonly SemaphoreSlim _runGate = new(1, 1);
    private ProductSpace? _space;

    // ------------------------------------------------------------------ definitions

    /// <summary>The latest definitions version, seeding version 1 (the defaults) when there is none.</summary>
    public async Task<(int Version, TierRules Rules)> GetDefinitionAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var latest = await db.TierDefinitions.AsNoTracking().OrderByDescending(d => d.Version).FirstOrDefaultAsync(ct);
        if (latest is not null) return (latest.Version, TierRules.FromJson(latest.RulesJson));
        var rules = new TierRules();
        db.TierDefinitions.Add(new TierDefinition { Version = 1, RulesJson = rules.ToJson(), CreatedAt = DateTime.UtcNow, CreatedBy = "system", Note = "Seeded defaults." });
        try { await db.SaveChangesAsync(ct); }
        catch (DbUpdateException) { return await GetDefinitionAsync(ct); } // seeded concurrently
        return (1, rules);
    }

    /// <summary>Every definitions version, newest first.</summary>
    public async Task<IReadOnlyList<TierDefinition>> GetDefinitionVersionsAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.TierDefinitions.AsNoTracking().OrderByDescending(d => d.Version).ToListAsync(ct);
    }

    /// <summary>
    /// Saves <paramref name="rules"/> as the next version (versions are never edited in place), audited as
    /// <c>tiers.definition</c> (before: the previous version and its rules; after: the new one) in the same SaveChanges.
    /// </summary>
    /// <param name="rules">The edited definitions.</param>
    /// <param name="actor">Who saves (stored as <see cref="TierDefinition.CreatedBy"/> and in the audit log).</param>
    /// <param name="note">Optional note of the version.</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>The new version number.</returns>
    /// <exception cref="ArgumentException">Invalid rules (the message names the field).</exception>
    /// <exception cref="UnauthorizedAccessException"><paramref name="actor"/> is not an administrator (definitions are platform-wide).</exception>
    public async Task<int> SaveDefinitionAsync(TierRules rules, Actor actor, string? note, CancellationToken ct = default)
    {
        if (!actor.IsAdmin) throw new UnauthorizedAccessException($"Only administrators edit the tier definitions ({actor.UserName} is not one).");
        rules.Validate();
        var (version, previous) = await GetDefinitionAsync(ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var added = new TierDefinition { Version = version + 1, RulesJson = rules.ToJson(), CreatedAt = DateTime.UtcNow, CreatedBy = actor.UserName, Note = note };
        db.TierDefinitions.Add(added);
        AuditLog.Add(db, actor, "tiers.definition", nameof(TierDefinition), added.Version.ToString(CultureInfo.InvariantCulture), null,
            new { Version = version, Rules = JsonNode.Parse(previous.ToJson()) }, new { added.Version, Rules = JsonNode.Parse(added.RulesJson), Note = note });
        await db.SaveChangesAsync(ct);
        return version + 1;
    }

    // ------------------------------------------------------------------ computing

    /// <summary>Reads customers, products and events from the database.</summary>
    public static async Task<TierSnapshot> LoadSnapshotAsync(PortalDbContext db, CancellationToken ct)
    {
        var customers = await db.Customers.AsNoTracking().OrderBy(c => c.Id).Select(c => c.Id).ToArrayAsync(ct);
        var products = await db.Products.AsNoTracking().OrderBy(p => p.Id)
            .Select(p => new { p.Id, Merchant = p.Merchant!.Code, p.ExternalId, p.Name, p.Description, p.CategoryId, Category = p.Category != null ? p.Category.Name : null })
            .ToListAsync(ct);
        var tierProducts = products.Select(p => new TierProduct(p.Id, StoreInteractions.ItemKey(p.Merchant, p.ExternalId),
            string.Join('\n', new[] { p.Name, p.Category, p.Description }.Where(x => !string.IsNullOrWhiteSpace(x))), p.CategoryId)).ToList();
        var orders = new Dictionary<string, int>(StringComparer.Ordinal);
        var events = new List<TierEvent>(400_000);
        await foreach (var e in db.Events.AsNoTracking().OrderBy(e => e.CustomerId).ThenBy(e => e.Timestamp).ThenBy(e => e.Id)
            .Select(e => new { e.CustomerId, e.ProductId, e.Timestamp, e.Type, e.Quantity, e.Price, e.SessionId }).AsAsyncEnumerable().WithCancellation(ct))
        {
            var order = -1;
            if (e.SessionId is { } s && !orders.TryGetValue(s, out order)) orders[s] = order = orders.Count;
            events.Add(new TierEvent(e.CustomerId, e.ProductId, DateTime.SpecifyKind(e.Timestamp, DateTimeKind.Utc), e.Type, e.Quantity, (double)(e.Price ?? 0), order));
        }
        return new TierSnapshot(customers, tierProducts, events.ToArray());
    }

    /// <summary>The product vectors: the active text2vec model's item vectors, else TF-IDF of the product texts.</summary>
    public async Task<ProductSpace> ProductSpaceAsync(TierSnapshot snapshot, CancellationToken ct)
    {
        try
        {
            if (await models.GetActiveAsync("text2vec", ct) is { Recommender: IItemVectorModel vectors } serving)
            {
                var index = vectors.Index;
                var d = index.Dimensions;
                var rows = new float[snapshot.Products.Count * d];
                for (var i = 0; i < snapshot.Products.Count; i++)
                {
                    var r = serving.Data.ItemIndex(snapshot.Products[i].ItemKey);
                    if (r >= 0) index.Vector(r).CopyTo(rows.AsSpan(i * d, d));
                }
                return new ProductSpace("text2vec", snapshot.Products.Select(p => p.Id).ToArray(), new VectorIndex(rows, d));
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _log.LogWarning(e, "Tiers: the text2vec model could not be used; TF-IDF vectors instead.");
        }
        return await Task.Run(() => ProductSpace.TfIdf(snapshot.Products.Select(p => (p.Id, p.Text)).ToList()), ct);
    }

    private async Task<Dictionary<int, float[]>?> GruVectorsAsync(PortalDbContext db, CancellationToken ct)
    {
        try
        {
            if (await models.GetActiveAsync("gru", ct) is not { Recommender: GruRecommender gru }) return null;
            var customers = await db.Customers.AsNoTracking().Select(c => new { c.Id, c.ExternalId }).ToListAsync(ct);
            var result = new Dictionary<int, float[]>();
            foreach (var c in customers)
            {
                var u = gru.Data.UserIndex(c.ExternalId);
                if (u >= 0) result[c.Id] = gru.InterestVector(u);
            }
            return result;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _log.LogWarning(e, "Tiers: the GRU model could not be used; embedding means instead.");
            return null;
        }
    }

    private async Task<(TierSnapshot Snapshot, TierResult Result)> ComputeAsync(TierRules rules, CancellationToken ct)
    {
        TierSnapshot snapshot;
        Dictionary<int, float[]>? gru;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            snapshot = await LoadSnapshotAsync(db, ct);
            gru = await GruVectorsAsync(db, ct);
        }
        var space = await ProductSpaceAsync(snapshot, ct);
        var result = await Task.Run(() => SegmentationEngine.Compute(snapshot, rules, space, gru, ct), ct);
        _space = result.Space;
        return (snapshot, result);
    }

    /// <summary>
    /// Recomputes every layer with the latest definitions and stores the run, its topics, product topics and one
    /// <see cref="CustomerTier"/> per customer in one transaction (a failure stores no assignment and marks the run
    /// failed with the reason). Runs one at a time.
    /// </summary>
    /// <param name="trigger">What started it (<c>import</c>, <c>training</c>, <c>schedule</c>, <c>definitions</c>, <c>manual</c>).</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>The run (Succeeded or Failed).</returns>
    public async Task<SegmentationRun> RunAsync(string trigger, CancellationToken ct = default)
    {
        await _runGate.WaitAsync(ct);
        try
        {
            var (version, rules) = await GetDefinitionAsync(ct);
            int runId;
            await using (var db = await dbFactory.CreateDbContextAsync(ct))
            {
                var run = new SegmentationRun { Trigger = trigger, StartedAt = DateTime.UtcNow, Status = SegmentationStatus.Running, DefinitionVersion = version };
                db.SegmentationRuns.Add(run);
                await db.SaveChangesAsync(ct);
                runId = run.Id;
            }
            try
            {
                var (_, result) = await ComputeAsync(rules, ct);
                await StoreAsync(runId, result, ct);
                _log.LogInformation("Tiers run {Run} ({Trigger}): {Customers} customers, {Topics} topics, k = {K} in {Seconds:F1} s",
                    runId, trigger, result.Assignments.Count, result.Topics.Count, result.ClusterCount, result.Seconds);
            }
            catch (Exception e)
            {
                _log.LogError(e, "Tiers run {Run} failed", runId);
                await using var db = await dbFactory.CreateDbContextAsync(CancellationToken.None);
                var run = await db.SegmentationRuns.SingleAsync(r => r.Id == runId, CancellationToken.None);
                run.Status = SegmentationStatus.Failed;
                run.FinishedAt = DateTime.UtcNow;
                run.Message = e is OperationCanceledException ? "Cancelled; nothing was stored." : $"Failed; nothing was stored: {e.GetBaseException().Message}";
                await db.SaveChangesAsync(CancellationToken.None);
            }
            await using (var db = await dbFactory.CreateDbContextAsync(CancellationToken.None))
                return await db.SegmentationRuns.AsNoTracking().SingleAsync(r => r.Id == runId, CancellationToken.None);
        }
        finally
        {
            _runGate.Release();
        }
    }

    private async Task StoreAsync(int runId, TierResult result, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        // Topics: reuse the row of a topic found before (same key) so that an admin's name survives.
        var keys = result.Topics.Select(t => t.Key).ToList();
        var existing = await db.InterestTopics.Where(t => keys.Contains(t.Key)).ToDictionaryAsync(t => t.Key, StringComparer.Ordinal, ct);
        var topics = new List<InterestTopic>();
        foreach (var t in result.Topics)
        {
            if (!existing.TryGetValue(t.Key, out var row))
                db.InterestTopics.Add(row = new InterestTopic { Key = t.Key, AutoName = t.Name });
            row.AutoName = t.Name;
            row.Products = t.ProductIds.Length;
            row.LastRunId = runId;
            topics.Add(row);
        }
        await db.SaveChangesAsync(ct);
        db.ProductTopics.AddRange(result.TopicOf.OrderBy(x => x.Key).Select(x => new ProductTopic { SegmentationRunId = runId, ProductId = x.Key, TopicId = topics[x.Value].Id }));
        db.CustomerTiers.AddRange(result.Assignments.Select(a => ToRow(runId, a, topics)));
        await db.SaveChangesAsync(ct);
        var run = await db.SegmentationRuns.SingleAsync(r => r.Id == runId, ct);
        run.Status = SegmentationStatus.Succeeded;
        run.FinishedAt = DateTime.UtcNow;
        run.AsOf = result.AsOf;
        run.Customers = result.Assignments.Count;
        run.VectorSource = result.Space.Source;
        run.UserVectorSource = result.UserVectorSource;
        run.TopicCount = result.Topics.Count;
        run.ClusterCount = result.ClusterCount;
        run.Silhouette = result.Silhouette;
        run.Seconds = result.Seconds;
        run.Message = string.Create(CultureInfo.InvariantCulture,
            $"{result.Assignments.Count:N0} customers; {result.Topics.Count} topics ({result.Space.Source}); k = {result.ClusterCount} clusters ({result.UserVectorSource}, silhouette {result.Silhouette:F3}); {result.Seconds:F1} s.");
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
    }

    private static CustomerTier ToRow(int runId, TierAssignment a, IReadOnlyList<InterestTopic> topics) => new()
    {
        SegmentationRunId = runId,
        CustomerId = a.CustomerId,
        RecencyDays = a.Rfm?.RecencyDays,
        Frequency = a.Rfm?.Frequency ?? 0,
        Monetary = a.Rfm?.Monetary ?? 0,
        R = a.Scores.R,
        F = a.Scores.F,
        M = a.Scores.M,
        Segment = a.Segment,
        Lifecycle = a.Lifecycle,
        DaysSinceLastEvent = a.DaysSinceLastEvent,
        CadenceDays = a.CadenceDays,
        TopicId = a.Topic is { } t ? topics[t].Id : null,
        Cluster = a.Cluster,
        InterestsJson = JsonSerializer.Serialize(a.Interests.Select(i => new StoredInterest(i.IsCategory ? $"c:{i.Id}" : $"t:{topics[i.Id].Id}", Math.Round(i.Strength, 6)))),
    };

    private sealed record StoredInterest(string k, double s);

    /// <summary>
    /// What-if preview: computes every layer with <paramref name="rules"/> on the current data, exactly as a run with
    /// those rules would, and counts customers moving between RFM segments and lifecycle stages against the latest
    /// succeeded run. Stores nothing.
    /// </summary>
    /// <exception cref="ArgumentException">Invalid rules.</exception>
    public async Task<TierPreview> PreviewAsync(TierRules rules, CancellationToken ct = default)
    {
        rules.Validate();
        var (_, result) = await ComputeAsync(rules, ct);
        var baseRun = await LatestRunIdAsync(ct);
        Dictionary<int, (string Segment, string Lifecycle)> before = [];
        if (baseRun is { } id)
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            before = await db.CustomerTiers.AsNoTracking().Where(t => t.SegmentationRunId == id)
                .ToDictionaryAsync(t => t.CustomerId, t => (t.Segment ?? None, t.Lifecycle), ct);
        }
        var after = result.Assignments.ToDictionary(a => a.CustomerId, a => (Segment: a.Segment ?? None, a.Lifecycle));
        var segments = Flows(before.ToDictionary(x => x.Key, x => x.Value.Segment), after.ToDictionary(x => x.Key, x => x.Value.Segment));
        var stages = Flows(before.ToDictionary(x => x.Key, x => x.Value.Lifecycle), after.ToDictionary(x => x.Key, x => x.Value.Lifecycle));
        var moved = after.Count(a => !before.TryGetValue(a.Key, out var b) || b != a.Value) + before.Keys.Count(k => !after.ContainsKey(k));
        return new TierPreview(baseRun, segments, stages, moved, after.Count);
    }

    /// <summary>Counts (from, to) pairs over the union of customers of both maps (missing: <see cref="None"/>); ordered by count, then codes.</summary>
    public static IReadOnlyList<TierFlow> Flows(IReadOnlyDictionary<int, string> before, IReadOnlyDictionary<int, string> after)
    {
        var counts = new Dictionary<(string, string), int>();
        foreach (var id in before.Keys.Union(after.Keys))
        {
            var key = (before.GetValueOrDefault(id) ?? None, after.GetValueOrDefault(id) ?? None);
            counts[key] = counts.GetValueOrDefault(key) + 1;
        }
        return counts.Select(x => new TierFlow(x.Key.Item1, x.Key.Item2, x.Value))
            .OrderByDescending(f => f.Customers).ThenBy(f => f.From, StringComparer.Ordinal).ThenBy(f => f.To, StringComparer.Ordinal).ToList();
    }

    // ------------------------------------------------------------------ reading

    /// <summary>Id of the latest succeeded run, or null.</summary>
    public async Task<int?> LatestRunIdAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.SegmentationRuns.Where(r => r.Status == SegmentationStatus.Succeeded).OrderByDescending(r => r.Id).Select(r => (int?)r.Id).FirstOrDefaultAsync(ct);
    }

    /// <summary>The latest runs, newest first.</summary>
    /// <param name="take">At most this many.</param>
    /// <param name="ct">Cancellation.</param>
    public async Task<IReadOnlyList<SegmentationRun>> GetRunsAsync(int take = 50, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.SegmentationRuns.AsNoTracking().OrderByDescending(r => r.Id).Take(take).ToListAsync(ct);
    }

    /// <summary>The latest succeeded run finished on or before the end of <paramref name="day"/> (UTC), or null.</summary>
    public async Task<int?> RunAtAsync(DateTime day, CancellationToken ct = default)
    {
        var end = day.Date.AddDays(1);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.SegmentationRuns.Where(r => r.Status == SegmentationStatus.Succeeded && r.FinishedAt < end)
            .OrderByDescending(r => r.Id).Select(r => (int?)r.Id).FirstOrDefaultAsync(ct);
    }

    private static async Task<Dictionary<int, string>> TiersAsync(PortalDbContext db, int runId, TierLayer layer, CancellationToken ct)
    {
        var rows = db.CustomerTiers.AsNoTracking().Where(t => t.SegmentationRunId == runId);
        return layer switch
        {
            TierLayer.Segment => await rows.ToDictionaryAsync(t => t.CustomerId, t => t.Segment ?? None, ct),
            TierLayer.Lifecycle => await rows.ToDictionaryAsync(t => t.CustomerId, t => t.Lifecycle, ct),
            _ => await rows.ToDictionaryAsync(t => t.CustomerId, t => t.Cluster == 0 ? None : t.Cluster.ToString(CultureInfo.InvariantCulture), ct),
        };
    }

    /// <summary>Customers moving between tiers of <paramref name="layer"/> from run <paramref name="fromRun"/> to run <paramref name="toRun"/>.</summary>
    public async Task<IReadOnlyList<TierFlow>> GetFlowsAsync(int fromRun, int toRun, TierLayer layer, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return Flows(await TiersAsync(db, fromRun, layer, ct), await TiersAsync(db, toRun, layer, ct));
    }

    /// <summary>Tier sizes of <paramref name="layer"/> in each of the last <paramref name="take"/> succeeded runs, oldest first.</summary>
    public async Task<IReadOnlyList<TierSizes>> GetHistoryAsync(TierLayer layer, int take = 30, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var runs = await db.SegmentationRuns.AsNoTracking().Where(r => r.Status == SegmentationStatus.Succeeded)
            .OrderByDescending(r => r.Id).Take(take).Select(r => new { r.Id, r.FinishedAt }).ToListAsync(ct);
        var result = new List<TierSizes>();
        foreach (var run in runs.OrderBy(r => r.Id))
        {
            var rows = db.CustomerTiers.AsNoTracking().Where(t => t.SegmentationRunId == run.Id);
            var sizes = layer switch
            {
                TierLayer.Segment => await rows.GroupBy(t => t.Segment).Select(g => new { Key = g.Key ?? None, N = g.Count() }).ToDictionaryAsync(x => x.Key, x => x.N, ct),
                TierLayer.Lifecycle => await rows.GroupBy(t => t.Lifecycle).Select(g => new { g.Key, N = g.Count() }).ToDictionaryAsync(x => x.Key, x => x.N, ct),
                _ => (await rows.GroupBy(t => t.Cluster).Select(g => new { g.Key, N = g.Count() }).ToListAsync(ct))
                    .ToDictionary(x => x.Key == 0 ? None : x.Key.ToString(CultureInfo.InvariantCulture), x => x.N),
            };
            result.Add(new TierSizes(run.Id, run.FinishedAt ?? DateTime.MinValue, sizes));
        }
        return result;
    }

    /// <summary>Every topic found by the latest run (name, products), largest first.</summary>
    public async Task<IReadOnlyList<InterestTopic>> GetTopicsAsync(CancellationToken ct = default)
    {
        var run = await LatestRunIdAsync(ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.InterestTopics.AsNoTracking().Where(t => t.LastRunId == run).OrderByDescending(t => t.Products).ThenBy(t => t.Key).ToListAsync(ct);
    }

    /// <summary>Renames a topic (an empty name restores the generated one).</summary>
    /// <exception cref="KeyNotFoundException">No such topic.</exception>
    /// <exception cref="ArgumentException">The name is longer than 100 characters.</exception>
    /// <param name="topicId">The topic.</param>
    /// <param name="name">The new name; empty or null restores the generated one.</param>
    /// <param name="actor">Who renames (audited as <c>topic.rename</c> with the custom name before and after).</param>
    /// <param name="ct">Cancellation.</param>
    /// <exception cref="UnauthorizedAccessException"><paramref name="actor"/> is not an administrator (topics are platform-wide).</exception>
    public async Task RenameTopicAsync(int topicId, string? name, Actor actor, CancellationToken ct = default)
    {
        if (!actor.IsAdmin) throw new UnauthorizedAccessException($"Only administrators rename topics ({actor.UserName} is not one).");
        if (name is { Length: > 100 }) throw new ArgumentException($"Topic name: {name.Length} characters; at most 100.", nameof(name));
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var topic = await db.InterestTopics.SingleOrDefaultAsync(t => t.Id == topicId, ct) ?? throw new KeyNotFoundException($"Topic {topicId} does not exist.");
        var before = new { topic.Id, topic.AutoName, topic.CustomName };
        topic.CustomName = string.IsNullOrWhiteSpace(name) ? null : name.Trim();
        AuditLog.Add(db, actor, "topic.rename", nameof(InterestTopic), topic.Id.ToString(CultureInfo.InvariantCulture), null,
            before, new { topic.Id, topic.AutoName, topic.CustomName });
        await db.SaveChangesAsync(ct);
    }

    /// <summary>Descriptions of the clusters of run <paramref name="runId"/>: size, top topics, RFM mix.</summary>
    public async Task<IReadOnlyList<ClusterSummary>> GetClustersAsync(int runId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await db.CustomerTiers.AsNoTracking().Where(t => t.SegmentationRunId == runId && t.Cluster > 0)
            .Select(t => new { t.Cluster, t.TopicId, t.Segment }).ToListAsync(ct);
        var names = await db.InterestTopics.AsNoTracking().ToDictionaryAsync(t => t.Id, t => t.CustomName ?? t.AutoName, ct);
        return rows.GroupBy(r => r.Cluster).OrderBy(g => g.Key).Select(g => new ClusterSummary(g.Key, g.Count(),
            g.Where(r => r.TopicId is not null).GroupBy(r => r.TopicId!.Value).OrderByDescending(t => t.Count()).ThenBy(t => t.Key).Take(3)
                .Select(t => (names.GetValueOrDefault(t.Key) ?? t.Key.ToString(CultureInfo.InvariantCulture), t.Count())).ToList(),
            g.GroupBy(r => r.Segment ?? None).ToDictionary(s => s.Key, s => s.Count()))).ToList();
    }

    /// <summary>The profile of customer <paramref name="customerId"/> in the latest run, or null when it has none.</summary>
    public async Task<CustomerProfile?> GetProfileAsync(int customerId, CancellationToken ct = default)
    {
        var runId = await LatestRunIdAsync(ct);
        if (runId is null) return null;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var tier = await db.CustomerTiers.AsNoTracking().SingleOrDefaultAsync(t => t.SegmentationRunId == runId && t.CustomerId == customerId, ct);
        if (tier is null) return null;
        var run = await db.SegmentationRuns.AsNoTracking().SingleAsync(r => r.Id == runId, ct);
        var topicNames = await db.InterestTopics.AsNoTracking().ToDictionaryAsync(t => t.Id, t => t.CustomName ?? t.AutoName, ct);
        var categoryNames = await db.Categories.AsNoTracking().ToDictionaryAsync(c => c.Id, c => c.Name, ct);
        var interests = new List<ProfileInterest>();
        foreach (var i in JsonSerializer.Deserialize<List<StoredInterest>>(tier.InterestsJson ?? "[]") ?? [])
        {
            var id = int.Parse(i.k.AsSpan(2), CultureInfo.InvariantCulture);
            var name = i.k.StartsWith("c:", StringComparison.Ordinal) ? categoryNames.GetValueOrDefault(id) : topicNames.GetValueOrDefault(id);
            interests.Add(new ProfileInterest(name ?? i.k, i.s));
        }
        var cluster = tier.Cluster > 0 ? (await GetClustersAsync(run.Id, ct)).FirstOrDefault(c => c.Cluster == tier.Cluster) : null;

        // Nearest products to the customer's interest vector (decayed, type-weighted mean of unit product vectors).
        var (_, rules) = await GetDefinitionAsync(ct);
        var space = _space;
        if (space is null)
        {
            // The product space is shared by every user: built from all products, never from a merchant's view.
            using var unrestricted = PortalScope.Enter(null);
            await using var all = await dbFactory.CreateDbContextAsync(ct);
            var snapshotProducts = await all.Products.AsNoTracking().OrderBy(p => p.Id)
                .Select(p => new { p.Id, Merchant = p.Merchant!.Code, p.ExternalId, p.Name, p.Description, Category = p.Category != null ? p.Category.Name : null, p.CategoryId })
                .ToListAsync(ct);
            var snapshot = new TierSnapshot([], snapshotProducts.Select(p => new TierProduct(p.Id, StoreInteractions.ItemKey(p.Merchant, p.ExternalId),
                string.Join('\n', new[] { p.Name, p.Category, p.Description }.Where(x => !string.IsNullOrWhiteSpace(x))), p.CategoryId)).ToList(), []);
            _space = space = await ProductSpaceAsync(snapshot, ct);
        }
        var asOf = run.AsOf ?? DateTime.UtcNow;
        var events = await db.Events.AsNoTracking().Where(e => e.CustomerId == customerId).Select(e => new { e.ProductId, e.Timestamp, e.Type }).ToListAsync(ct);
        var d = space.Index.Dimensions;
        var q = new float[d];
        foreach (var e in events)
        {
            var row = space.Row(e.ProductId);
            if (row < 0) continue;
            var w = (float)InterestDecay.Weight(rules.Interests.Weight(e.Type), (asOf - e.Timestamp).TotalDays, rules.Interests.HalfLifeDays);
            var v = space.Index.Vector(row);
            for (var t = 0; t < d; t++) q[t] += w * v[t];
        }
        var nearest = new List<ProfileProduct>();
        if (q.Any(x => x != 0))
        {
            var found = space.Index.Nearest(q, 8);
            var ids = found.Select(n => space.ProductIds[n.Row]).ToList();
            var productNames = await db.Products.AsNoTracking().Where(p => ids.Contains(p.Id)).ToDictionaryAsync(p => p.Id, p => p.Name, ct);
            // Only products the viewer may see (a merchant account's context finds only its own).
            nearest = found.Where(n => productNames.ContainsKey(space.ProductIds[n.Row]))
                .Select(n => new ProfileProduct(space.ProductIds[n.Row], productNames[space.ProductIds[n.Row]], n.Cosine)).ToList();
        }
        return new CustomerProfile(run.Id, run.AsOf, tier, tier.TopicId is { } tid ? topicNames.GetValueOrDefault(tid) : null, interests, cluster, nearest, space.Source);
    }

    /// <summary>
    /// Customer ids of the audience <paramref name="filter"/> selects in run <paramref name="runId"/> (for the
    /// customers list, which joins it to its own query).
    /// </summary>
    public static IQueryable<int> AudienceIds(PortalDbContext db, int runId, AudienceFilter filter)
    {
        var rows = db.CustomerTiers.Where(t => t.SegmentationRunId == runId);
        if (filter.Segment is { } s) rows = s == None ? rows.Where(t => t.Segment == null) : rows.Where(t => t.Segment == s);
        if (filter.Lifecycle is { } l) rows = rows.Where(t => t.Lifecycle == l);
        if (filter.TopicId is { } topic) rows = rows.Where(t => t.TopicId == topic);
        if (filter.Cluster is { } c) rows = rows.Where(t => t.Cluster == c);
        return rows.Select(t => t.CustomerId);
    }

    /// <summary>
    /// Writes the audience <paramref name="filter"/> selects in the latest run as CSV (CsvHelper, header
    /// <c>customer_id,country,segment,r,f,m,recency_days,frequency,monetary,lifecycle,topic,cluster</c>), ordered by customer id.
    /// </summary>
    /// <returns>Rows written (0 and only the header when there is no run).</returns>
    public async Task<int> WriteAudienceCsvAsync(AudienceFilter filter, TextWriter output, CancellationToken ct = default)
    {
        var runId = await LatestRunIdAsync(ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        // Imported countries and admin-named topics could start with = + - @: escape them so spreadsheets do not run them as formulas.
        await using var csv = new CsvWriter(output, new CsvConfiguration(CultureInfo.InvariantCulture) { InjectionOptions = InjectionOptions.Escape }, leaveOpen: true);
        foreach (var h in new[] { "customer_id", "country", "segment", "r", "f", "m", "recency_days", "frequency", "monetary", "lifecycle", "topic", "cluster" })
            csv.WriteField(h);
        await csv.NextRecordAsync();
        if (runId is null) return 0;
        var topics = await db.InterestTopics.AsNoTracking().ToDictionaryAsync(t => t.Id, t => t.CustomName ?? t.AutoName, ct);
        var ids = AudienceIds(db, runId.Value, filter);
        var rows = db.CustomerTiers.AsNoTracking().Where(t => t.SegmentationRunId == runId && ids.Contains(t.CustomerId))
            .Join(db.Customers, t => t.CustomerId, c => c.Id, (t, c) => new { c.ExternalId, c.Country, t })
            .OrderBy(x => x.t.CustomerId).AsAsyncEnumerable();
        var n = 0;
        await foreach (var r in rows.WithCancellation(ct))
        {
            csv.WriteField(r.ExternalId);
            csv.WriteField(r.Country);
            csv.WriteField(r.t.Segment ?? None);
            csv.WriteField(r.t.R);
            csv.WriteField(r.t.F);
            csv.WriteField(r.t.M);
            csv.WriteField(r.t.RecencyDays?.ToString("F2", CultureInfo.InvariantCulture));
            csv.WriteField(r.t.Frequency);
            csv.WriteField(r.t.Monetary.ToString("F2", CultureInfo.InvariantCulture));
            csv.WriteField(r.t.Lifecycle);
            csv.WriteField(r.t.TopicId is { } tid ? topics.GetValueOrDefault(tid) : null);
            csv.WriteField(r.t.Cluster);
            await csv.NextRecordAsync();
            n++;
        }
        return n;
    }
}
