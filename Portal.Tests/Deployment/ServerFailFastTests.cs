using System.Diagnostics;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Deployment;

/// <summary>
/// The real built Portal.Server, started with <c>Database:Provider=SqlServer</c> and a server nobody listens on, stops
/// within seconds with a non-zero exit code and a message naming the server (web role and worker role).
/// </summary>
public class ServerFailFastTests
{
    [Theory]
    [InlineData("web")]
    [InlineData("worker")]
    public async Task Unreachable_sql_server_stops_the_process_within_seconds_naming_the_server(string role)
    {
        // A loopback port that was free a moment ago: nobody listens on it.
        var server = $"tcp:127.0.0.1,{PortalProcess.FreePort()}";
        var dataDirectory = Path.Combine(Path.GetTempPath(), "portal-failfast-" + Guid.NewGuid().ToString("n"));
        string[] args = role == "worker" ? ["worker"] : ["--urls", "http://127.0.0.1:0"];

        var clock = Stopwatch.StartNew();
        await using var process = PortalProcess.Start(args, new Dictionary<string, string>
        {
            ["DataDirectory"] = dataDirectory,
            ["Database__Provider"] = "SqlServer",
            ["Database__ConnectionString"] = $"Server={server};Database=Portal;User Id=sa;Password=not-a-secret;TrustServerCertificate=True",
            ["Bootstrap__Enabled"] = "false",
        });
        if (!await process.WaitForExitAsync(TimeSpan.FromSeconds(60)))
            Assert.Fail($"The {role} process still ran after 60 s with an unreachable SQL Server.\n{process.Log}");
        var seconds = clock.Elapsed.TotalSeconds;
        try { Directory.Delete(dataDirectory, recursive: true); } catch (IOException) { }

        var output = process.Log;
        Assert.Equal(3, process.ExitCode); // DatabaseProbe.ExitCode, not a crash (134) or success
        Assert.Contains($"SQL Server '{server}' is unreachable", output);
        Assert.DoesNotContain("Unhandled exception", output);
        // Probe timeout 5 s + process start; generous for a loaded shared machine, far below the 30 s of the retries it replaces.
        Assert.True(seconds < 20, $"The {role} process took {seconds:F1} s to stop.");
    }
}
