using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Portal.Core;
using Portal.Core.Access;
using Portal.Core.Audit;
using Portal.Core.Recommendation;
using Portal.Core.Training;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Access;

/// <summary>
/// Hand promotion and rollback of model versions (<see cref="ModelRegistry"/>) on a real SQLite database: only admins,
/// only servable versions, and each change writes its audit entry with the active version before and after.
/// </summary>
public sealed class ModelRegistryTests : IDisposable
{
    private readonly SqliteTestDatabase _db = new();
    private readonly ModelRegistry _registry;
    private readonly int _v1, _v2, _v3, _failed;
    private static readonly Actor Admin = new("admin-id", "admin@portal.local", new HashSet<string> { PortalRoles.Admin }, null);
    private static readonly Actor Operations = new("ops-id", "operations@portal.local", new HashSet<string> { PortalRoles.Operations }, null);

    public ModelRegistryTests()
    {
        _registry = new ModelRegistry(_db.Factory, new ModelStore(_db.Factory, new PortalPaths(_db.Directory), NullLogger<ModelStore>.Instance));
        using var db = _db.CreateContext();
        TrainingRun Run(string version, ModelStatus status, TrainingStatus training = TrainingStatus.Succeeded) => new()
        {
            Model = "itemknn", Version = version, Status = training, ModelStatus = status,
            ArtifactPath = training == TrainingStatus.Succeeded ? $"itemknn/{version}.bin" : null,
        };
        var v1 = Run("v1", ModelStatus.Retired);
        var v2 = Run("v2", ModelStatus.Active);
        var v3 = Run("v3", ModelStatus.Candidate);
        var failed = Run("v4", ModelStatus.Candidate, TrainingStatus.Failed);
        db.TrainingRuns.AddRange(v1, v2, v3, failed);
        db.SaveChanges();
        (_v1, _v2, _v3, _failed) = (v1.Id, v2.Id, v3.Id, failed.Id);
    }

    private async Task<Dictionary<string, ModelStatus>> StatusesAsync()
    {
        await using var db = _db.CreateContext();
        return await db.TrainingRuns.ToDictionaryAsync(r => r.Version, r => r.ModelStatus);
    }

    [Fact]
    public async Task Promote_activates_the_candidate_retires_the_active_one_and_audits_before_and_after()
    {
        var after = await _registry.PromoteAsync(_v3, Admin);
        Assert.Equal(new RegistryState("itemknn", _v3, "v3"), after);
        var statuses = await StatusesAsync();
        Assert.Equal(ModelStatus.Active, statuses["v3"]);
        Assert.Equal(ModelStatus.Retired, statuses["v2"]);
        await using var db = _db.CreateContext();
        var entry = await db.AuditEntries.SingleAsync();
        Assert.Equal("model.promote", entry.Action);
        Assert.Equal("admin@portal.local", entry.UserName);
        Assert.Equal("admin-id", entry.UserId);
        Assert.Equal(nameof(TrainingRun), entry.EntityType);
        Assert.Equal(_v3.ToString(), entry.EntityId);
        using var before = JsonDocument.Parse(entry.BeforeJson!);
        using var afterJson = JsonDocument.Parse(entry.AfterJson!);
        Assert.Equal("v2", before.RootElement.GetProperty("ActiveVersion").GetString());
        Assert.Equal(_v2, before.RootElement.GetProperty("ActiveRunId").GetInt32());
        Assert.Equal("v3", afterJson.RootElement.GetProperty("ActiveVersion").GetString());
        Assert.InRange(entry.At, DateTime.UtcNow.AddMinutes(-1), DateTime.UtcNow.AddSeconds(1));
        // The audit page's query finds it by action and user.
        var (rows, total) = await AuditQuery.PageAsync(db, new AuditFilter("model.promote", "ADMIN", DateTime.UtcNow.Date, DateTime.UtcNow.Date), 0, 25);
        Assert.Equal(1, total);
        Assert.Equal(entry.Id, rows.Single().Id);
        Assert.Equal(0, (await AuditQuery.PageAsync(db, new AuditFilter("model.rollback"), 0, 25)).Total);
        Assert.Equal(0, (await AuditQuery.PageAsync(db, new AuditFilter(User: "ops"), 0, 25)).Total);
        Assert.Equal(0, (await AuditQuery.PageAsync(db, new AuditFilter(To: DateTime.UtcNow.Date.AddDays(-1)), 0, 25)).Total);
    }

    [Fact]
    public async Task Rollback_reactivates_the_version_active_before_and_audits_it()
    {
        Assert.Equal(new Dictionary<string, int> { ["itemknn"] = _v1 }, await _registry.RollbackTargetsAsync());
        var after = await _registry.RollbackAsync("itemknn", Admin);
        Assert.Equal("v1", after.ActiveVersion);
        var statuses = await StatusesAsync();
        Assert.Equal(ModelStatus.Active, statuses["v1"]);
        Assert.Equal(ModelStatus.Retired, statuses["v2"]);
        Assert.Equal(ModelStatus.Candidate, statuses["v3"]);
        await using var db = _db.CreateContext();
        var entry = await db.AuditEntries.SingleAsync();
        Assert.Equal("model.rollback", entry.Action);
        Assert.Contains("\"ActiveVersion\":\"v2\"", entry.BeforeJson);
        Assert.Contains("\"ActiveVersion\":\"v1\"", entry.AfterJson);
        // Nothing earlier than v1 to go back to.
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => _registry.RollbackAsync("itemknn", Admin));
        Assert.Contains("no earlier version", e.Message);
    }

    [Fact]
    public async Task Non_admins_failed_runs_and_the_active_version_are_refused_without_any_change()
    {
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => _registry.PromoteAsync(_v3, Operations));
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => _registry.RollbackAsync("itemknn", Operations));
        var failed = await Assert.ThrowsAsync<InvalidOperationException>(() => _registry.PromoteAsync(_failed, Admin));
        Assert.Contains("no servable version", failed.Message);
        var active = await Assert.ThrowsAsync<InvalidOperationException>(() => _registry.PromoteAsync(_v2, Admin));
        Assert.Contains("already active", active.Message);
        await Assert.ThrowsAsync<KeyNotFoundException>(() => _registry.PromoteAsync(99999, Admin));
        var statuses = await StatusesAsync();
        Assert.Equal(ModelStatus.Active, statuses["v2"]);
        Assert.Equal(ModelStatus.Candidate, statuses["v3"]);
        await using var db = _db.CreateContext();
        Assert.Equal(0, await db.AuditEntries.CountAsync());
    }

    public void Dispose() => _db.Dispose();
}
