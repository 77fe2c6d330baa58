using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Portal.Core.Campaigns;
using Portal.Core.Catalog;
using Portal.Core.Customers;
using Portal.Core.Data;
using Portal.Core.Delivery;
using Portal.Core.PushBatches;
using Portal.Server.Hosting;

namespace Portal.Server.Cli;

/// <summary>
/// <c>bench delivery</c>: outbox delivery speed in a fresh SQLite database of <c>--sample</c> pushes (default 1,000;
/// three items each) through (1) the JSON-lines file sink and (2) the webhook channel to a local Kestrel receiver that
/// answers 200, both unthrottled, then (3) the webhook throttled at <c>--param rate=R</c> pushes/s (default 50) for 5R
/// pushes, to show the throttle holds. Each push costs a claim UPDATE, the send and a Delivered UPDATE; prints one
/// <c>key=value</c> line per run (pushes/s, wall seconds).
/// </summary>
public static class DeliveryBench
{
    /// <summary>Runs the benchmark; returns the exit code.</summary>
    /// <param name="c">Options.</param>
    public static async Task<int> RunAsync(BenchVerb.Context c)
    {
        var root = Path.Combine(Path.GetTempPath(), "portal-bench-delivery-" + Guid.NewGuid().ToString("n"));
        var receiver = await StartReceiverAsync();
        try
        {
            var pushes = Math.Max(1, c.Sample);
            var rate = c.Parameters.TryGetValue("rate", out var r) && r > 0 ? r : 50;
            await RunOnceAsync(c, Path.Combine(root, "file"), "file", null, pushes, 1_000_000);
            await RunOnceAsync(c, Path.Combine(root, "webhook"), "webhook", receiver.Url, pushes, 1_000_000);
            await RunOnceAsync(c, Path.Combine(root, "throttled"), "webhook-throttled", receiver.Url, (int)Math.Ceiling(5 * rate), rate);
            c.Stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"bench=delivery receiver_requests={receiver.Count()}"));
            return 0;
        }
        finally
        {
            await receiver.App.StopAsync();
            await receiver.App.DisposeAsync();
            try { Directory.Delete(root, recursive: true); } catch (IOException) { }
        }
    }

    private static async Task RunOnceAsync(BenchVerb.Context c, string dir, string label, string? webhook, int pushes, double rate)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["DataDirectory"] = dir,
            ["Delivery:PushesPerSecond"] = rate.ToString(CultureInfo.InvariantCulture),
        }).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddPortalServer(configuration, Directory.GetCurrentDirectory(), queues: null);
        await using var sp = services.BuildServiceProvider();
        var factory = sp.GetRequiredService<IDbContextFactory<PortalDbContext>>();
        int batchId;
        await using (var db = await factory.CreateDbContextAsync(c.Ct))
        {
            await db.Database.MigrateAsync(c.Ct);
            batchId = await SeedAsync(db, webhook, pushes, c.Ct);
        }
        c.Stderr.WriteLine($"delivery bench: {label}, {pushes:N0} pushes, rate {rate:N0}/s");
        var clock = Stopwatch.StartNew();
        var result = await sp.GetRequiredService<PushDeliveryService>().DeliverBatchAsync(batchId, c.Ct);
        var seconds = clock.Elapsed.TotalSeconds;
        c.Stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"bench=delivery channel={label} pushes={pushes} delivered={result.Delivered} status={result.Status} rate_limit={rate:F0} wall_s={seconds:F2} pushes_per_s={result.Delivered / seconds:F1}"));
    }

    private static async Task<int> SeedAsync(PortalDbContext db, string? webhook, int pushes, CancellationToken ct)
    {
        var merchant = new Merchant { Code = Merchant.DefaultCode, Name = "bench", WebhookUrl = webhook, WebhookSecret = webhook is null ? null : "bench-secret-0123456789" };
        db.Merchants.Add(merchant);
        await db.SaveChangesAsync(ct);
        var products = Enumerable.Range(0, 50).Select(i => new Product { MerchantId = merchant.Id, ExternalId = $"P{i}", Name = $"Product {i}", Price = 1 + i }).ToList();
        var customers = Enumerable.Range(0, pushes).Select(i => new Customer { ExternalId = $"C{i}", Country = "United Kingdom" }).ToList();
        db.Products.AddRange(products);
        db.Customers.AddRange(customers);
        var campaign = new Campaign { MerchantId = merchant.Id, Name = "bench", CreatedByUserId = "bench", CreatedAt = DateTime.UtcNow, UpdatedAt = DateTime.UtcNow };
        db.Campaigns.Add(campaign);
        await db.SaveChangesAsync(ct);
        var batch = new PushBatch { MerchantId = merchant.Id, CampaignId = campaign.Id, Status = PushBatchStatus.Approved, CreatedByUserId = "bench", CreatedAt = DateTime.UtcNow, ScheduledFor = DateTime.UtcNow };
        db.PushBatches.Add(batch);
        await db.SaveChangesAsync(ct);
        db.PushMessages.AddRange(customers.Select((cu, i) => new PushMessage
        {
            MerchantId = merchant.Id, BatchId = batch.Id, CustomerId = cu.Id, ItemCount = 3, NotBefore = DateTime.UtcNow.AddMinutes(-1),
            IdempotencyKey = $"batch-{batch.Id}-customer-{cu.Id}",
            ItemsJson = JsonSerializer.Serialize(Enumerable.Range(0, 3).Select(k => products[(i + k) % products.Count])
                .Select(p => new { productId = p.Id, externalId = p.ExternalId, name = p.Name, score = 0.5, reason = "bench" })),
        }));
        await db.SaveChangesAsync(ct);
        return batch.Id;
    }

    private sealed record Receiver(WebApplication App, string Url, Func<int> Count);

    private static async Task<Receiver> StartReceiverAsync()
    {
        var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        l.Start();
        var port = ((System.Net.IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var app = builder.Build();
        var count = 0;
        app.MapPost("/hook", async (HttpContext http) =>
        {
            using var ms = new MemoryStream();
            await http.Request.Body.CopyToAsync(ms);
            Interlocked.Increment(ref count);
            return Results.Ok();
        });
        await app.StartAsync();
        return new Receiver(app, $"http://127.0.0.1:{port}/hook", () => Volatile.Read(ref count));
    }
}
