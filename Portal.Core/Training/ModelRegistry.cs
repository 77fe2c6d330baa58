using Microsoft.EntityFrameworkCore;
using Portal.Core.Access;
using Portal.Core.Audit;
using Portal.Core.Data;
using Portal.Core.Recommendation;

namespace Portal.Core.Training;

/// <summary>What the audit log stores before and after a registry change: the model and its active version.</summary>
/// <param name="Model">Model name (<c>itemknn</c>, <c>ctr</c>, ...).</param>
/// <param name="ActiveRunId">Training run of the active version; null when none was active.</param>
/// <param name="ActiveVersion">The active version label; null when none was active.</param>
public sealed record RegistryState(string Model, int? ActiveRunId, string? ActiveVersion);

/// <summary>
/// Hand changes to the model registry (issue 7): an admin promotes a candidate or retired version to active, or rolls
/// a model back to the version that was active before the current one. Training activates versions automatically
/// (<see cref="TrainingJob"/>); these are the manual overrides. Each change is audited (<c>model.promote</c>,
/// <c>model.rollback</c>, before and after = <see cref="RegistryState"/>) in the same SaveChanges as the change.
/// Serving notices the new active version on its next request (<see cref="ModelStore"/> and the CTR predictor compare
/// versions), and this process's cache is dropped at once.
/// </summary>
public sealed class ModelRegistry(IDbContextFactory<PortalDbContext> dbFactory, ModelStore store)
{
    /// <summary>Makes training run <paramref name="runId"/>'s version the active one of its model (the active one is retired).</summary>
    /// <param name="runId">A succeeded run with an artifact, now candidate or retired.</param>
    /// <param name="actor">Who promotes; must be an admin.</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>The registry state after the change.</returns>
    /// <exception cref="UnauthorizedAccessException"><paramref name="actor"/> is not an admin.</exception>
    /// <exception cref="KeyNotFoundException">No such run.</exception>
    /// <exception cref="InvalidOperationException">The run did not succeed, has no artifact, or is already active.</exception>
    public Task<RegistryState> PromoteAsync(int runId, Actor actor, CancellationToken ct = default) =>
        ActivateAsync(actor, "model.promote", ct, async db =>
            await db.TrainingRuns.SingleOrDefaultAsync(r => r.Id == runId, ct) ?? throw new KeyNotFoundException($"Training run {runId} does not exist."));

    /// <summary>
    /// Reactivates the version of <paramref name="model"/> that was active before the current one: the retired version
    /// (succeeded, with an artifact) that finished last before the active version's run.
    /// </summary>
    /// <param name="model">Model name.</param>
    /// <param name="actor">Who rolls back; must be an admin.</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>The registry state after the change.</returns>
    /// <exception cref="UnauthorizedAccessException"><paramref name="actor"/> is not an admin.</exception>
    /// <exception cref="InvalidOperationException">The model has no active version or no earlier retired version to go back to.</exception>
    public Task<RegistryState> RollbackAsync(string model, Actor actor, CancellationToken ct = default) =>
        ActivateAsync(actor, "model.rollback", ct, async db =>
        {
            var active = await db.TrainingRuns.AsNoTracking().Where(r => r.Model == model && r.ModelStatus == ModelStatus.Active)
                .OrderByDescending(r => r.Id).FirstOrDefaultAsync(ct)
                ?? throw new InvalidOperationException($"Model '{model}' has no active version to roll back from.");
            return await db.TrainingRuns.Where(r => r.Model == model && r.ModelStatus == ModelStatus.Retired && r.Status == TrainingStatus.Succeeded
                        && r.ArtifactPath != null && r.Id < active.Id)
                    .OrderByDescending(r => r.Id).FirstOrDefaultAsync(ct)
                ?? throw new InvalidOperationException($"Model '{model}' has no earlier version to roll back to (active: {active.Version}).");
        });

    /// <summary>The versions <see cref="RollbackAsync"/> would reactivate, per model (models without one are left out).</summary>
    public async Task<IReadOnlyDictionary<string, int>> RollbackTargetsAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await db.TrainingRuns.AsNoTracking().Where(r => r.Status == TrainingStatus.Succeeded && r.ArtifactPath != null
                && (r.ModelStatus == ModelStatus.Active || r.ModelStatus == ModelStatus.Retired))
            .Select(r => new { r.Id, r.Model, r.ModelStatus }).ToListAsync(ct);
        var targets = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var g in rows.GroupBy(r => r.Model))
        {
            var active = g.Where(r => r.ModelStatus == ModelStatus.Active).Select(r => (int?)r.Id).Max();
            if (active is null) continue;
            var previous = g.Where(r => r.ModelStatus == ModelStatus.Retired && r.Id < active).Select(r => (int?)r.Id).Max();
            if (previous is { } p) targets[g.Key] = p;
        }
        return targets;
    }

    private async Task<RegistryState> ActivateAsync(Actor actor, string action, CancellationToken ct, Func<PortalDbContext, Task<TrainingRun>> target)
    {
        if (!actor.IsAdmin) throw new UnauthorizedAccessException($"Only administrators may change the model registry ({actor.UserName} is not one).");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var run = await target(db);
        if (run.Status != TrainingStatus.Succeeded || run.ArtifactPath is null)
            throw new InvalidOperationException($"Training run {run.Id} ({run.Model} {run.Version}) has no servable version (status {run.Status}).");
        if (run.ModelStatus == ModelStatus.Active)
            throw new InvalidOperationException($"Version {run.Version} of {run.Model} is already active.");
        var active = await db.TrainingRuns.Where(r => r.Model == run.Model && r.ModelStatus == ModelStatus.Active).ToListAsync(ct);
        var current = active.OrderByDescending(r => r.Id).FirstOrDefault();
        var before = new RegistryState(run.Model, current?.Id, current?.Version);
        foreach (var a in active) a.ModelStatus = ModelStatus.Retired;
        run.ModelStatus = ModelStatus.Active;
        run.Message = $"Activated by hand ({action}) by {actor.UserName} at {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC" +
                      (current is null ? "." : $"; replaced {current.Version}.");
        var after = new RegistryState(run.Model, run.Id, run.Version);
        AuditLog.Add(db, actor, action, nameof(TrainingRun), run.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), null, before, after);
        await db.SaveChangesAsync(ct);
        store.Invalidate(run.Model);
        return after;
    }
}
