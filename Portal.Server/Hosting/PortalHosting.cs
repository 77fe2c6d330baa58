using Hangfire;
using Hangfire.SqlServer;
using Hangfire.Storage.SQLite;
using Portal.Core;
using Portal.Core.Data;
using Portal.Core.Data.Import;
using Portal.Core.Training;

namespace Portal.Server.Hosting;

/// <summary>
/// Service registrations shared by the web host and the worker host: the same binary serves both roles,
/// chosen by the <c>worker</c> verb (DESIGN.md, "Runtime pieces").
/// </summary>
public static class PortalHosting
{
    /// <summary>Hangfire queue for model training (served by GPU workers in compose).</summary>
    public const string GpuQueue = "gpu";
    /// <summary>Hangfire queue for imports, tiers, batches, delivery and metrics.</summary>
    public const string DefaultQueue = "default";

    /// <summary>
    /// Registers Portal.Core (database, capabilities) and Hangfire (storage follows the database: SQLite file
    /// <c>hangfire.db</c> in the data folder, or SQL Server) with a server on <paramref name="queues"/>.
    /// </summary>
    /// <param name="services">The container.</param>
    /// <param name="configuration">Configuration: sections <c>Database</c>, <c>DataDirectory</c>, <c>Jobs:WorkerCount</c>.</param>
    /// <param name="contentRoot">Content root; the default data folder is <c>data</c> under it.</param>
    /// <param name="queues">Queues this process serves, in priority order; null for a process that only enqueues (no job server).</param>
    /// <returns>The resolved data folder (absolute).</returns>
    public static string AddPortalServer(this IServiceCollection services, IConfiguration configuration, string contentRoot, string[]? queues)
    {
        var database = configuration.GetSection("Database").Get<DatabaseOptions>() ?? new DatabaseOptions();
        var dataDirectory = Path.GetFullPath(configuration["DataDirectory"] ?? Path.Combine(contentRoot, "data"));
        services.AddPortalCore(database, dataDirectory, configuration.GetSection("Training").Get<TrainingOptions>(),
            configuration.GetSection("Backtest").Get<Portal.Core.Backtest.BacktestSettings>(),
            configuration.GetSection("Health").Get<Portal.Core.Dashboards.HealthOptions>(),
            configuration.GetSection("Delivery").Get<Portal.Core.Delivery.DeliveryOptions>());
        // Hosted services start in registration order: migrate before the job server picks up work.
        services.AddHostedService<DatabaseMigrator>();

        services.AddHangfire(h =>
        {
            h.SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
             .UseSimpleAssemblyNameTypeSerializer()
             .UseRecommendedSerializerSettings();
            // Job durations as OpenTelemetry metrics and spans (Telemetry.cs).
            JobTelemetryFilter.Register();
            if (database.IsSqlServer)
                h.UseSqlServerStorage(database.ConnectionString, new SqlServerStorageOptions
                {
                    QueuePollInterval = TimeSpan.FromSeconds(1),
                    PrepareSchemaIfNecessary = true,
                });
            else
                // Default queue polling is 15 s; 1 s keeps imports and training responsive in the UI.
                h.UseSQLiteStorage(Path.Combine(dataDirectory, "hangfire.db"), new SQLiteStorageOptions { QueuePollInterval = TimeSpan.FromSeconds(1) });
        });
        services.AddPortalImport();
        if (queues is null) return dataDirectory;
        var workers = configuration.GetValue<int?>("Jobs:WorkerCount") ?? Math.Max(2, Environment.ProcessorCount);
        var identity = WorkerIdentity.ForThisProcess(queues);
        services.AddSingleton(identity);
        services.AddHangfireServer(o =>
        {
            o.Queues = queues;
            o.WorkerCount = workers;
            o.ServerName = identity.ServerName;
        });
        // Processes that train report a heartbeat (host, device, free memory) for the Models page.
        if (queues.Contains(GpuQueue))
            services.AddHostedService(sp => new WorkerHeartbeatService(
                sp.GetRequiredService<Microsoft.EntityFrameworkCore.IDbContextFactory<PortalDbContext>>(), identity, workers,
                configuration["Worker:HeartbeatFile"] ?? Path.Combine(Path.GetTempPath(), "portal-worker.alive"),
                sp.GetRequiredService<ILogger<WorkerHeartbeatService>>()));
        return dataDirectory;
    }

    /// <summary>
    /// The queues the web process serves: both (<c>gpu</c>, <c>default</c>) in the embedded default, only
    /// <c>default</c> when <c>Jobs:ServeGpuQueue</c> is false because separate <c>worker</c> processes train.
    /// </summary>
    /// <param name="configuration">Configuration with the optional <c>Jobs:ServeGpuQueue</c> (default true).</param>
    public static string[] WebQueues(IConfiguration configuration) =>
        configuration.GetValue("Jobs:ServeGpuQueue", true) ? [GpuQueue, DefaultQueue] : [DefaultQueue];
}
