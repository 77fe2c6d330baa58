using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Portal.Core.Data;
using Portal.Core.Data.Import;
using Portal.Core.Recommendation;
using Portal.Core.Tiers;
using Portal.Server.Hosting;

namespace Portal.Server.Cli;

/// <summary>Benchmarks of the portal's own services (import, preview, segmentation), registered in <see cref="BenchVerb.Benchmarks"/>.</summary>
public static class PortalBenchmarks
{
    /// <summary>A service provider like the web host's (database, import, training services) without a job server.</summary>
    /// <param name="dataDirectory">The data folder (SQLite files, model artifacts).</param>
    internal static ServiceProvider Services(string dataDirectory)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["DataDirectory"] = dataDirectory }).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddPortalServer(configuration, Directory.GetCurrentDirectory(), queues: null);
        return services.BuildServiceProvider();
    }

    /// <summary><c>import</c>: imports the bundled UCI file into a fresh SQLite database; prints wall time and events/s.</summary>
    public static async Task<int> ImportAsync(BenchVerb.Context c)
    {
        var file = Path.Combine(AppContext.BaseDirectory, "bundled", "online_retail.csv.gz");
        var dir = Path.Combine(Path.GetTempPath(), "portal-bench-import-" + Guid.NewGuid().ToString("n"));
        try
        {
            await using var sp = Services(dir);
            await using (var db = await sp.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync())
                await db.Database.MigrateAsync();
            using var scope = sp.CreateScope();
            var imports = scope.ServiceProvider.GetRequiredService<ImportService>();
            var clock = Stopwatch.StartNew();
            var run = await imports.ImportExistingFileAsync(file, ImportFormat.Auto, "bench");
            var seconds = clock.Elapsed.TotalSeconds;
            c.Stdout.WriteLine($"import {Path.GetFileName(file)}: {run.Status}, {run.RowsRead:N0} rows, {run.EventsAdded:N0} events, " +
                              $"{run.ProductsAdded:N0} products, {run.CustomersAdded:N0} customers, {run.RowsRejected:N0} rejected");
            c.Stdout.WriteLine($"import wall time: {seconds:F1} s; {run.EventsAdded / seconds:N0} events/s; {run.RowsRead / seconds:N0} rows/s");
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
        return 0;
    }

    /// <summary><c>preview</c>: preview latency (top-20) per active model over a spread sample of the data folder's customers: p50/p95/p99/max ms.</summary>
    public static async Task<int> PreviewAsync(BenchVerb.Context c)
    {
        await using var sp = Services(c.DataDirectory);
        var preview = sp.GetRequiredService<IRecommendationPreviewService>();
        var models = await preview.AvailableModelsAsync();
        if (models.Count == 0)
            throw new InvalidOperationException($"no active model in {c.DataDirectory}: start the portal once (first start trains them) or pass --data-dir.");
        List<int> customers;
        await using (var db = await sp.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync())
            customers = await db.Customers.OrderBy(x => x.Id).Select(x => x.Id).ToListAsync();
        // A fixed, evenly spread sample keeps runs comparable.
        var sample = customers.Where((_, i) => c.Sample >= customers.Count || i % Math.Max(1, customers.Count / c.Sample) == 0).Take(c.Sample).ToList();
        c.Stdout.WriteLine($"preview latency, top-20, {sample.Count:N0} of {customers.Count:N0} customers, data folder {c.DataDirectory}");
        c.Stdout.WriteLine($"{"model",-12} {"p50 ms",8} {"p95 ms",8} {"p99 ms",8} {"max ms",8} {"first ms",9}");
        foreach (var model in models)
        {
            var first = Stopwatch.StartNew();
            await preview.PreviewAsync(sample[0], model); // loads the artifact: reported apart
            var firstMs = first.Elapsed.TotalMilliseconds;
            var times = new List<double>(sample.Count);
            foreach (var id in sample)
            {
                var clock = Stopwatch.StartNew();
                await preview.PreviewAsync(id, model);
                times.Add(clock.Elapsed.TotalMilliseconds);
            }
            times.Sort();
            double P(double q) => times[Math.Min(times.Count - 1, (int)Math.Ceiling(q * times.Count) - 1)];
            c.Stdout.WriteLine($"{model,-12} {P(0.5),8:F1} {P(0.95),8:F1} {P(0.99),8:F1} {times[^1],8:F1} {firstMs,9:F0}");
        }
        return 0;
    }

    /// <summary>
    /// <c>segmentation</c>: the full tiers recomputation (<see cref="SegmentationService.RunAsync"/>: load, RFM,
    /// lifecycle, topics, interests, clusters, store) on the data folder's database when it has one (its active
    /// text2vec/GRU models are used), else on a fresh SQLite database with the bundled UCI file imported first. Runs it
    /// twice (the second run must change no assignment) and prints the wall time of each and of the computation alone.
    /// </summary>
    public static async Task<int> SegmentationAsync(BenchVerb.Context c)
    {
        var existing = File.Exists(Path.Combine(c.DataDirectory, "portal.db"));
        var dir = existing ? c.DataDirectory : Path.Combine(Path.GetTempPath(), "portal-bench-tiers-" + Guid.NewGuid().ToString("n"));
        try
        {
            await using var sp = Services(dir);
            var contexts = sp.GetRequiredService<IDbContextFactory<PortalDbContext>>();
            await using (var db = await contexts.CreateDbContextAsync())
                await db.Database.MigrateAsync();
            if (!existing)
            {
                var file = Path.Combine(AppContext.BaseDirectory, "bundled", "online_retail.csv.gz");
                c.Stderr.WriteLine($"importing {file} into a fresh database (pass --data-dir to use a portal's data folder)...");
                using var scope = sp.CreateScope();
                var run = await scope.ServiceProvider.GetRequiredService<ImportService>().ImportExistingFileAsync(file, ImportFormat.Auto, "bench");
                if (run.Status != ImportStatus.Succeeded) throw new InvalidOperationException($"import failed: {run.Message}");
            }
            var tiers = sp.GetRequiredService<SegmentationService>();
            var runs = new List<SegmentationRun>();
            for (var i = 0; i < 2; i++)
            {
                var clock = Stopwatch.StartNew();
                var run = await tiers.RunAsync("bench", c.Ct);
                var wall = clock.Elapsed.TotalSeconds;
                if (run.Status != SegmentationStatus.Succeeded) throw new InvalidOperationException($"tiers run failed: {run.Message}");
                runs.Add(run);
                c.Stdout.WriteLine($"segmentation run {i + 1}: wall {wall:F1} s (load + compute + store), compute {run.Seconds:F1} s; {run.Message}");
            }
            var moved = 0;
            foreach (var layer in Enum.GetValues<TierLayer>())
                moved += (await tiers.GetFlowsAsync(runs[0].Id, runs[1].Id, layer)).Where(f => f.From != f.To).Sum(f => f.Customers);
            c.Stdout.WriteLine($"segmentation re-run on unchanged data: {moved} changed assignments (segment, lifecycle, cluster)");
            var topics = await tiers.GetTopicsAsync(c.Ct);
            c.Stdout.WriteLine($"topics (products): {string.Join("; ", topics.Select(t => $"{t.DisplayName} ({t.Products})"))}");
            var clusters = await tiers.GetClustersAsync(runs[1].Id, c.Ct);
            c.Stdout.WriteLine($"clusters (customers): {string.Join("; ", clusters.Select(x => $"{x.Cluster}: {x.Customers}"))}");
        }
        finally
        {
            if (!existing) try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
        return 0;
    }
}
