using Microsoft.EntityFrameworkCore;
using Portal.Core.Data;

namespace Portal.Server.Hosting;

/// <summary>
/// Applies the provider's migrations at start-up, before the web host serves requests (eShop's pattern).
/// Fails fast with a clear message when the database cannot be reached.
/// </summary>
public sealed class DatabaseMigrator(IDbContextFactory<PortalDbContext> factory, DatabaseOptions options, ILogger<DatabaseMigrator> logger) : IHostedService
{
    /// <inheritdoc />
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        try
        {
            var pending = (await db.Database.GetPendingMigrationsAsync(cancellationToken)).ToList();
            if (pending.Count > 0)
                logger.LogInformation("Applying {Count} migration(s) to the {Provider} database: {Names}", pending.Count, options.Provider, string.Join(", ", pending));
            await db.Database.MigrateAsync(cancellationToken);
            if (!options.IsSqlServer)
                // Write-ahead logging lets pages read while a long import transaction writes.
                await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw new InvalidOperationException(
                $"The {options.Provider} database could not be migrated: {ex.GetBaseException().Message}. " +
                "Check Database:Provider and Database:ConnectionString.", ex);
        }
    }

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
