using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Portal.Core.Data;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Data;

/// <summary>Both providers' migration sets stay in step with the model.</summary>
public class MigrationTests
{
    [Fact]
    public void SqlServer_migrations_generate_an_idempotent_script_that_creates_every_table()
    {
        using var db = new SqlServerDesignTimeFactory().CreateDbContext([]);
        var script = db.GetService<IMigrator>().GenerateScript(options: MigrationsSqlGenerationOptions.Idempotent);
        Directory.CreateDirectory(Path.Combine(Browser.PortalServerFixture.RepositoryRoot, "artifacts"));
        File.WriteAllText(Path.Combine(Browser.PortalServerFixture.RepositoryRoot, "artifacts", "sqlserver-migrations.sql"), script);
        foreach (var entity in db.Model.GetEntityTypes())
            Assert.Contains($"CREATE TABLE [{entity.GetTableName()}]", script);
        Assert.Contains("IF NOT EXISTS", script);
    }

    [Theory]
    [InlineData("sqlserver")]
    [InlineData("sqlite")]
    public void Migrations_have_no_pending_model_changes(string provider)
    {
        using DbContext db = provider == "sqlserver"
            ? new SqlServerDesignTimeFactory().CreateDbContext([])
            : new SqliteDesignTimeFactory().CreateDbContext([]);
        Assert.False(db.Database.HasPendingModelChanges(),
            $"The {provider} model differs from its last migration: add a migration for both providers.");
    }

    [Fact]
    public void Sqlite_migrations_apply_to_an_empty_database()
    {
        using var database = new SqliteTestDatabase();
        using var db = database.CreateContext();
        Assert.Empty(db.Database.GetPendingMigrations());
        Assert.Equal(0, db.Products.Count());
    }
}
