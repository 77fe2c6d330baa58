using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Portal.Core;
using Portal.Core.Data;
using Portal.Core.Data.Import;
using Portal.Core.Recommendation;
using Portal.Core.Recommendation.Gru;
using Portal.Core.Training;

namespace Portal.Server.Cli.Scale;

/// <summary>
/// <c>bench scale --events FILE</c> (a file from <see cref="GenerateSyntheticVerb"/>, or any events file): the portal's
/// production path on a large log, one phase after the other in a fresh SQLite data folder under the temp folder
/// (deleted at the end unless <c>--param keep=1</c>; <c>--param reuse=1 --data-dir DIR</c> instead reuses the kept folder
/// DIR of an earlier run, which must be one this benchmark made (its name starts with <c>portal-bench-scale-</c>), skips
/// the import, ignores <c>--events</c> and never deletes the folder), printing one <c>bench=scale phase=...</c> line per phase with the
/// process's peak working set so far (<see cref="Process.PeakWorkingSet64"/>, MiB):
/// <list type="number">
/// <item><c>import</c>: the real import (<see cref="ImportService"/>) into SQLite: rows, events, events/s;</item>
/// <item><c>load</c>: the stored interactions read back as the trainers see them (<see cref="StoreInteractions"/>);</item>
/// <item><c>itemknn</c>: ItemKNN fitted on all of them with its default parameters (the serving fit of a training run), saved and activated;</item>
/// <item><c>preview</c>: preview latency (top-20 with reasons, <see cref="IRecommendationPreviewService"/>) over <c>--sample</c> customers: p50/p95/p99/max ms;</item>
/// <item><c>push</c>: push-list throughput, customers/s, over <c>--param push_customers=N</c> (default 10,000) customers, one list per customer, as many in parallel as there are cores;</item>
/// <item><c>gru</c>: one GRU4Rec epoch (224 units, batch 80, 2,048 negatives) on whole customers drawn at random up to <c>--param gru_events=N</c> interactions (default 2,000,000; 0 skips): wall seconds of the epoch, training pairs/s as the trainer reports them, and the whole fit (epoch plus the final-state pass over every customer).</item>
/// </list>
/// </summary>
public static class ScaleBenchmark
{
    /// <summary>Runs the benchmark; returns the exit code.</summary>
    /// <param name="c">The bench context (events file, sample, parameters).</param>
    public static async Task<int> RunAsync(BenchVerb.Context c)
    {
        var p = c.Parameters;
        var pushCustomers = (int)p.GetValueOrDefault("push_customers", 10_000);
        var gruEvents = (long)p.GetValueOrDefault("gru_events", 2_000_000);
        var reuse = p.GetValueOrDefault("reuse", 0) != 0;
        var keep = reuse || p.GetValueOrDefault("keep", 0) != 0;
        const string prefix = "portal-bench-scale-";
        var dir = reuse ? c.DataDirectory : Path.Combine(Path.GetTempPath(), prefix + Guid.NewGuid().ToString("n"));
        // Never the portal's own data folder (the --data-dir default): reuse only a folder this benchmark made.
        if (reuse && (!Path.GetFileName(Path.TrimEndingDirectorySeparator(dir)).StartsWith(prefix, StringComparison.Ordinal) || !File.Exists(Path.Combine(dir, "portal.db"))))
            throw new ArgumentException($"--param reuse=1: {dir} is not a folder kept by an earlier 'bench scale --param keep=1' run (its name starts with {prefix} and it holds portal.db); pass the folder that run printed as --data-dir");
        c.Stderr.WriteLine($"bench: scale on {c.Events}, data folder {dir}{(reuse ? " (reused: no import)" : "")}, {Environment.ProcessorCount} cores");
        try
        {
            await using var sp = PortalBenchmarks.Services(dir);
            await using (var db = await sp.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(c.Ct))
                await db.Database.MigrateAsync(c.Ct);
            var factory = sp.GetRequiredService<IDbContextFactory<PortalDbContext>>();

            // 1. Import (skipped when an earlier run's folder is reused).
            var clock = Stopwatch.StartNew();
            double seconds;
            if (!reuse)
            {
                ImportRun run;
                using (var scope = sp.CreateScope())
                    run = await scope.ServiceProvider.GetRequiredService<ImportService>().ImportExistingFileAsync(c.Events, ImportFormat.Auto, "bench", c.Ct);
                seconds = clock.Elapsed.TotalSeconds;
                if (run.Status != ImportStatus.Succeeded)
                    throw new InvalidOperationException($"the import ended {run.Status}: {run.Message}");
                Line(c, "import", $"rows={run.RowsRead} events={run.EventsAdded} customers={run.CustomersAdded} products={run.ProductsAdded} " +
                                  $"rejected={run.RowsRejected} seconds={seconds:F1} events_per_s={run.EventsAdded / seconds:F0}");
            }

            // 2. Load what the trainers read.
            clock.Restart();
            List<Interaction> events;
            await using (var db = await factory.CreateDbContextAsync(c.Ct))
                events = await StoreInteractions.LoadAsync(db, c.Ct);
            var data = InteractionSet.Create(events);
            Line(c, "load", $"interactions={events.Count} users={data.UserCount} items={data.ItemCount} seconds={clock.Elapsed.TotalSeconds:F1}");

            // 3. ItemKNN serving fit, saved and activated like a training run's.
            clock.Restart();
            var itemKnn = Recommenders.Create("itemknn");
            itemKnn.Fit(data, c.Ct);
            var fit = clock.Elapsed.TotalSeconds;
            // Unique even when a reused folder is benchmarked again within the same second ((Model, Version) is unique).
            var version = "scale-" + DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", System.Globalization.CultureInfo.InvariantCulture) + "-" + Guid.NewGuid().ToString("n")[..6];
            var relative = Path.Combine("itemknn", version + ".bin");
            var paths = sp.GetRequiredService<PortalPaths>();
            var file = Path.Combine(paths.Models, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            await using (var s = File.Create(file)) new ServingModel(itemKnn, version, DateTime.UtcNow).Save(s);
            await using (var db = await factory.CreateDbContextAsync(c.Ct))
            {
                // A reused folder holds the earlier run's active version: retire it (one active version per model), in
                // the same transaction as the new one, so a cancel in between leaves the old one active.
                await using var tx = await db.Database.BeginTransactionAsync(c.Ct);
                await db.TrainingRuns.Where(r => r.Model == "itemknn" && r.ModelStatus == ModelStatus.Active && r.TriggeredBy == "bench scale")
                    .ExecuteUpdateAsync(u => u.SetProperty(r => r.ModelStatus, ModelStatus.Retired), c.Ct);
                db.TrainingRuns.Add(new TrainingRun
                {
                    Model = "itemknn", Version = version, Status = TrainingStatus.Succeeded, ModelStatus = ModelStatus.Active,
                    ArtifactPath = relative, TriggeredBy = "bench scale", StartedAt = DateTime.UtcNow, FinishedAt = DateTime.UtcNow,
                    ServeFitSeconds = fit, Message = "scale benchmark (serving fit only, not evaluated)",
                });
                await db.SaveChangesAsync(c.Ct);
                await tx.CommitAsync(c.Ct);
            }
            Line(c, "itemknn", $"fit_seconds={fit:F1} artifact_mb={new FileInfo(file).Length / 1048576.0:F1} " +
                               string.Join(' ', itemKnn.Parameters.Select(kv => $"{kv.Key}={kv.Value}")));

            // 4. Preview latency over an evenly spread sample of customers.
            var preview = sp.GetRequiredService<IRecommendationPreviewService>();
            List<int> customers;
            await using (var db = await factory.CreateDbContextAsync(c.Ct))
                customers = await db.Customers.OrderBy(x => x.Id).Select(x => x.Id).ToListAsync(c.Ct);
            clock.Restart();
            await preview.PreviewAsync(customers[0], "itemknn", 20, c.Ct); // loads the artifact
            var firstMs = clock.Elapsed.TotalMilliseconds;
            var sample = Spread(customers, c.Sample);
            var times = new List<double>(sample.Count);
            foreach (var id in sample)
            {
                clock.Restart();
                await preview.PreviewAsync(id, "itemknn", 20, c.Ct);
                times.Add(clock.Elapsed.TotalMilliseconds);
            }
            times.Sort();
            double Q(double q) => times[Math.Min(times.Count - 1, (int)Math.Ceiling(q * times.Count) - 1)];
            Line(c, "preview", $"customers={sample.Count} p50_ms={Q(0.5):F1} p95_ms={Q(0.95):F1} p99_ms={Q(0.99):F1} max_ms={times[^1]:F1} first_ms={firstMs:F0}");

            // 5. Push-list throughput: one top-20 list with reasons per customer, in parallel.
            var push = Spread(customers, pushCustomers);
            clock.Restart();
            await Parallel.ForEachAsync(push, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount, CancellationToken = c.Ct },
                async (id, ct) => await preview.PreviewAsync(id, "itemknn", 20, ct));
            seconds = clock.Elapsed.TotalSeconds;
            Line(c, "push", $"customers={push.Count} seconds={seconds:F1} customers_per_s={push.Count / seconds:F0} parallel={Environment.ProcessorCount}");

            // 6. One GRU4Rec epoch on a sample of whole customers.
            if (gruEvents > 0)
            {
                var gruData = SampleUsers(events, gruEvents, seed: 7);
                var gru = new GruRecommender(new Dictionary<string, double>
                {
                    ["epochs"] = 1, ["ensemble"] = 1, ["hidden"] = 224, ["batch"] = 80, ["n_sample"] = 2048, ["gap_days"] = p.GetValueOrDefault("gap_days", 0),
                });
                double epochEventsPerS = 0, epochSeconds = 0;
                gru.TrainingProgress = g =>
                {
                    if (g.EpochDone) (epochEventsPerS, epochSeconds) = (g.EventsPerSecond, clock.Elapsed.TotalSeconds);
                    else c.Stderr.WriteLine($"  gru epoch {g.Epoch}: {g.EpochFraction:P0}, {g.EventsPerSecond:F0} events/s");
                };
                clock.Restart();
                gru.Fit(gruData, c.Ct);
                Line(c, "gru", $"interactions={gruData.EventCount} users={gruData.UserCount} items={gruData.ItemCount} " +
                               $"epoch_seconds={epochSeconds:F1} pairs_per_s={epochEventsPerS:F0} " +
                               $"fit_seconds={clock.Elapsed.TotalSeconds:F1} threads={TorchSharp.torch.get_num_threads()}");
            }
            return 0;
        }
        finally
        {
            if (keep) c.Stderr.WriteLine($"bench: data folder kept: {dir}");
            else try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>Prints one result line with the peak working set so far.</summary>
    private static void Line(BenchVerb.Context c, string phase, string values)
    {
        using var self = Process.GetCurrentProcess();
        c.Stdout.WriteLine($"bench=scale phase={phase} {values} peak_working_set_mb={self.PeakWorkingSet64 / 1048576.0:F0}");
        c.Stdout.Flush();
    }

    /// <summary>At most <paramref name="n"/> ids spread evenly over the list (fixed: runs are comparable).</summary>
    private static List<int> Spread(List<int> ids, int n) =>
        n >= ids.Count ? ids : ids.Where((_, i) => i % (ids.Count / n) == 0).Take(n).ToList();

    /// <summary>Whole users in a seeded random order until <paramref name="maxEvents"/> interactions are taken; time order kept.</summary>
    private static InteractionSet SampleUsers(List<Interaction> events, long maxEvents, int seed)
    {
        if (events.Count <= maxEvents) return InteractionSet.Create(events);
        var perUser = events.GroupBy(e => e.UserId).Select(g => (g.Key, Count: g.Count())).ToArray();
        new Random(seed).Shuffle(perUser);
        var chosen = new HashSet<string>(StringComparer.Ordinal);
        long taken = 0;
        foreach (var (user, count) in perUser)
        {
            if (taken + count > maxEvents) continue;
            chosen.Add(user);
            taken += count;
            if (taken >= maxEvents * 0.999) break;
        }
        return InteractionSet.Create(events.Where(e => chosen.Contains(e.UserId)));
    }
}
