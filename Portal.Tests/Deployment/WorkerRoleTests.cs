using System.Diagnostics;
using System.Text;
using Portal.Server.Hosting;
using Portal.Tests.Browser;

namespace Portal.Tests.Deployment;

/// <summary>
/// The same built binary takes the worker role by configuration (<c>PORTAL_ROLE=worker</c>, no verb): it migrates its
/// database, serves the gpu queue and touches its heartbeat file, and opens no web port.
/// </summary>
public class WorkerRoleTests
{
    [Fact]
    public async Task Portal_role_setting_starts_the_worker_role_without_the_verb()
    {
        var configuration = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name;
        var serverDll = Path.Combine(PortalServerFixture.RepositoryRoot, "Portal.Server", "bin", configuration, "net10.0", "Portal.Server.dll");
        var dataDirectory = Path.Combine(Path.GetTempPath(), "portal-worker-role-" + Guid.NewGuid().ToString("n"));
        var heartbeat = Path.Combine(dataDirectory, "worker.alive");
        var psi = new ProcessStartInfo("dotnet", [serverDll])
        {
            WorkingDirectory = Path.Combine(PortalServerFixture.RepositoryRoot, "Portal.Server"),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.Environment[WorkerHost.RoleVariable] = "worker";
        psi.Environment["DOTNET_ENVIRONMENT"] = "Development";
        psi.Environment["DataDirectory"] = dataDirectory;
        psi.Environment["Worker__HeartbeatFile"] = heartbeat;
        var log = new StringBuilder();
        using var process = Process.Start(psi)!;
        process.OutputDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            var clock = Stopwatch.StartNew();
            while (!File.Exists(heartbeat))
            {
                Assert.False(process.HasExited, $"The worker exited ({(process.HasExited ? process.ExitCode : 0)}).\n{log}");
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(90), $"No heartbeat after 90 s.\n{log}");
                await Task.Delay(500);
            }
            string text;
            lock (log) text = log.ToString();
            Assert.Contains("Worker started on queue 'gpu'", text);
            Assert.DoesNotContain("Now listening on", text); // no web host
            Assert.True(File.Exists(Path.Combine(dataDirectory, "portal.db")), "the worker migrated its SQLite database");
            Assert.True(DateTime.TryParse(await File.ReadAllTextAsync(heartbeat), out _));
        }
        finally
        {
            if (!process.HasExited) { process.Kill(entireProcessTree: true); await process.WaitForExitAsync(); }
            try { Directory.Delete(dataDirectory, recursive: true); } catch (IOException) { }
        }
    }
}
