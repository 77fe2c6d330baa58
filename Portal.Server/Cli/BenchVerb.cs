using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Portal.Core.Data;
using Portal.Core.Data.Import;
using Portal.Core.Recommendation;
using Portal.Server.Hosting;

namespace Portal.Server.Cli;

/// <summary>
/// The <c>bench</c> verb: named benchmarks that print their measurements (speed is measured here, not in timed
/// tests). Usage: <c>bench NAME [--data-dir DIR] [--sample N]</c>; <c>bench list</c> names them.
/// Exit codes: 0 success, 2 bad arguments, 1 other errors.
/// </summary>
public static class BenchVerb
{
    /// <summary>The benchmarks by name: each gets the parsed options and writes its report to standard output.</summary>
    public static Dictionary<string, (string Description, Func<BenchOptions, Task> Run)> Benchmarks { get; } = new(StringComparer.Ordinal)
    {
        ["import"] = ("imports the bundled UCI file into a fresh SQLite database (events/s, wall time)", ImportAsync),
        ["preview"] = ("recommendation preview latency per active model over customers of the data folder's database (p50/p95/p99/max ms)", PreviewAsync),
    };

    /// <summary>Runs the verb with the arguments after <c>bench</c>; returns the exit code.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length == 0 || args[0] is "list" or "-h" or "--help")
        {
            Console.Error.WriteLine("usage: bench NAME [--data-dir DIR] [--sample N]");
            foreach (var (name, b) in Benchmarks) Console.Error.WriteLine($"  {name,-10} {b.Description}");
            return args.Length == 0 ? 2 : 0;
        }
        if (!Benchmarks.TryGetValue(args[0], out var bench))
        {
            Console.Error.WriteLine($"bench: unknown benchmark '{args[0]}' (known: {string.Join(", ", Benchmarks.Keys)})");
            return 2;
        }
        var options = new BenchOptions();
        for (var a = 1; a < args.Length; a++)
        {
            switch (args[a])
            {
                case "--data-dir" when a + 1 < args.Length: options.DataDirectory = Path.GetFullPath(args[++a]); break;
                case "--sample" when a + 1 < args.Length && int.TryParse(args[a + 1], out var n) && n > 0: options.Sample = n; a++; break;
                default:
                    Console.Error.WriteLine($"bench: bad argument '{args[a]}' (expected --data-dir DIR or --sample N)");
                    return 2;
            }
        }
        try
        {
            await bench.Run(options);
            return 0;
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"bench {args[0]}: error: {e.Message}");
            return 1;
        }
    }

    /// <summary>A service provider like the web host's (database, import, training services) without a job server.</summary>
    private static ServiceProvider Services(string dataDirectory)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["DataDirectory"] = dataDirectory }).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddPortalServer(configuration, Directory.GetCurrentDirectory(), queues: null);
        return services.BuildServiceProvider();
    }

    private static async Task ImportAsync(BenchOptions o)
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
            Console.WriteLine($"import {Path.GetFileName(file)}: {run.Status}, {run.RowsRead:N0} rows, {run.EventsAdded:N0} events, " +
                              $"{run.ProductsAdded:N0} products, {run.CustomersAdded:N0} customers, {run.RowsRejected:N0} rejected");
            Console.WriteLine($"import wall time: {seconds:F1} s; {run.EventsAdded / seconds:N0} events/s; {run.RowsRead / seconds:N0} rows/s");
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    private static async Task PreviewAsync(BenchOptions o)
    {
        await using var sp = Services(o.DataDirectory);
        var preview = sp.GetRequiredService<IRecommendationPreviewService>();
        var models = await preview.AvailableModelsAsync();
        if (models.Count == 0)
            throw new InvalidOperationException($"no active model in {o.DataDirectory}: start the portal once (first start trains them) or pass --data-dir.");
        List<int> customers;
        await using (var db = await sp.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync())
            customers = await db.Customers.OrderBy(c => c.Id).Select(c => c.Id).ToListAsync();
        // A fixed, evenly spread sample keeps runs comparable.
        var sample = customers.Where((_, i) => o.Sample >= customers.Count || i % Math.Max(1, customers.Count / o.Sample) == 0).Take(o.Sample).ToList();
        Console.WriteLine($"preview latency, top-20, {sample.Count:N0} of {customers.Count:N0} customers, data folder {o.DataDirectory}");
        Console.WriteLine($"{"model",-12} {"p50 ms",8} {"p95 ms",8} {"p99 ms",8} {"max ms",8} {"first ms",9}");
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
            Console.WriteLine($"{model,-12} {P(0.5),8:F1} {P(0.95),8:F1} {P(0.99),8:F1} {times[^1],8:F1} {firstMs,9:F0}");
        }
    }
}

/// <summary>Options of the <c>bench</c> verb.</summary>
public sealed class BenchOptions
{
    /// <summary>The portal's data folder (default: <c>data</c> under the current directory, as <c>dotnet run</c> uses).</summary>
    public string DataDirectory { get; set; } = Path.GetFullPath("data");
    /// <summary>How many customers or items a benchmark samples.</summary>
    public int Sample { get; set; } = 1000;
}
