using Hangfire;
using Hangfire.InMemory;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Portal.Core;
using Portal.Core.Data.Import;
using Portal.Core.Recommendation;
using Portal.Core.Training;
using Portal.Tests.Browser;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Training;

/// <summary>
/// Cancelling a training run while a real Hangfire server is running its job: the job's cancellation token fires,
/// the GRU stops, the run ends Cancelled and no model version is activated.
/// </summary>
public sealed class TrainingJobCancellationTests : IDisposable
{
    private readonly SqliteTestDatabase _database = new();

    /// <summary>Lets Hangfire build <see cref="TrainingJob"/> over the test database.</summary>
    private sealed class TrainingJobActivator(Func<TrainingJob> create) : JobActivator
    {
        public override object ActivateJob(Type jobType) => jobType == typeof(TrainingJob) ? create() : base.ActivateJob(jobType);
    }

    [Fact]
    public async Task Cancelling_a_searching_gru_run_stops_its_job_and_activates_nothing()
    {
        // A real slice of the bundled file, imported by the real import job.
        var slice = Path.Combine(_database.Directory, "slice.csv.gz");
        PortalServerFixture.WriteSlice(Path.Combine(PortalServerFixture.RepositoryRoot, "data", "online_retail.csv.gz"), slice, PortalServerFixture.SliceRows);
        int importId;
        await using (var db = _database.CreateContext())
        {
            var import = new ImportRun { FileName = "slice.csv.gz", StoredPath = slice, Format = ImportFormat.UciOnlineRetail, Status = ImportStatus.Queued, RequestedBy = "test" };
            db.ImportRuns.Add(import);
            await db.SaveChangesAsync();
            importId = import.Id;
        }
        await new ImportJob(_database.Factory, new ImportProgressTracker()).RunAsync(importId, CancellationToken.None);

        var storage = new InMemoryStorage();
        var paths = new PortalPaths(_database.Directory);
        var store = new ModelStore(_database.Factory, paths, NullLogger<ModelStore>.Instance);
        var service = new TrainingService(_database.Factory, new BackgroundJobClient(storage));
        using var server = new BackgroundJobServer(new BackgroundJobServerOptions
        {
            Queues = ["gpu"],
            WorkerCount = 1,
            CancellationCheckInterval = TimeSpan.FromMilliseconds(500),
            Activator = new TrainingJobActivator(() => new TrainingJob(_database.Factory, paths, store, new TrainingOptions(), NullLogger<TrainingJob>.Instance)),
        }, storage);

        var id = (await service.EnqueueAsync(["gru"], "test")).Single();
        // Wait until the GRU is training inside the search job (its epoch progress is written to the run).
        await PortalProcess.WaitForAsync(async () =>
        {
            await using var db = _database.CreateContext();
            var run = await db.TrainingRuns.AsNoTracking().SingleAsync(r => r.Id == id);
            Assert.NotEqual(TrainingStatus.Failed, run.Status);
            return run.Status == TrainingStatus.Searching && run.ProgressText?.Contains("epoch", StringComparison.Ordinal) == true;
        }, TimeSpan.FromMinutes(3), "the GRU search to start training");
        Assert.Equal(1, storage.GetMonitoringApi().ProcessingCount());

        Assert.True(await service.CancelAsync(id, "test"));

        // The job observes the deletion and stops the GRU: its progress stops moving (while it trained it was written
        // twice a second), and the server's only worker is free again, so a new run is picked up and trains.
        await Task.Delay(TimeSpan.FromSeconds(5));
        string? frozen;
        await using (var db = _database.CreateContext())
            frozen = (await db.TrainingRuns.AsNoTracking().SingleAsync(r => r.Id == id)).ProgressText;
        await Task.Delay(TimeSpan.FromSeconds(5));
        await using (var db = _database.CreateContext())
            Assert.Equal(frozen, (await db.TrainingRuns.AsNoTracking().SingleAsync(r => r.Id == id)).ProgressText);
        var next = (await service.EnqueueAsync(["popularity"], "test")).Single();
        await PortalProcess.WaitForAsync(async () =>
        {
            await using var db = _database.CreateContext();
            return (await db.TrainingRuns.AsNoTracking().SingleAsync(r => r.Id == next)).Status == TrainingStatus.Succeeded;
        }, TimeSpan.FromMinutes(2), "the worker, freed by the cancelled job, to train the next run");
        await using (var db = _database.CreateContext())
        {
            var run = await db.TrainingRuns.AsNoTracking().Include(r => r.Metrics).SingleAsync(r => r.Id == id);
            Assert.Equal(TrainingStatus.Cancelled, run.Status);
            Assert.Equal("Cancelled by test.", run.Message);
            Assert.NotEqual(ModelStatus.Active, run.ModelStatus);
            Assert.Empty(run.Metrics);
            Assert.Null(run.ArtifactPath);
            Assert.False(await db.TrainingRuns.AnyAsync(r => r.Model == "gru" && r.ModelStatus == ModelStatus.Active));
            Assert.Empty(await db.HyperParameterTrials.Where(t => t.TrainingRunId == id).ToListAsync());
        }
        Assert.Null(await store.GetActiveAsync("gru"));
    }

    /// <inheritdoc />
    public void Dispose() => _database.Dispose();
}
