using Bunit;
using Hangfire;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using Portal.Client.Pages;
using Portal.Core.Dashboards;
using Portal.Core.Training;

namespace Portal.Tests.Components;

/// <summary>The system health page over the real health service, real in-memory job storage with a real server, and the test database.</summary>
public sealed class SystemHealthPageTests : ComponentTestBase
{
    /// <summary>A job that fails, so that the failures table has a real entry.</summary>
    [AutomaticRetry(Attempts = 0)]
    public static void Fail() => throw new InvalidOperationException("deliberate failure for the health page");

    /// <summary>A job that succeeds.</summary>
    public static void Succeed() { }

    [Fact]
    public void Shows_servers_recent_jobs_failures_and_a_metric_drop_alert()
    {
        var now = DateTime.UtcNow;
        using (var db = Contexts.CreateDbContext())
        {
            // Two runs of itemknn: the latest NDCG@20 is 20 % below the previous one (alert at 10 %); popularity holds.
            foreach (var (model, at, ndcg) in new[] { ("itemknn", -2.0, 0.30), ("itemknn", -1.0, 0.24), ("popularity", -2.0, 0.09), ("popularity", -1.0, 0.09) })
                db.TrainingRuns.Add(new TrainingRun
                {
                    Model = model, Version = $"v{at}", Status = TrainingStatus.Succeeded, FinishedAt = now.AddHours(at),
                    Metrics = [new TrainingMetric { Task = "all", Name = "ndcg@20", Value = ndcg }],
                });
            // The heartbeat of the job server below (keyed by its configured name; Hangfire adds ":pid:guid" to its id).
            db.WorkerHeartbeats.Add(new WorkerHeartbeat { ServerName = "test-host:default:1", Host = "test-host", Queues = "default", Device = "CPU", FreeMemoryMiB = 1, TotalMemoryMiB = 2, LastSeen = now });
            db.SaveChanges();
        }
        using (var server = new BackgroundJobServer(new BackgroundJobServerOptions { ServerName = "test-host:default:1", Queues = ["default"], WorkerCount = 1 }, JobStorage))
        {
            Jobs.Enqueue(() => Succeed());
            Jobs.Enqueue(() => Fail());
            var monitoring = JobStorage.GetMonitoringApi();
            var sw = System.Diagnostics.Stopwatch.StartNew();
            while ((monitoring.SucceededListCount() < 1 || monitoring.FailedCount() < 1) && sw.Elapsed < TimeSpan.FromSeconds(30)) Thread.Sleep(100);
            Services.AddSingleton(new SystemHealthService(Contexts, JobStorage, new HealthOptions()));
            Render<MudPopoverProvider>();

            var cut = Render<SystemHealth>();

            cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid=health-alert]")));
            var alert = cut.Find("[data-testid=health-alert]");
            Assert.Equal("metric-drop", alert.GetAttribute("data-kind"));
            Assert.Contains("itemknn", alert.TextContent);
            Assert.Contains("0.3000", alert.TextContent);
            Assert.Contains("0.2400", alert.TextContent);
            Assert.Contains("20%", alert.TextContent);
            var serverRow = Assert.Single(cut.FindAll("[data-testid=server-row]"), r => r.TextContent.Contains("test-host:default:1"));
            Assert.Contains("CPU", serverRow.TextContent); // the device from the heartbeat
            Assert.Contains("SystemHealthPageTests.Succeed", cut.Find("[data-testid=succeeded-jobs]").TextContent);
            Assert.Contains("deliberate failure for the health page", cut.Find("[data-testid=failed-jobs]").TextContent);
        }
    }

    [Fact]
    public void Flags_stale_data()
    {
        using (var db = Contexts.CreateDbContext())
        {
            db.ImportRuns.Add(new Portal.Core.Data.Import.ImportRun
            {
                FileName = "old.csv", Format = Portal.Core.Data.Import.ImportFormat.UciOnlineRetail, Status = Portal.Core.Data.Import.ImportStatus.Succeeded,
                FinishedAt = DateTime.UtcNow.AddDays(-30), RequestedBy = "test",
            });
            db.SaveChanges();
        }
        Services.AddSingleton(new SystemHealthService(Contexts, JobStorage, new HealthOptions { StaleAfterDays = 7 }));
        Render<MudPopoverProvider>();
        var cut = Render<SystemHealth>();
        cut.WaitForAssertion(() => Assert.Equal("stale-data", cut.Find("[data-testid=health-alert]").GetAttribute("data-kind")));
        Assert.Contains("30 days", cut.Find("[data-testid=health-alert]").TextContent);
    }
}
