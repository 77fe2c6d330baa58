using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Portal.Core.Data;
using Portal.Core.Training;

namespace Portal.Core.Recommendation;

/// <summary>
/// Keeps the active version of each model loaded in memory for serving (preview, push lists). The registry table
/// says which version is active; a version activated by another process (a GPU worker) is noticed on the next call,
/// since each call compares the cached version with the registry (one indexed query).
/// </summary>
public sealed class ModelStore(IDbContextFactory<PortalDbContext> dbFactory, PortalPaths paths, ILogger<ModelStore> logger)
{
    private readonly ConcurrentDictionary<string, ServingModel> _loaded = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _locks = new(StringComparer.Ordinal);

    /// <summary>The active serving model of <paramref name="model"/>, loading its artifact when needed.</summary>
    /// <returns>Null when the model has no active version with an artifact.</returns>
    /// <exception cref="InvalidDataException">The artifact file is damaged or of another format.</exception>
    public async Task<ServingModel?> GetActiveAsync(string model, CancellationToken ct = default)
    {
        ActiveVersion? active;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
            active = await db.TrainingRuns.AsNoTracking()
                .Where(r => r.Model == model && r.ModelStatus == ModelStatus.Active && r.ArtifactPath != null)
                .OrderByDescending(r => r.Id)
                .Select(r => new ActiveVersion(r.Version, r.ArtifactPath!))
                .FirstOrDefaultAsync(ct);
        if (active is null) return null;
        if (_loaded.TryGetValue(model, out var cached) && cached.Version == active.Version) return cached;

        var gate = _locks.GetOrAdd(model, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        try
        {
            if (_loaded.TryGetValue(model, out cached) && cached.Version == active.Version) return cached;
            var file = Path.Combine(paths.Models, active.ArtifactPath);
            var loaded = await Task.Run(() =>
            {
                using var s = File.OpenRead(file);
                return ServingModel.Load(s);
            }, ct);
            _loaded[model] = loaded;
            logger.LogInformation("Loaded {Model} version {Version} from {File}", model, loaded.Version, file);
            return loaded;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Drops the cached version of <paramref name="model"/> (after a training run changed the registry).</summary>
    public void Invalidate(string model) => _loaded.TryRemove(model, out _);

    private sealed record ActiveVersion(string Version, string ArtifactPath);
}
