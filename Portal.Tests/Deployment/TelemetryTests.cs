using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry.Metrics;
using Portal.Core.Data;
using Portal.Core.Data.Import;
using Portal.Core.Training;
using Portal.Server.Hosting;
using Portal.Tests.Browser;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Deployment;

/// <summary>
/// The worker role's wiring (AddPortalServer + AddPortalTelemetry, real SQLite database and Hangfire SQLite storage, a
/// real job server on both queues) with OpenTelemetry's in-memory exporter: a real import job and a real training job
/// run, and their durations and the training metrics show up as exported metrics.
/// </summary>
[Collection(HangfireGlobalStateCollection.Name)]
public sealed class TelemetryTests : IDisposable
{
    /// <summary>
    /// The host's AddHangfire points Hangfire's global log provider at the host's logger factory, which the host
    /// disposes: give Hangfire its default provider back so that later tests' job storages do not log into a disposed
    /// factory.
    /// </summary>
    public void Dispose() => Hangfire.Logging.LogProvider.SetCurrentLogProvider(null);

    [Fact]
    public async Task Hangfire_job_durations_and_training_metrics_are_exported()
    {
        var dataDirectory = Path.Combine(Path.GetTempPath(), "portal-telemetry-" + Guid.NewGuid().ToString("n"));
        Directory.CreateDirectory(dataDirectory);
        var slice = Path.Combine(dataDirectory, "online_retail_slice.csv.gz");
        PortalServerFixture.WriteSlice(Path.Combine(PortalServerFixture.RepositoryRoot, "data", "online_retail.csv.gz"), slice, PortalServerFixture.SliceRows);

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, ContentRootPath = dataDirectory });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["DataDirectory"] = dataDirectory, ["Jobs:WorkerCount"] = "2" });
        builder.Services.AddLogging();
        builder.Services.AddPortalServer(builder.Configuration, dataDirectory, [PortalHosting.GpuQueue, PortalHosting.DefaultQueue]);
        var exported = new List<MetricSnapshot>();
        builder.Services.AddPortalTelemetry(builder.Configuration, "portal-test")
            .WithMetrics(m => m.AddInMemoryExporter(exported));
        using var host = builder.Build();
        await host.StartAsync();
        try
        {
            var imports = host.Services.GetRequiredService<ImportService>();
            var importId = await imports.EnqueueExistingFileAsync(slice, ImportFormat.Auto, "telemetry-test");
            var factory = host.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>();
            await PortalProcess.WaitForAsync(async () =>
            {
                await using var db = await factory.CreateDbContextAsync();
                var run = await db.ImportRuns.AsNoTracking().SingleAsync(r => r.Id == importId);
                Assert.NotEqual(ImportStatus.Failed, run.Status);
                return run.Status == ImportStatus.Succeeded;
            }, TimeSpan.FromMinutes(3), "the import job");

            var runId = (await host.Services.GetRequiredService<ITrainingService>().EnqueueAsync(["popularity"], "telemetry-test"))[0];
            TrainingRun trained = null!;
            await PortalProcess.WaitForAsync(async () =>
            {
                await using var db = await factory.CreateDbContextAsync();
                trained = await db.TrainingRuns.AsNoTracking().Include(r => r.Metrics).SingleAsync(r => r.Id == runId);
                Assert.NotEqual(TrainingStatus.Failed, trained.Status);
                return trained.Status == TrainingStatus.Succeeded;
            }, TimeSpan.FromMinutes(3), "the popularity training run");
            // The filter records after the job method returns; give the worker a moment to leave OnPerformed.
            await PortalProcess.WaitForAsync(() =>
            {
                host.Services.GetRequiredService<MeterProvider>().ForceFlush();
                return Task.FromResult(Points(exported, JobTelemetryFilter.DurationInstrument).Any(p => Tag(p, "job.type") == "TrainingJob.RunAsync"));
            }, TimeSpan.FromSeconds(30), "the training job's exported duration");

            var jobs = Points(exported, JobTelemetryFilter.DurationInstrument);
            var import = Assert.Single(jobs, p => Tag(p, "job.type") == "ImportJob.RunAsync");
            Assert.Equal("succeeded", Tag(import, "job.outcome"));
            Assert.Equal("default", Tag(import, "job.queue"));
            Assert.Equal(1, import.GetHistogramCount());
            Assert.True(import.GetHistogramSum() > 0);
            var training = Assert.Single(jobs, p => Tag(p, "job.type") == "TrainingJob.RunAsync");
            Assert.Equal("gpu", Tag(training, "job.queue"));
            Assert.Equal(1, training.GetHistogramCount());
            // A run is two jobs (the hyper-parameter search, then the training): together they cover the run's stored
            // start-to-finish time (plus the wait between them).
            var search = Assert.Single(jobs, p => Tag(p, "job.type") == "TrainingJob.SearchAsync");
            Assert.Equal("gpu", Tag(search, "job.queue"));
            var stored = (trained.FinishedAt!.Value - trained.StartedAt!.Value).TotalSeconds;
            Assert.InRange(search.GetHistogramSum() + training.GetHistogramSum(), 0.5 * stored, stored + 60);

            var duration = Assert.Single(Points(exported, "portal.training.duration"), p => Tag(p, "model") == "popularity");
            Assert.Equal("succeeded", Tag(duration, "outcome"));
            // The exported metric values are the ones stored in the registry for this run.
            var ndcg = Assert.Single(Points(exported, "portal.training.metric"),
                p => Tag(p, "model") == "popularity" && Tag(p, "task") == "all" && Tag(p, "metric") == "ndcg@20");
            var storedNdcg = trained.Metrics.Single(m => m.Task == "all" && m.Name == "ndcg@20").Value;
            Assert.Equal(storedNdcg, ndcg.GetGaugeLastValueDouble(), 9);
            Assert.True(storedNdcg > 0);
        }
        finally
        {
            await host.StopAsync();
            try { Directory.Delete(dataDirectory, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>The points of the last exported snapshot of the instrument (cumulative temporality: the latest holds everything).</summary>
    private static List<MetricPoint> Points(List<MetricSnapshot> exported, string name)
    {
        lock (exported)
            return exported.LastOrDefault(s => s.Name == name)?.MetricPoints.ToList() ?? [];
    }

    private static string? Tag(MetricPoint point, string key)
    {
        foreach (var tag in point.Tags)
            if (tag.Key == key) return tag.Value?.ToString();
        return null;
    }

}

/// <summary>
/// Tests that build a host with AddHangfire change Hangfire's process-wide configuration (its log provider): they run
/// alone, not in parallel with the tests that use their own job storages.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class HangfireGlobalStateCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "hangfire-global-state";
}
