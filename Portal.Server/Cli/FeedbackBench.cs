using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Portal.Core.Behavior;
using Portal.Core.Dashboards;
using Portal.Core.Data;
using Portal.Core.Data.Import;
using Portal.Core.Feedback;

namespace Portal.Server.Cli;

/// <summary>
/// <c>bench feedback</c>: the feedback API's validation and storage (<see cref="FeedbackIngestService"/>, the code behind
/// <c>POST /api/feedback</c> without HTTP) and the online CTR queries, in a fresh SQLite database holding the bundled UCI
/// file. The posted events are built from the file's real (customer, product, time) purchase rows, as an impression each
/// and a click for every 20th: they are for speed only, not CTR figures.
/// Prints per-batch latency (950 rows, about 1,000 events, a batch), events/s, a retried batch (all duplicates) and the query times.
/// <c>--sample N</c>: N × 100 events (default 1,000 → 100,000 events in 100 batches).
/// </summary>
public static class FeedbackBench
{
    /// <summary>Purchase rows per request: 950 impressions and their 48 clicks stay under the 1,000-event limit.</summary>
    private const int RowsPerBatch = 950;

    /// <summary>Runs the benchmark; returns the exit code.</summary>
    /// <param name="c">The bench context.</param>
    public static async Task<int> RunAsync(BenchVerb.Context c)
    {
        var dir = Path.Combine(Path.GetTempPath(), "portal-bench-feedback-" + Guid.NewGuid().ToString("n"));
        try
        {
            await using var sp = PortalBenchmarks.Services(dir);
            var contexts = sp.GetRequiredService<IDbContextFactory<PortalDbContext>>();
            await using (var db = await contexts.CreateDbContextAsync()) await db.Database.MigrateAsync();
            var file = Path.Combine(AppContext.BaseDirectory, "bundled", "online_retail.csv.gz");
            c.Stderr.WriteLine($"importing {file} into a fresh database...");
            using (var scope = sp.CreateScope())
            {
                var run = await scope.ServiceProvider.GetRequiredService<ImportService>().ImportExistingFileAsync(file, ImportFormat.Auto, "bench");
                if (run.Status != ImportStatus.Succeeded) throw new InvalidOperationException($"import failed: {run.Message}");
            }
            var total = c.Sample * 100;
            List<(string Customer, string Product, DateTime At, int Merchant)> rows;
            await using (var db = await contexts.CreateDbContextAsync())
                rows = (await db.Events.AsNoTracking().Where(e => e.Type == EventType.Purchase).OrderBy(e => e.Id).Take(total)
                        .Select(e => new { C = e.Customer!.ExternalId, P = e.Product!.ExternalId, e.Timestamp, e.Product.MerchantId }).ToListAsync(c.Ct))
                    .Select(r => (r.C, r.P, DateTime.SpecifyKind(r.Timestamp, DateTimeKind.Utc), r.MerchantId)).ToList();
            var merchant = rows[0].Merchant;
            var bodies = rows.Select((r, i) => (Row: r, Index: i)).Chunk(RowsPerBatch).Select(chunk => JsonSerializer.SerializeToElement(new
            {
                events = chunk.SelectMany(x => x.Index % 20 == 0
                    ? new object[]
                    {
                        new { kind = "impression", eventId = $"b{x.Index}", customerId = x.Row.Customer, productId = x.Row.Product, timestamp = x.Row.At.ToString("O", CultureInfo.InvariantCulture), position = 1 + x.Index % 10 },
                        new { kind = "click", eventId = $"b{x.Index}", impressionId = $"b{x.Index}", customerId = x.Row.Customer, productId = x.Row.Product, timestamp = x.Row.At.ToString("O", CultureInfo.InvariantCulture), position = 1 + x.Index % 10 },
                    }
                    : [new { kind = "impression", eventId = $"b{x.Index}", customerId = x.Row.Customer, productId = x.Row.Product, timestamp = x.Row.At.ToString("O", CultureInfo.InvariantCulture), position = 1 + x.Index % 10 }])
                    .ToList(),
            })).ToList();
            var ingest = sp.GetRequiredService<FeedbackIngestService>();
            var latencies = new List<double>();
            long stored = 0, events = 0;
            var all = Stopwatch.StartNew();
            foreach (var body in bodies)
            {
                c.Ct.ThrowIfCancellationRequested();
                var clock = Stopwatch.StartNew();
                var (result, errors) = await ingest.IngestAsync(merchant, body, DateTime.UtcNow, c.Ct);
                latencies.Add(clock.Elapsed.TotalMilliseconds);
                if (errors is not null) throw new InvalidOperationException("bench batch refused: " + errors.First);
                stored += result!.Stored;
                events += result.Received;
            }
            var seconds = all.Elapsed.TotalSeconds;
            latencies.Sort();
            double Pct(double q) => latencies[Math.Min(latencies.Count - 1, (int)(q * latencies.Count))];
            c.Stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"bench=feedback batches={latencies.Count} events={events} stored={stored} events_per_s={events / seconds:F0} batch_p50_ms={Pct(0.5):F1} batch_p95_ms={Pct(0.95):F1} batch_max_ms={latencies[^1]:F1}"));
            var retry = Stopwatch.StartNew();
            var (again, _) = await ingest.IngestAsync(merchant, bodies[0], DateTime.UtcNow, c.Ct);
            c.Stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"bench=feedback-retry events={again!.Received} stored={again.Stored} duplicates={again.Duplicates} ms={retry.Elapsed.TotalMilliseconds:F1}"));
            await using (var db = await contexts.CreateDbContextAsync())
            {
                foreach (var (name, query) in new (string, Func<Task<int>>)[]
                {
                    ("daily", async () => (await OnlineCtrQueries.DailyAsync(db, ct: c.Ct)).Count),
                    ("campaign", async () => (await OnlineCtrQueries.ByCampaignAsync(db, ct: c.Ct)).Count),
                    ("batch", async () => (await OnlineCtrQueries.ByBatchAsync(db, ct: c.Ct)).Count),
                    ("tier", async () => (await OnlineCtrQueries.ByTierAsync(db, ct: c.Ct)).Count),
                })
                {
                    await query(); // warm-up
                    var clock = Stopwatch.StartNew();
                    var count = await query();
                    c.Stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"bench=online-ctr query={name} feedback_rows={stored} result_rows={count} ms={clock.Elapsed.TotalMilliseconds:F1}"));
                }
            }
            return 0;
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }
}
