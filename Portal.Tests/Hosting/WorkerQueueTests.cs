using Microsoft.EntityFrameworkCore;
using Portal.Core.Data;
using Portal.Core.Data.Import;
using Portal.Core.Training;
using Portal.Tests.Browser;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Hosting;

/// <summary>
/// The production split of roles with two real processes of the same binary on one database and job storage: a web
/// process configured not to serve the <c>gpu</c> queue (<c>Jobs:ServeGpuQueue=false</c>, as in compose) imports and
/// queues training but never trains; a <c>worker</c> process picks the training up, reports its heartbeat and is
/// recorded on the run.
/// </summary>
public sealed class WorkerQueueTests : IAsyncLifetime
{
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "portal-worker-tests", Guid.NewGuid().ToString("n"));

    private PortalDbContext CreateContext() => new SqlitePortalDbContext(new DbContextOptionsBuilder<SqlitePortalDbContext>()
        .UseSqlite($"Data Source={Path.Combine(_dataDirectory, "portal.db")};Pooling=False").Options);

    [Fact]
    public async Task The_worker_trains_and_the_web_process_does_not()
    {
        var slice = Path.Combine(_dataDirectory, "slice.csv.gz");
        PortalServerFixture.WriteSlice(Path.Combine(PortalServerFixture.RepositoryRoot, "data", "online_retail.csv.gz"), slice, PortalServerFixture.SliceRows);
        var url = $"http://127.0.0.1:{PortalProcess.FreePort()}";
        await using var web = PortalProcess.Start(["--urls", url], new Dictionary<string, string>
        {
            ["DataDirectory"] = _dataDirectory,
            ["Bootstrap__DataFile"] = slice,
            ["Bootstrap__Models"] = "popularity",
            ["Jobs__ServeGpuQueue"] = "false",
        });

        // The web process imports (default queue) and queues the training (gpu queue)...
        await PortalProcess.WaitForAsync(async () =>
        {
            await using var db = CreateContext();
            return await db.ImportRuns.AnyAsync(r => r.Status == ImportStatus.Succeeded) && await db.TrainingRuns.AnyAsync();
        }, TimeSpan.FromMinutes(3), "the web process to import the slice and queue training", web);
        // ...but, given time, never starts it, and reports no heartbeat: it is not a training worker.
        await Task.Delay(TimeSpan.FromSeconds(8));
        await using (var db = CreateContext())
        {
            Assert.Equal(TrainingStatus.Queued, (await db.TrainingRuns.SingleAsync()).Status);
            Assert.Empty(await db.WorkerHeartbeats.ToListAsync());
        }

        await using var worker = PortalProcess.Start(["worker"], new Dictionary<string, string> { ["DataDirectory"] = _dataDirectory });
        await PortalProcess.WaitForAsync(async () =>
        {
            await using var db = CreateContext();
            var run = await db.TrainingRuns.AsNoTracking().SingleAsync();
            if (run.Status is TrainingStatus.Failed or TrainingStatus.Cancelled)
                throw new InvalidOperationException($"The training run ended {run.Status}: {run.Message}\n{worker.Log}");
            return run.Status == TrainingStatus.Succeeded;
        }, TimeSpan.FromMinutes(3), "the worker to train popularity", web, worker);

        await using (var db = CreateContext())
        {
            var run = await db.TrainingRuns.AsNoTracking().Include(r => r.Trials).SingleAsync();
            Assert.Equal(ModelStatus.Active, run.ModelStatus);
            // Both jobs of the run (search, training) ran on the worker: its server name ends with ":gpu:<pid>".
            Assert.Contains($":gpu:{worker.Id} · ", run.TrainedOn);
            Assert.NotEmpty(run.Trials);
            var beat = await db.WorkerHeartbeats.AsNoTracking().SingleAsync();
            Assert.Equal(worker.Id, beat.ProcessId);
            Assert.Equal("gpu", beat.Queues);
            Assert.Contains("CPU", beat.Device);
            Assert.InRange(beat.FreeMemoryMiB, 1, beat.TotalMemoryMiB);
            Assert.True(DateTime.UtcNow - beat.LastSeen < WorkerHeartbeat.StaleAfter);
        }
        Assert.Contains("trains on CPU", worker.Log);
    }

    /// <inheritdoc />
    public Task InitializeAsync()
    {
        Directory.CreateDirectory(_dataDirectory);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task DisposeAsync()
    {
        try { Directory.Delete(_dataDirectory, recursive: true); } catch (IOException) { }
        return Task.CompletedTask;
    }
}
