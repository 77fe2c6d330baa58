namespace Portal.Server.Hosting;

/// <summary>
/// The <c>worker</c> verb: the same binary without the web host, serving only the <c>gpu</c> queue against the
/// same database and job storage (DESIGN.md, "Runtime pieces"). Several workers on several hosts share the queue.
/// </summary>
public static class WorkerHost
{
    /// <summary>Environment variable that chooses the role without a verb (same image and command line): <c>worker</c> or <c>web</c> (default).</summary>
    public const string RoleVariable = "PORTAL_ROLE";

    /// <summary>
    /// True when the process was started without a verb (no arguments, or only <c>--key value</c> settings) and
    /// <see cref="RoleVariable"/> says <c>worker</c>: the worker role chosen by configuration instead of the verb.
    /// </summary>
    /// <param name="args">The process arguments.</param>
    public static bool SelectedByEnvironment(string[] args) =>
        (args.Length == 0 || args[0].StartsWith('-')) &&
        string.Equals(Environment.GetEnvironmentVariable(RoleVariable), "worker", StringComparison.OrdinalIgnoreCase);

    /// <summary>Runs the worker until it is stopped (Ctrl+C, SIGTERM); returns the exit code.</summary>
    /// <param name="args">Further arguments, read as configuration (<c>--Database:Provider SqlServer</c>).</param>
    public static async Task<int> RunAsync(string[] args)
    {
        var builder = Host.CreateApplicationBuilder(args);
        if (await DatabaseProbe.FailFastAsync(builder.Configuration, Console.Error) is { } probeExit) return probeExit;
        builder.Services.AddPortalServer(builder.Configuration, builder.Environment.ContentRootPath, [PortalHosting.GpuQueue]);
        builder.Services.AddPortalTelemetry(builder.Configuration, "portal-worker");
        using var host = builder.Build();
        host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Portal.Worker")
            .LogInformation("Worker started on queue '{Queue}' ({Device}).", PortalHosting.GpuQueue, Portal.Core.Training.TorchDevice.Describe());
        await host.RunAsync();
        return 0;
    }
}
