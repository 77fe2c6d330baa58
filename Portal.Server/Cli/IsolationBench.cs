using System.Diagnostics;
using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Portal.Core.Access;
using Portal.Core.Behavior;
using Portal.Core.Catalog;
using Portal.Core.Data;
using Portal.Core.Data.Import;

namespace Portal.Server.Cli;

/// <summary>
/// <c>bench isolation</c>: the cost of the merchant query filters. On the bundled UCI data (imported into a fresh
/// SQLite database, or the portal's data folder with <c>--data-dir</c>) it runs the queries of the Customers,
/// Catalogue and customer detail pages (count plus the first page of 25, a customer's events) without a scope (staff,
/// jobs) and as the default merchant's account (which owns every product, so the filters keep every row: their whole
/// cost, nothing saved), <c>--sample</c> times each (default 20 here), and prints the median and p95 milliseconds.
/// </summary>
public static class IsolationBench
{
    /// <summary>Runs the benchmark.</summary>
    /// <param name="c">Options: data folder, sample.</param>
    /// <returns>0 on success.</returns>
    public static async Task<int> RunAsync(BenchVerb.Context c)
    {
        var existing = File.Exists(Path.Combine(c.DataDirectory, "portal.db"));
        // An explicit, empty --data-dir gets the import and keeps it (the next run reuses it).
        var keep = existing || c.DataDirectory != Path.GetFullPath("data");
        var dir = keep ? c.DataDirectory : Path.Combine(Path.GetTempPath(), "portal-bench-isolation-" + Guid.NewGuid().ToString("n"));
        var repeats = c.Sample == 1000 ? 20 : Math.Max(1, c.Sample);
        try
        {
            await using var sp = PortalBenchmarks.Services(dir);
            var contexts = sp.GetRequiredService<IDbContextFactory<PortalDbContext>>();
            await using (var db = await contexts.CreateDbContextAsync())
                await db.Database.MigrateAsync();
            if (!existing)
            {
                Directory.CreateDirectory(dir);
                var file = Path.Combine(AppContext.BaseDirectory, "bundled", "online_retail.csv.gz");
                c.Stderr.WriteLine($"importing {file} into a fresh database (pass --data-dir to use a portal's data folder)...");
                using var scope = sp.CreateScope();
                var run = await scope.ServiceProvider.GetRequiredService<ImportService>().ImportExistingFileAsync(file, ImportFormat.Auto, "bench");
                if (run.Status != ImportStatus.Succeeded) throw new InvalidOperationException($"import failed: {run.Message}");
            }
            int merchant;
            int customer;
            await using (var db = await contexts.CreateDbContextAsync())
            {
                merchant = await db.Merchants.Where(m => m.Code == Merchant.DefaultCode).Select(m => m.Id).SingleAsync(c.Ct);
                customer = await db.Events.GroupBy(e => e.CustomerId).OrderByDescending(g => g.Count()).Select(g => g.Key).FirstAsync(c.Ct);
            }
            var merchantActor = new Actor("bench", "bench-merchant", new HashSet<string> { PortalRoles.Merchant }, merchant);
            var queries = new (string Name, Func<PortalDbContext, Task<int>> Run)[]
            {
                ("customers-page", async db => await db.Customers.CountAsync(c.Ct) + (await db.Customers.AsNoTracking().OrderBy(x => x.ExternalId).Take(25).ToListAsync(c.Ct)).Count),
                ("products-page", async db => await db.Products.CountAsync(c.Ct) + (await db.Products.AsNoTracking().OrderBy(x => x.Name).Take(25).ToListAsync(c.Ct)).Count),
                ("customer-events", async db => (await db.Events.AsNoTracking().Where(e => e.CustomerId == customer).OrderByDescending(e => e.Timestamp).Take(25).ToListAsync(c.Ct)).Count
                    + await db.Events.CountAsync(e => e.CustomerId == customer && e.Type == EventType.Purchase, c.Ct)),
            };
            using (PortalScope.Enter(merchantActor))
            await using (var db = await contexts.CreateDbContextAsync(c.Ct))
                c.Stderr.WriteLine("customers count as a merchant:\n" + db.Customers.ToQueryString());
            foreach (var (name, run) in queries)
                foreach (var (scopeName, actor) in new[] { ("unrestricted", (Actor?)null), ("merchant", merchantActor) })
                {
                    var times = new List<double>();
                    var rows = 0;
                    for (var i = 0; i <= repeats; i++)
                    {
                        c.Ct.ThrowIfCancellationRequested();
                        PortalDbContext db;
                        using (PortalScope.Enter(actor)) db = await contexts.CreateDbContextAsync(c.Ct);
                        await using (db)
                        {
                            var clock = Stopwatch.StartNew();
                            rows = await run(db);
                            if (i > 0) times.Add(clock.Elapsed.TotalMilliseconds); // the first is the warm-up (query compilation)
                        }
                    }
                    times.Sort();
                    c.Stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"bench=isolation query={name} scope={scopeName} repeats={repeats} result={rows} p50_ms={times[times.Count / 2]:F1} p95_ms={times[Math.Min(times.Count - 1, (int)(0.95 * times.Count))]:F1}"));
                }
            return 0;
        }
        finally
        {
            if (!keep) try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }
}
