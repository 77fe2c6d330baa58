using Microsoft.EntityFrameworkCore;
using Portal.Core.Data;
using Portal.Core.PushBatches;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Batches;

/// <summary>
/// Exactly-once delivery across a crash: the real Portal.Server binary delivers a batch (hidden <c>deliver</c> verb)
/// to a real local webhook receiver, is killed mid-batch (Process.Kill), and is run again. Every push must arrive,
/// no row may stay Pending, and the receiver may see at most the one push that was in flight at the kill twice (with
/// the same Idempotency-Key, so de-duplicating by key gives each push exactly once).
/// </summary>
public sealed class DeliveryKillTests : IDisposable
{
    private readonly SqliteTestDatabase _db = new();

    [Fact]
    public async Task A_delivery_killed_mid_batch_and_rerun_delivers_every_push_once_per_key()
    {
        const int pushes = 40;
        await using var receiver = await WebhookReceiver.StartAsync();
        await using (var db = _db.CreateContext())
        {
            var m = await BatchSeed.DefaultMerchantAsync(db);
            m.WebhookUrl = receiver.Url;
            m.WebhookSecret = receiver.Secret;
            await db.SaveChangesAsync();
        }
        var id = await BatchSeed.CreateBatchAsync(_db.Factory, PushBatchStatus.Approved, pushes);
        var environment = new Dictionary<string, string>
        {
            ["DataDirectory"] = _db.Directory,
            ["Delivery__PushesPerSecond"] = "8",
            // The killed worker's push in flight is taken over after this lease.
            ["Delivery__LeaseSeconds"] = "3",
            // ...which must outlast a push's whole webhook attempt (retries included), or a live send could be taken over.
            ["Delivery__WebhookAttemptTimeoutSeconds"] = "1",
            ["Delivery__WebhookTotalTimeoutSeconds"] = "2",
        };

        await using (var first = PortalProcess.Start(["deliver", "--batch", id.ToString()], environment))
        {
            await PortalProcess.WaitForAsync(() => Task.FromResult(receiver.RequestCount >= 12), TimeSpan.FromMinutes(2),
                "the first delivery process to send 12 pushes", first);
            await first.DisposeAsync(); // Process.Kill of the whole tree, mid-batch
        }
        var atKill = receiver.RequestCount;
        Assert.InRange(atKill, 12, pushes - 1);
        await using (var db = _db.CreateContext())
        {
            Assert.Equal(PushBatchStatus.Sending, (await db.PushBatches.SingleAsync(b => b.Id == id)).Status);
            Assert.True(await db.PushMessages.CountAsync(m => m.BatchId == id && m.Status == PushDeliveryStatus.Pending) > 0);
        }

        await using var second = PortalProcess.Start(["deliver", "--batch", id.ToString()], environment);
        Assert.True(await second.WaitForExitAsync(TimeSpan.FromMinutes(3)), "the rerun did not finish\n" + second.Log);
        Assert.True(second.ExitCode == 0, $"deliver exited {second.ExitCode}\n{second.Log}");

        var requests = receiver.Requests.ToList();
        Assert.Equal(pushes, receiver.AcceptedKeys.Count);              // every push arrived
        Assert.InRange(requests.Count, pushes, pushes + 1);             // at most the one in flight twice
        Assert.All(requests, r => Assert.True(r.SignatureValid));
        var duplicates = requests.GroupBy(r => r.Key).Where(g => g.Count() > 1).ToList();
        Assert.True(duplicates.Count <= 1, "duplicated keys: " + string.Join(", ", duplicates.Select(g => g.Key)));
        await using (var db = _db.CreateContext())
        {
            var rows = await db.PushMessages.Where(m => m.BatchId == id).ToListAsync();
            Assert.All(rows, m => Assert.Equal(PushDeliveryStatus.Delivered, m.Status));
            Assert.Equal(rows.Select(m => m.IdempotencyKey).Order(), receiver.AcceptedKeys.Order());
            Assert.Equal(PushBatchStatus.Sent, (await db.PushBatches.SingleAsync(b => b.Id == id)).Status);
        }
    }

    /// <inheritdoc />
    public void Dispose() => _db.Dispose();
}
