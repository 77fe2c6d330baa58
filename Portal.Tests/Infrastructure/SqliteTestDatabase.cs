using Microsoft.EntityFrameworkCore;
using Portal.Core.Data;

namespace Portal.Tests.Infrastructure;

/// <summary>A real SQLite database in a temporary file, with the portal's schema; deleted on dispose.</summary>
public sealed class SqliteTestDatabase : IDisposable
{
    private readonly DbContextOptions<SqlitePortalDbContext> _options;

    /// <summary>Creates the database file and its schema.</summary>
    public SqliteTestDatabase()
    {
        Directory = Path.Combine(Path.GetTempPath(), "portal-tests", Guid.NewGuid().ToString("n"));
        System.IO.Directory.CreateDirectory(Directory);
        ConnectionString = $"Data Source={Path.Combine(Directory, "portal.db")};Pooling=False";
        _options = new DbContextOptionsBuilder<SqlitePortalDbContext>().UseSqlite(ConnectionString).Options;
        using var db = new SqlitePortalDbContext(_options);
        db.Database.Migrate();
        Factory = new ContextFactory(_options);
    }

    /// <summary>Temporary folder of this database (usable as the portal's data folder).</summary>
    public string Directory { get; }
    /// <summary>Connection string of the SQLite file.</summary>
    public string ConnectionString { get; }
    /// <summary>A factory of contexts on this database.</summary>
    public IDbContextFactory<PortalDbContext> Factory { get; }

    /// <summary>A new context on this database.</summary>
    public PortalDbContext CreateContext() => new SqlitePortalDbContext(_options);

    /// <inheritdoc />
    public void Dispose()
    {
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { }
    }

    private sealed class ContextFactory(DbContextOptions<SqlitePortalDbContext> options) : IDbContextFactory<PortalDbContext>
    {
        public PortalDbContext CreateDbContext() => new SqlitePortalDbContext(options);
    }
}
