using Hangfire;
using Microsoft.EntityFrameworkCore;
using Portal.Core.Data;
using Portal.Core.Jobs;

namespace Portal.Server.Hosting;

/// <summary>
/// On an empty database (no events, no import ever run), queues <see cref="FirstStartJob"/>: the bundled dataset is
/// imported and the first models are trained. Runs after <see cref="DatabaseMigrator"/>.
/// </summary>
public sealed class FirstStart(IDbContextFactory<PortalDbContext> dbFactory, IBackgroundJobClient jobs, BootstrapOptions options,
    ILogger<FirstStart> logger) : IHostedService
{
    /// <inheritdoc />
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!options.Enabled) return;
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        if (await db.ImportRuns.AnyAsync(cancellationToken) || await db.Events.AnyAsync(cancellationToken)) return;

        var file = options.DataFile ?? Path.Combine(AppContext.BaseDirectory, "bundled", "online_retail.csv.gz");
        if (!File.Exists(file))
        {
            logger.LogWarning("First start: the data file {File} does not exist; the portal starts empty.", file);
            return;
        }
        var models = (options.Models ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        jobs.Enqueue<FirstStartJob>(j => j.RunAsync(Path.GetFullPath(file), models, CancellationToken.None));
        logger.LogInformation("First start: the database is empty; importing {File} and training {Models}.", file,
            models.Length > 0 ? string.Join(", ", models) : "every model");
    }

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
