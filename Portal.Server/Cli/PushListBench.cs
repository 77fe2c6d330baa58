using System.Diagnostics;
using System.Globalization;
using Portal.Core.Data.Sources;
using Portal.Core.Evaluation;
using Portal.Core.PushLists;
using Portal.Core.Recommendation;

namespace Portal.Server.Cli;

/// <summary>
/// <c>bench push-lists</c>: fits the push pipeline (<c>blend</c>) on every event of the file (or loads a saved artifact
/// from <c>DIR/models/blend-bench-HASH.bin</c> (<c>--data-dir DIR</c>, default <c>data</c>; HASH identifies the events file
/// (path, size, time written) and the <c>--param</c> values, so other data or parameters never reuse it): reused when it
/// exists, written otherwise),
/// then builds the top-20 push list with reasons for every customer of the file: per-customer latency (one thread,
/// p50/p95/max in ms) and the wall time for all customers on all cores. Targets: p95 &lt; 50 ms, all customers &lt; 60 s.
/// </summary>
public static class PushListBench
{
    /// <summary>Runs the benchmark; prints one <c>bench=push-lists ...</c> line on standard output.</summary>
    /// <param name="c">The bench context (events file, parameters of the blend, data directory).</param>
    /// <returns>Exit code 0.</returns>
    public static int Run(BenchVerb.Context c)
    {
        var loaded = EventFiles.Load(c.Events, null);
        // Every customer of the file: for UCI also those with returns only (they get the popular/new channels).
        var customers = loaded.Events.Select(e => e.UserId).ToHashSet(StringComparer.Ordinal);
        var first = File.ReadLines(c.Events).FirstOrDefault() ?? "";
        if (c.Events.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) || first.StartsWith("InvoiceNo", StringComparison.OrdinalIgnoreCase))
        {
            try { foreach (var id in UciOnlineRetailDataset.Load(c.Events).Customers.Keys) customers.Add(id); }
            catch (SourceFormatException) { } // not a UCI file: the users of the events are the customers
        }
        var artifact = Path.Combine(c.DataDirectory, "models", $"blend-bench-{ArtifactKey(c)}.bin"); // data/models is git-ignored
        ServingModel serving;
        var clock = Stopwatch.StartNew();
        if (File.Exists(artifact))
        {
            using var s = File.OpenRead(artifact);
            serving = ServingModel.Load(s);
            c.Stderr.WriteLine($"bench: loaded {artifact} in {clock.Elapsed.TotalSeconds:F1} s");
        }
        else
        {
            var blend = new BlendRecommender(c.Parameters);
            if (loaded.ProductNames.Count > 0) blend.UseCatalogueText(loaded.ProductNames);
            if (loaded.ProductPrices.Count > 0) blend.UseItemPrices(loaded.ProductPrices);
            blend.FitProgress = new Progress(t => c.Stderr.WriteLine($"  {t}"));
            blend.Fit(InteractionSet.Create(loaded.Events, loaded.ProductNames.Keys), c.Ct);
            serving = new ServingModel(blend, "bench", DateTime.UtcNow);
            c.Stderr.WriteLine($"bench: fitted blend on {loaded.Events.Count} events in {clock.Elapsed.TotalSeconds:F1} s");
            Directory.CreateDirectory(Path.GetDirectoryName(artifact)!);
            using (var s = File.Create(artifact + ".tmp")) serving.Save(s);
            File.Move(artifact + ".tmp", artifact, overwrite: true);
            c.Stderr.WriteLine($"bench: saved {artifact} (delete it to refit)");
        }
        var ids = customers.OrderBy(x => x, StringComparer.Ordinal).ToList();
        var sample = ids.Take(Math.Min(ids.Count, c.Sample)).ToList();
        foreach (var u in sample.Take(20)) serving.Recommend(u, 20); // warm-up (JIT, ML.NET engines)

        // Latency: one customer after the other on one thread.
        var ms = new double[sample.Count];
        for (var x = 0; x < sample.Count; x++)
        {
            c.Ct.ThrowIfCancellationRequested();
            var t = Stopwatch.GetTimestamp();
            serving.Recommend(sample[x], 20);
            ms[x] = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
        }
        Array.Sort(ms);
        double Pct(double q) => ms[Math.Min(ms.Length - 1, (int)Math.Ceiling(q * ms.Length) - 1)];

        // Throughput: every customer, all cores.
        var all = Stopwatch.StartNew();
        var items = 0L;
        var blendModel = (BlendRecommender)serving.Recommender;
        var ild = new double[ids.Count];
        Parallel.For(0, ids.Count, new ParallelOptions { CancellationToken = c.Ct }, x =>
        {
            Interlocked.Add(ref items, serving.Recommend(ids[x], 20).Count);
            ild[x] = blendModel.PushList(serving.Data.UserIndex(ids[x])).IntraListDiversity; // the list just built (cached per thread)
        });
        all.Stop();
        var ildMean = ild.Where(v => !double.IsNaN(v)).DefaultIfEmpty(double.NaN).Average();
        var inv = CultureInfo.InvariantCulture;
        c.Stdout.WriteLine(string.Create(inv,
            $"bench=push-lists customers={ids.Count} latency_sample={sample.Count} p50_ms={Pct(0.5):F1} p95_ms={Pct(0.95):F1} p99_ms={Pct(0.99):F1} max_ms={ms[^1]:F1} " +
            $"all_customers_s={all.Elapsed.TotalSeconds:F1} items={items} ild20_mean={ildMean:F4} mmr_lambda={blendModel.Lambda:0.##} threads={Environment.ProcessorCount}"));
        return 0;
    }

    private sealed class Progress(Action<string> write) : IProgress<FitProgress>
    {
        public void Report(FitProgress value) => write(value.Text);
    }

    /// <summary>First 12 hex digits of a SHA-256 over the events file's identity and the blend's parameters.</summary>
    private static string ArtifactKey(BenchVerb.Context c)
    {
        var file = new FileInfo(c.Events);
        var identity = string.Join('\u001f', [file.FullName, file.Length.ToString(CultureInfo.InvariantCulture),
            file.LastWriteTimeUtc.Ticks.ToString(CultureInfo.InvariantCulture),
            .. c.Parameters.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={kv.Value.ToString("R", CultureInfo.InvariantCulture)}")]);
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(identity)))[..12];
    }
}
