using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Portal.Core.Access;
using Portal.Core.PushBatches;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Batches;

/// <summary>One real SQLite database shared by the life-cycle tests (each test makes its own batches).</summary>
public sealed class LifecycleDatabase : IDisposable
{
    /// <summary>The database.</summary>
    public SqliteTestDatabase Database { get; } = new();

    /// <inheritdoc />
    public void Dispose() => Database.Dispose();
}

/// <summary>
/// The push batch state machine on a real database: every (from, to) pair of statuses against the table written out
/// here by hand from the issue, four-eyes approval, rights of merchants, audit entries in the same transaction, and
/// concurrent approvals.
/// </summary>
public sealed class PushBatchLifecycleTests(LifecycleDatabase fixture) : IClassFixture<LifecycleDatabase>
{
    private static readonly Actor Ops1 = new("ops-1", "operations@portal.local", new HashSet<string> { PortalRoles.Operations }, null);
    private static readonly Actor Ops2 = new("ops-2", "ops2@portal.local", new HashSet<string> { PortalRoles.Operations }, null);

    private SqliteTestDatabase Db => fixture.Database;
    private PushBatchLifecycle Lifecycle => new(Db.Factory);

    /// <summary>The issue's life cycle, written independently of the implementation's table.</summary>
    private static readonly HashSet<(PushBatchStatus, PushBatchStatus)> Expected =
    [
        (PushBatchStatus.Draft, PushBatchStatus.PendingApproval),
        (PushBatchStatus.PendingApproval, PushBatchStatus.Approved),
        (PushBatchStatus.Approved, PushBatchStatus.Sending),
        (PushBatchStatus.Sending, PushBatchStatus.Sent),
        (PushBatchStatus.PendingApproval, PushBatchStatus.Rejected),
        (PushBatchStatus.Rejected, PushBatchStatus.Draft),
        (PushBatchStatus.Approved, PushBatchStatus.Paused),
        (PushBatchStatus.Sending, PushBatchStatus.Paused),
        (PushBatchStatus.Paused, PushBatchStatus.Approved),
        (PushBatchStatus.Paused, PushBatchStatus.Sending),
        (PushBatchStatus.Draft, PushBatchStatus.Cancelled),
        (PushBatchStatus.PendingApproval, PushBatchStatus.Cancelled),
        (PushBatchStatus.Approved, PushBatchStatus.Cancelled),
        (PushBatchStatus.Paused, PushBatchStatus.Cancelled),
    ];

    /// <summary>Every ordered pair of statuses (64).</summary>
    public static IEnumerable<object[]> AllPairs() =>
        from f in Enum.GetValues<PushBatchStatus>() from t in Enum.GetValues<PushBatchStatus>() select new object[] { f, t };

    [Fact]
    public void The_table_is_the_issues_life_cycle()
    {
        Assert.Equal(Expected.OrderBy(p => p).ToList(), PushBatchStateMachine.AllowedTransitions.OrderBy(p => p).ToList());
    }

    [Theory]
    [MemberData(nameof(AllPairs))]
    public async Task Every_pair_of_statuses_is_allowed_or_refused_as_the_issue_says(PushBatchStatus from, PushBatchStatus to)
    {
        // Paused → Sending (resume after some pushes went out) and → Approved (nothing went out yet) depend on the outbox.
        var id = await BatchSeed.CreateBatchAsync(Db.Factory, from, pushes: 2);
        if (from == PushBatchStatus.Paused && to == PushBatchStatus.Sending) await MarkOneDeliveredAsync(id);
        // Sending → Sent needs an empty outbox.
        if (from == PushBatchStatus.Sending && to == PushBatchStatus.Sent) { await MarkOneDeliveredAsync(id); await MarkOneDeliveredAsync(id); }
        var actions = Enum.GetValues<PushBatchAction>().Where(a => PushBatchStateMachine.Target(a, anyPushHandled: to == PushBatchStatus.Sending) == to).ToList();
        Assert.NotEmpty(actions);
        if (Expected.Contains((from, to)))
        {
            var action = actions.Single(a => PushBatchStateMachine.Sources(a).Contains(from));
            var done = await Lifecycle.TransitionAsync(id, ActorFor(action), action, action == PushBatchAction.Reject ? "Too many pushes for one week." : null);
            Assert.Equal(to, done.Status);
            await using var db = Db.CreateContext();
            Assert.Equal(to, (await db.PushBatches.SingleAsync(b => b.Id == id)).Status);
            var audit = await db.AuditEntries.Where(e => e.EntityType == nameof(PushBatch) && e.EntityId == id.ToString()).SingleAsync();
            Assert.Equal("batch." + PushBatchLifecycle.AuditVerb(action), audit.Action);
            Assert.Equal(from.ToString(), JsonDocument.Parse(audit.BeforeJson!).RootElement.GetProperty("Status").GetString());
            Assert.Equal(to.ToString(), JsonDocument.Parse(audit.AfterJson!).RootElement.GetProperty("Status").GetString());
        }
        else
        {
            foreach (var action in actions)
            {
                var e = await Assert.ThrowsAsync<PushBatchTransitionException>(() =>
                    Lifecycle.TransitionAsync(id, ActorFor(action), action, action == PushBatchAction.Reject ? "reason" : null));
                Assert.Equal(from, e.From);
                Assert.Contains($"from {from} to ", e.Message);
            }
            await using var db = Db.CreateContext();
            Assert.Equal(from, (await db.PushBatches.SingleAsync(b => b.Id == id)).Status);
            Assert.False(await db.AuditEntries.AnyAsync(e => e.EntityType == nameof(PushBatch) && e.EntityId == id.ToString()));
        }
    }

    [Fact]
    public async Task Four_eyes_only_another_operations_user_approves()
    {
        var id = await BatchSeed.CreateBatchAsync(Db.Factory, PushBatchStatus.PendingApproval, 2, createdBy: Ops1.UserId);
        var merchant = new Actor(BatchSeed.MerchantUserId, "merchant@portal.local", new HashSet<string> { PortalRoles.Merchant }, await DefaultMerchantIdAsync());
        var creator = await Assert.ThrowsAsync<PushBatchAccessException>(() => Lifecycle.ApproveAsync(id, Ops1));
        Assert.Contains("four-eyes", creator.Message);
        var notOps = await Assert.ThrowsAsync<PushBatchAccessException>(() => Lifecycle.ApproveAsync(id, merchant));
        Assert.Contains("Operations", notOps.Message);
        await Assert.ThrowsAsync<PushBatchAccessException>(() => Lifecycle.ApproveAsync(id, Actor.System));
        var admin = new Actor("admin-1", "admin@portal.local", new HashSet<string> { PortalRoles.Admin }, null);
        await Assert.ThrowsAsync<PushBatchAccessException>(() => Lifecycle.ApproveAsync(id, admin));

        var approved = await Lifecycle.ApproveAsync(id, Ops2);
        Assert.Equal(PushBatchStatus.Approved, approved.Status);
        Assert.Equal(Ops2.UserId, approved.ApprovedByUserId);
        await using var db = Db.CreateContext();
        var entry = await db.AuditEntries.SingleAsync(e => e.EntityId == id.ToString() && e.Action == "batch.approve");
        Assert.Equal(Ops2.UserName, entry.UserName);
    }

    [Fact]
    public async Task Merchants_act_only_on_their_own_batches_and_reject_needs_a_reason()
    {
        var merchantId = await DefaultMerchantIdAsync();
        var own = new Actor(BatchSeed.MerchantUserId, "merchant@portal.local", new HashSet<string> { PortalRoles.Merchant }, merchantId);
        var other = new Actor("merchant-b-1", "merchant-b@portal.local", new HashSet<string> { PortalRoles.Merchant }, merchantId + 1000);
        var id = await BatchSeed.CreateBatchAsync(Db.Factory, PushBatchStatus.Draft, 2);
        await Assert.ThrowsAsync<PushBatchAccessException>(() => Lifecycle.SubmitAsync(id, other));
        await Assert.ThrowsAsync<PushBatchAccessException>(() => Lifecycle.CancelAsync(id, other));
        await Lifecycle.SubmitAsync(id, own);
        await Assert.ThrowsAsync<PushBatchAccessException>(() => Lifecycle.RejectAsync(id, own, "mine"));
        var empty = await Assert.ThrowsAsync<ArgumentException>(() => Lifecycle.RejectAsync(id, Ops1, "   "));
        Assert.Contains("needs a reason", empty.Message);
        var rejected = await Lifecycle.RejectAsync(id, Ops1, "  Coverage too low.  ");
        Assert.Equal("Coverage too low.", rejected.RejectionReason);
        await Lifecycle.ReopenAsync(id, own);
        var again = await Lifecycle.SubmitAsync(id, own);
        Assert.Equal(PushBatchStatus.PendingApproval, again.Status);
        Assert.Null(again.RejectionReason);
        var approved = await BatchSeed.CreateBatchAsync(Db.Factory, PushBatchStatus.Approved, 2);
        await Assert.ThrowsAsync<PushBatchAccessException>(() => Lifecycle.PauseAsync(approved, own));
        var job = await Assert.ThrowsAsync<PushBatchAccessException>(() => Lifecycle.TransitionAsync(approved, Ops1, PushBatchAction.StartSending));
        Assert.Contains("Only the delivery job", job.Message);
        await Lifecycle.CancelAsync(approved, own);
    }

    [Fact]
    public async Task Cancel_skips_the_pending_pushes_and_keeps_the_delivered_ones()
    {
        var id = await BatchSeed.CreateBatchAsync(Db.Factory, PushBatchStatus.Paused, 4);
        await MarkOneDeliveredAsync(id);
        await Lifecycle.CancelAsync(id, Ops1);
        await using var db = Db.CreateContext();
        var statuses = await db.PushMessages.Where(m => m.BatchId == id).Select(m => m.Status).ToListAsync();
        Assert.Equal(1, statuses.Count(s => s == PushDeliveryStatus.Delivered));
        Assert.Equal(3, statuses.Count(s => s == PushDeliveryStatus.Skipped));
    }

    [Fact]
    public async Task A_decision_on_a_stale_version_fails_cleanly()
    {
        var id = await BatchSeed.CreateBatchAsync(Db.Factory, PushBatchStatus.PendingApproval, 2);
        Guid shown;
        await using (var db = Db.CreateContext()) shown = (await db.PushBatches.SingleAsync(b => b.Id == id)).Version;
        // Ops 1 rejects while ops 2 still looks at the version both were shown.
        await Lifecycle.RejectAsync(id, Ops1, "Wrong audience.", shown);
        var e = await Assert.ThrowsAsync<PushBatchConcurrencyException>(() => Lifecycle.ApproveAsync(id, Ops2, shown));
        Assert.Contains("changed since it was shown", e.Message);
        await using var read = Db.CreateContext();
        Assert.Equal(PushBatchStatus.Rejected, (await read.PushBatches.SingleAsync(b => b.Id == id)).Status);
    }

    [Fact]
    public async Task The_version_token_refuses_a_write_based_on_an_old_read()
    {
        var id = await BatchSeed.CreateBatchAsync(Db.Factory, PushBatchStatus.PendingApproval, 2);
        await using var stale = Db.CreateContext();
        var batch = await stale.PushBatches.SingleAsync(b => b.Id == id);
        await Lifecycle.ApproveAsync(id, Ops2);
        batch.Status = PushBatchStatus.Rejected;
        batch.RejectionReason = "too late";
        await Assert.ThrowsAsync<DbUpdateConcurrencyException>(() => stale.SaveChangesAsync());
    }

    [Fact]
    public async Task Of_two_concurrent_approvals_one_wins()
    {
        var id = await BatchSeed.CreateBatchAsync(Db.Factory, PushBatchStatus.PendingApproval, 2);
        var third = new Actor("ops-3", "ops3@portal.local", new HashSet<string> { PortalRoles.Operations }, null);
        var attempts = new[] { Ops1, Ops2, third }.Select(a => Task.Run(async () =>
        {
            try { await Lifecycle.ApproveAsync(id, a); return (Exception?)null; }
            catch (Exception e) { return e; }
        })).ToList();
        var outcomes = await Task.WhenAll(attempts);
        Assert.Single(outcomes, o => o is null);
        Assert.All(outcomes.Where(o => o is not null), o => Assert.True(o is PushBatchTransitionException or PushBatchConcurrencyException, o!.ToString()));
        await using var db = Db.CreateContext();
        Assert.Single(await db.AuditEntries.Where(e => e.EntityId == id.ToString() && e.Action == "batch.approve").ToListAsync());
    }

    private static Actor ActorFor(PushBatchAction action) =>
        action is PushBatchAction.StartSending or PushBatchAction.Complete ? Actor.System : Ops2;

    private async Task MarkOneDeliveredAsync(int batchId)
    {
        await using var db = Db.CreateContext();
        var m = await db.PushMessages.Where(x => x.BatchId == batchId && x.Status == PushDeliveryStatus.Pending).OrderBy(x => x.Id).FirstAsync();
        m.Status = PushDeliveryStatus.Delivered;
        m.DeliveredAt = DateTime.UtcNow;
        await db.SaveChangesAsync();
    }

    private async Task<int> DefaultMerchantIdAsync()
    {
        await using var db = Db.CreateContext();
        return (await BatchSeed.DefaultMerchantAsync(db)).Id;
    }
}
