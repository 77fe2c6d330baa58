using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Portal.Tests.Browser;

namespace Portal.Tests.Infrastructure;

/// <summary>
/// A real Portal.Server process started from its build output (<c>Portal.Server/bin/&lt;Configuration&gt;/net10.0</c>,
/// the configuration of the running tests) with the given arguments and environment; its output is kept for failure
/// messages and the process tree is killed on dispose.
/// </summary>
public sealed class PortalProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();

    private PortalProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => { lock (_log) _log.AppendLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { lock (_log) _log.AppendLine(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>Starts <c>dotnet Portal.Server.dll</c> with <paramref name="args"/> in the Development environment.</summary>
    /// <param name="args">Command-line arguments (<c>--urls …</c>, or the <c>worker</c> verb).</param>
    /// <param name="environment">Environment variables (configuration such as <c>DataDirectory</c>).</param>
    public static PortalProcess Start(IEnumerable<string> args, IReadOnlyDictionary<string, string> environment)
    {
        var configuration = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name; // bin/<Configuration>/net10.0
        var root = PortalServerFixture.RepositoryRoot;
        var serverDll = Path.Combine(root, "Portal.Server", "bin", configuration, "net10.0", "Portal.Server.dll");
        var psi = new ProcessStartInfo("dotnet", [serverDll, .. args])
        {
            WorkingDirectory = Path.Combine(root, "Portal.Server"),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        psi.Environment["DOTNET_ENVIRONMENT"] = "Development";
        psi.Environment["ASPNETCORE_CONTENTROOT"] = Path.Combine(root, "Portal.Server");
        foreach (var (key, value) in environment) psi.Environment[key] = value;
        return new PortalProcess(Process.Start(psi)!);
    }

    /// <summary>The operating-system process id.</summary>
    public int Id => _process.Id;

    /// <summary>Whether the process has exited.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>The exit code (only after it exited).</summary>
    public int ExitCode => _process.ExitCode;

    /// <summary>What the process printed so far.</summary>
    public string Log { get { lock (_log) return _log.ToString(); } }

    /// <summary>Waits for the process to exit.</summary>
    /// <param name="timeout">How long to wait.</param>
    /// <returns>False when it is still running after <paramref name="timeout"/>.</returns>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try { await _process.WaitForExitAsync(cts.Token); return true; }
        catch (OperationCanceledException) { return false; }
    }

    /// <summary>A free TCP port on the loopback interface.</summary>
    public static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    /// <summary>Polls <paramref name="condition"/> every second until it holds; fails when any of <paramref name="processes"/> exits first.</summary>
    /// <param name="condition">The condition (SQLite busy errors count as "not yet").</param>
    /// <param name="timeout">How long to wait.</param>
    /// <param name="what">What is awaited, for the message.</param>
    /// <param name="processes">Processes that must keep running.</param>
    /// <exception cref="TimeoutException">The condition did not hold in time (the processes' output is in the message).</exception>
    /// <exception cref="InvalidOperationException">A process exited.</exception>
    public static async Task WaitForAsync(Func<Task<bool>> condition, TimeSpan timeout, string what, params PortalProcess[] processes)
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < timeout)
        {
            foreach (var p in processes)
                if (p.HasExited)
                    throw new InvalidOperationException($"A portal process exited ({p.ExitCode}) while waiting for {what}.\n{p.Log}");
            try { if (await condition()) return; } catch (Microsoft.Data.Sqlite.SqliteException) { }
            await Task.Delay(1000);
        }
        throw new TimeoutException($"Timed out after {timeout} waiting for {what}.\n" + string.Join("\n----\n", processes.Select(p => p.Log)));
    }

    private bool _disposed;

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}
