using System.Diagnostics;
using System.Text.Json;
using Hangfire;
using Hangfire.InMemory;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core;
using Portal.Core.Access;
using Portal.Core.Data;
using Portal.Core.Delivery;
using Portal.Core.PushBatches;
using Portal.Core.PushLists;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Batches;

/// <summary>
/// Delivery on a real SQLite database through the portal's own service registration (<c>AddPortalCore</c>) to a real
/// local webhook receiver (Kestrel): signature, retries, throttle, the file sink, concurrent workers, pause, the
/// Hangfire job started by an approval, and the "recently pushed" rule fed by what was delivered.
/// </summary>
public sealed class DeliveryTests : IAsyncLifetime
{
    private readonly SqliteTestDatabase _db = new();
    private WebhookReceiver _receiver = null!;
    private ServiceProvider? _services;

    private static readonly Actor Ops = new("ops-2", "ops2@portal.local", new HashSet<string> { PortalRoles.Operations }, null);

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        _receiver = await WebhookReceiver.StartAsync();
    }

    private ServiceProvider Services(DeliveryOptions? options = null, IBackgroundJobClient? jobs = null)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        if (jobs is not null) services.AddSingleton(jobs);
        services.AddPortalCore(new DatabaseOptions { ConnectionString = _db.ConnectionString }, _db.Directory,
            delivery: options ?? new DeliveryOptions { PushesPerSecond = 1000, WebhookRetryDelayMs = 50 });
        _services = services.BuildServiceProvider();
        return _services;
    }

    private async Task UseWebhookAsync(string? url = null, string? secret = null)
    {
        await using var db = _db.CreateContext();
        var m = await BatchSeed.DefaultMerchantAsync(db);
        m.WebhookUrl = url ?? _receiver.Url;
        m.WebhookSecret = secret ?? _receiver.Secret;
        await db.SaveChangesAsync();
    }

    [Fact]
    public async Task An_approved_batch_reaches_the_webhook_signed_once_per_push_and_ends_Sent()
    {
        await UseWebhookAsync();
        var id = await BatchSeed.CreateBatchAsync(_db.Factory, PushBatchStatus.Approved, pushes: 6);
        var result = await Services().GetRequiredService<PushDeliveryService>().DeliverBatchAsync(id);

        Assert.Equal(("sent", 6, 0, PushBatchStatus.Sent), (result.StopReason, result.Delivered, result.Pending, result.Status));
        var requests = _receiver.Requests.ToList();
        Assert.Equal(6, requests.Count);
        Assert.All(requests, r => Assert.True(r.SignatureValid, "signature must verify with the merchant's secret"));
        Assert.All(requests, r => Assert.True(long.Parse(r.Timestamp!) >= DateTimeOffset.UtcNow.AddMinutes(-5).ToUnixTimeSeconds()));
        await using var db = _db.CreateContext();
        var rows = await db.PushMessages.Where(m => m.BatchId == id).OrderBy(m => m.Id).ToListAsync();
        Assert.Equal(rows.Select(m => m.IdempotencyKey), requests.Select(r => r.Key)); // in outbox order
        Assert.All(rows, m => Assert.Equal((PushDeliveryStatus.Delivered, 1, (string?)null), (m.Status, m.Attempts, m.ClaimedBy)));
        var first = WebhookReceiver.Json(requests[0]);
        var customer = await db.Customers.SingleAsync(c => c.Id == rows[0].CustomerId);
        Assert.Equal(rows[0].IdempotencyKey, first.GetProperty("idempotencyKey").GetString());
        Assert.Equal("default", first.GetProperty("merchant").GetString());
        Assert.Equal(id, first.GetProperty("batch").GetInt32());
        Assert.Equal(customer.ExternalId, first.GetProperty("customer").GetString());
        Assert.Equal("Spring tea lights", first.GetProperty("campaign").GetProperty("name").GetString());
        Assert.Equal(JsonDocument.Parse(rows[0].ItemsJson).RootElement.GetArrayLength(), first.GetProperty("items").GetArrayLength());
        var batch = await db.PushBatches.SingleAsync(b => b.Id == id);
        Assert.NotNull(batch.SentAt);
        Assert.Equal(["batch.send", "batch.sent"], await db.AuditEntries.Where(e => e.EntityId == id.ToString()).OrderBy(e => e.Id).Select(e => e.Action).ToListAsync());
    }

    [Fact]
    public async Task A_wrong_secret_does_not_verify_at_the_receiver()
    {
        await UseWebhookAsync(secret: "not-the-receivers-secret");
        var id = await BatchSeed.CreateBatchAsync(_db.Factory, PushBatchStatus.Approved, pushes: 1);
        await Services().GetRequiredService<PushDeliveryService>().DeliverBatchAsync(id);
        Assert.False(Assert.Single(_receiver.Requests).SignatureValid);
        Assert.True(PushSignature.Verify("k", "{}"u8, PushSignature.Compute("k", "{}"u8)));
        Assert.False(PushSignature.Verify("k", "{ }"u8, PushSignature.Compute("k", "{}"u8)));
    }

    [Fact]
    public async Task The_webhook_is_retried_on_500_with_backoff_then_succeeds()
    {
        await UseWebhookAsync();
        _receiver.FailNext(2);
        var id = await BatchSeed.CreateBatchAsync(_db.Factory, PushBatchStatus.Approved, pushes: 2);
        var clock = Stopwatch.StartNew();
        var result = await Services(new DeliveryOptions { PushesPerSecond = 1000, WebhookRetryDelayMs = 200 }).GetRequiredService<PushDeliveryService>().DeliverBatchAsync(id);
        Assert.Equal((2, PushBatchStatus.Sent), (result.Delivered, result.Status));
        var requests = _receiver.Requests.ToList();
        Assert.Equal([500, 500, 200, 200], requests.Select(r => r.Status));
        Assert.Equal(requests[0].Key, requests[2].Key); // the same push, retried
        // Two exponential waits from 200 ms (with jitter: at least about half of 200 + 400 ms).
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(250), $"retries took only {clock.Elapsed}");
        await using var db = _db.CreateContext();
        Assert.All(await db.PushMessages.Where(m => m.BatchId == id).ToListAsync(), m => Assert.Equal(1, m.Attempts));
    }

    [Fact]
    public async Task A_push_refused_after_the_retries_waits_and_then_fails_for_good()
    {
        await UseWebhookAsync(url: _receiver.Url.Replace("/hook", "/missing"));
        var id = await BatchSeed.CreateBatchAsync(_db.Factory, PushBatchStatus.Approved, pushes: 1);
        var options = new DeliveryOptions { PushesPerSecond = 1000, WebhookMaxRetries = 0, MaxAttempts = 2, RetryAfterSeconds = 1 };
        var service = Services(options).GetRequiredService<PushDeliveryService>();
        var first = await service.DeliverBatchAsync(id);
        Assert.Equal((0, 1, 1, "not-due"), (first.Failed, first.Retried, first.Pending, first.StopReason));
        await Task.Delay(TimeSpan.FromSeconds(1.2));
        var second = await service.DeliverBatchAsync(id);
        Assert.Equal((1, 0, PushBatchStatus.Sent), (second.Failed, second.Pending, second.Status));
        await using var db = _db.CreateContext();
        var m = await db.PushMessages.SingleAsync(x => x.BatchId == id);
        Assert.Equal((PushDeliveryStatus.Failed, 2), (m.Status, m.Attempts));
        Assert.Contains("404", m.LastError);
    }

    [Fact]
    public async Task Throttled_delivery_takes_at_least_n_over_rate_seconds()
    {
        await UseWebhookAsync();
        var id = await BatchSeed.CreateBatchAsync(_db.Factory, PushBatchStatus.Approved, pushes: 11);
        var service = Services(new DeliveryOptions { PushesPerSecond = 5 }).GetRequiredService<PushDeliveryService>();
        var clock = Stopwatch.StartNew();
        var result = await service.DeliverBatchAsync(id);
        clock.Stop();
        Assert.Equal(11, result.Delivered);
        // 11 pushes at 5/s: the first goes at once, the other 10 wait 0.2 s each: ≥ 2 s (lower bound only).
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(1.9), $"11 pushes at 5/s took only {clock.Elapsed}");
    }

    [Fact]
    public async Task Without_a_webhook_pushes_go_to_the_json_lines_file()
    {
        var id = await BatchSeed.CreateBatchAsync(_db.Factory, PushBatchStatus.Approved, pushes: 5);
        var sp = Services();
        var result = await sp.GetRequiredService<PushDeliveryService>().DeliverBatchAsync(id);
        Assert.Equal((5, PushBatchStatus.Sent), (result.Delivered, result.Status));
        var file = sp.GetServices<IPushChannel>().OfType<JsonLinesPushChannel>().Single().FileFor("default", id);
        Assert.Equal(Path.Combine(_db.Directory, "pushes", "default", $"batch-{id}.jsonl"), file);
        var lines = await File.ReadAllLinesAsync(file);
        Assert.Equal(5, lines.Length);
        await using var db = _db.CreateContext();
        var keys = await db.PushMessages.Where(m => m.BatchId == id).OrderBy(m => m.Id).Select(m => m.IdempotencyKey).ToListAsync();
        Assert.Equal(keys, lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("idempotencyKey").GetString()));
        Assert.Empty(_receiver.Requests);
    }

    [Fact]
    public async Task Two_workers_on_one_batch_never_send_a_push_twice()
    {
        await UseWebhookAsync();
        var id = await BatchSeed.CreateBatchAsync(_db.Factory, PushBatchStatus.Approved, pushes: 40);
        var sp = Services(new DeliveryOptions { PushesPerSecond = 1000 });
        // Two workers with their own claim ids, as two processes would be.
        DeliveryOptions o = sp.GetRequiredService<DeliveryOptions>();
        PushDeliveryService Worker() => new(_db.Factory, sp.GetServices<IPushChannel>(), new PushThrottle(o), o,
            sp.GetRequiredService<PushBatchLifecycle>(), TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<PushDeliveryService>.Instance);
        var a = Worker();
        var b = Worker();
        Assert.NotEqual(a.WorkerId, b.WorkerId);
        var runs = await Task.WhenAll(Task.Run(() => a.DeliverBatchAsync(id)), Task.Run(() => b.DeliverBatchAsync(id)));
        Assert.Equal(40, runs.Sum(r => r.Delivered));
        Assert.Equal(40, _receiver.RequestCount);
        Assert.Equal(40, _receiver.AcceptedKeys.Count);
        await using var db = _db.CreateContext();
        Assert.Equal(PushBatchStatus.Sent, (await db.PushBatches.SingleAsync(x => x.Id == id)).Status);
    }

    [Fact]
    public async Task A_paused_batch_stops_and_resumes_where_it_stopped_and_future_pushes_wait()
    {
        await UseWebhookAsync();
        var id = await BatchSeed.CreateBatchAsync(_db.Factory, PushBatchStatus.Paused, pushes: 3);
        var sp = Services();
        var service = sp.GetRequiredService<PushDeliveryService>();
        var paused = await service.DeliverBatchAsync(id);
        Assert.Equal(("status:Paused", 0), (paused.StopReason, paused.Delivered));
        Assert.Empty(_receiver.Requests);
        // Quiet hours: one push may not go before tomorrow.
        await using (var db = _db.CreateContext())
        {
            var late = await db.PushMessages.Where(m => m.BatchId == id).OrderBy(m => m.Id).LastAsync();
            late.NotBefore = DateTime.UtcNow.AddDays(1);
            await db.SaveChangesAsync();
        }
        await sp.GetRequiredService<PushBatchLifecycle>().ResumeAsync(id, Ops);
        var run = await service.DeliverBatchAsync(id);
        Assert.Equal(("not-due", 2, 1, PushBatchStatus.Sending), (run.StopReason, run.Delivered, run.Pending, run.Status));
        Assert.True(run.NextDueAt > DateTime.UtcNow.AddHours(23));
        Assert.Empty(await service.DueBatchesAsync());
        Assert.Equal(new DeliveryProgress(1, 2, 0, 0), await service.ProgressAsync(id));
    }

    [Fact]
    public async Task Approval_starts_a_real_Hangfire_delivery_job()
    {
        await UseWebhookAsync();
        using var storage = new InMemoryStorage();
        var jobs = new BackgroundJobClient(storage);
        var sp = Services(jobs: jobs);
        var id = await BatchSeed.CreateBatchAsync(_db.Factory, PushBatchStatus.PendingApproval, pushes: 4);
        await sp.GetRequiredService<PushBatchLifecycle>().ApproveAsync(id, Ops);
        using var server = new BackgroundJobServer(new BackgroundJobServerOptions
        {
            Activator = new ServiceJobActivator(sp), WorkerCount = 1, SchedulePollingInterval = TimeSpan.FromMilliseconds(200),
        }, storage);
        await PortalProcess.WaitForAsync(async () =>
        {
            await using var db = _db.CreateContext();
            return (await db.PushBatches.SingleAsync(b => b.Id == id)).Status == PushBatchStatus.Sent;
        }, TimeSpan.FromSeconds(60), "the delivery job to send the approved batch");
        Assert.Equal(4, _receiver.AcceptedKeys.Count);
        Assert.Equal(4, _receiver.RequestCount);
    }

    [Fact]
    public async Task The_sweep_finds_approved_and_sending_batches_with_due_pushes()
    {
        await UseWebhookAsync();
        var approved = await BatchSeed.CreateBatchAsync(_db.Factory, PushBatchStatus.Approved, 2, scheduledFor: DateTime.UtcNow.AddHours(1));
        await BatchSeed.CreateBatchAsync(_db.Factory, PushBatchStatus.PendingApproval, 2, scheduledFor: DateTime.UtcNow.AddHours(2));
        await BatchSeed.CreateBatchAsync(_db.Factory, PushBatchStatus.Paused, 2, scheduledFor: DateTime.UtcNow.AddHours(3));
        var sp = Services();
        Assert.Equal([approved], await sp.GetRequiredService<PushDeliveryService>().DueBatchesAsync());
        var runs = await sp.GetRequiredService<DeliveryJob>().SweepAsync(CancellationToken.None);
        Assert.Equal((approved, PushBatchStatus.Sent), (Assert.Single(runs).BatchId, runs[0].Status));
    }

    [Fact]
    public async Task Delivered_pushes_feed_the_recently_pushed_rule()
    {
        var id = await BatchSeed.CreateBatchAsync(_db.Factory, PushBatchStatus.Approved, pushes: 2, itemsPerPush: 2);
        var sp = Services();
        var recent = sp.GetRequiredService<IRecentlyPushed>();
        Assert.IsType<RecentlyPushedItems>(recent);
        string customer;
        List<string> expected;
        await using (var db = _db.CreateContext())
        {
            var m = await db.PushMessages.Where(x => x.BatchId == id).OrderBy(x => x.Id).FirstAsync();
            customer = (await db.Customers.SingleAsync(c => c.Id == m.CustomerId)).ExternalId;
            expected = JsonDocument.Parse(m.ItemsJson).RootElement.EnumerateArray().Select(i => i.GetProperty("externalId").GetString()!).Order().ToList();
        }
        Assert.Empty(await recent.ItemsPushedAsync(customer, 14)); // pending is not pushed yet
        await sp.GetRequiredService<PushDeliveryService>().DeliverBatchAsync(id);
        Assert.Equal(expected, (await recent.ItemsPushedAsync(customer, 14)).Order().ToList());
        await using (var db = _db.CreateContext())
        {
            await db.PushMessages.ExecuteUpdateAsync(s => s.SetProperty(m => m.DeliveredAt, DateTime.UtcNow.AddDays(-15)));
        }
        Assert.Empty(await recent.ItemsPushedAsync(customer, 14));
        Assert.Equal(expected, (await recent.ItemsPushedAsync(customer, 16)).Order().ToList());
    }

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        if (_services is not null) await _services.DisposeAsync();
        await _receiver.DisposeAsync();
        _db.Dispose();
    }

    private sealed class ServiceJobActivator(IServiceProvider sp) : JobActivator
    {
        public override object ActivateJob(Type jobType) => ActivatorUtilities.GetServiceOrCreateInstance(sp, jobType);
    }
}
