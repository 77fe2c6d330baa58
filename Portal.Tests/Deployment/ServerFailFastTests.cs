using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Portal.Tests.Browser;

namespace Portal.Tests.Deployment;

/// <summary>
/// The real built Portal.Server, started with <c>Database:Provider=SqlServer</c> and a server nobody listens on, stops
/// within seconds with a non-zero exit code and a message naming the server (web role and worker role).
/// </summary>
public class ServerFailFastTests
{
    /// <summary>The built server next to this test build (bin/&lt;Configuration&gt;/net10.0).</summary>
    private static string ServerDll
    {
        get
        {
            var configuration = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name;
            return Path.Combine(PortalServerFixture.RepositoryRoot, "Portal.Server", "bin", configuration, "net10.0", "Portal.Server.dll");
        }
    }

    /// <summary>A loopback port with no listener (bound, then released).</summary>
    private static int ClosedPort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    [Theory]
    [InlineData("web")]
    [InlineData("worker")]
    public async Task Unreachable_sql_server_stops_the_process_within_seconds_naming_the_server(string role)
    {
        var server = $"tcp:127.0.0.1,{ClosedPort()}";
        var dataDirectory = Path.Combine(Path.GetTempPath(), "portal-failfast-" + Guid.NewGuid().ToString("n"));
        var args = role == "worker" ? new[] { ServerDll, "worker" } : [ServerDll, "--urls", "http://127.0.0.1:0"];
        var psi = new ProcessStartInfo("dotnet", args)
        {
            WorkingDirectory = Path.Combine(PortalServerFixture.RepositoryRoot, "Portal.Server"),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        psi.Environment["DOTNET_ENVIRONMENT"] = "Development";
        psi.Environment["DataDirectory"] = dataDirectory;
        psi.Environment["Database__Provider"] = "SqlServer";
        psi.Environment["Database__ConnectionString"] = $"Server={server};Database=Portal;User Id=sa;Password=not-a-secret;TrustServerCertificate=True";
        psi.Environment["Bootstrap__Enabled"] = "false";

        var clock = Stopwatch.StartNew();
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try { await process.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"The {role} process still ran after 60 s with an unreachable SQL Server.\n{await stdout}\n{await stderr}");
        }
        var seconds = clock.Elapsed.TotalSeconds;
        try { Directory.Delete(dataDirectory, recursive: true); } catch (IOException) { }

        var output = await stderr + await stdout;
        Assert.Equal(3, process.ExitCode); // DatabaseProbe.ExitCode, not a crash (134) or success
        Assert.Contains($"SQL Server '{server}' is unreachable", output);
        Assert.DoesNotContain("Unhandled exception", output);
        // Probe timeout 5 s + process start; generous for a loaded shared machine, far below the 30 s of the retries it replaces.
        Assert.True(seconds < 20, $"The {role} process took {seconds:F1} s to stop.");
    }
}
