using System.Diagnostics;
using Portal.Server.Hosting;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Deployment;

/// <summary>
/// The same built binary takes the worker role by configuration (<c>PORTAL_ROLE=worker</c>, no verb): it migrates its
/// database, serves the gpu queue and touches its liveness file, and opens no web port.
/// </summary>
public class WorkerRoleTests
{
    [Fact]
    public async Task Portal_role_setting_starts_the_worker_role_without_the_verb()
    {
        var dataDirectory = Path.Combine(Path.GetTempPath(), "portal-worker-role-" + Guid.NewGuid().ToString("n"));
        var heartbeat = Path.Combine(dataDirectory, "worker.alive");
        await using var process = PortalProcess.Start([], new Dictionary<string, string>
        {
            [WorkerHost.RoleVariable] = "worker",
            ["DataDirectory"] = dataDirectory,
            ["Worker__HeartbeatFile"] = heartbeat,
        });
        try
        {
            var clock = Stopwatch.StartNew();
            while (!File.Exists(heartbeat))
            {
                Assert.False(process.HasExited, $"The worker exited ({(process.HasExited ? process.ExitCode : 0)}).\n{process.Log}");
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(90), $"No heartbeat after 90 s.\n{process.Log}");
                await Task.Delay(500);
            }
            var text = process.Log;
            Assert.Contains("Worker started on queue 'gpu'", text);
            Assert.DoesNotContain("Now listening on", text); // no web host
            Assert.True(File.Exists(Path.Combine(dataDirectory, "portal.db")), "the worker migrated its SQLite database");
            Assert.True(DateTime.TryParse(await File.ReadAllTextAsync(heartbeat), out _));
        }
        finally
        {
            await process.DisposeAsync();
            try { Directory.Delete(dataDirectory, recursive: true); } catch (IOException) { }
        }
    }
}
