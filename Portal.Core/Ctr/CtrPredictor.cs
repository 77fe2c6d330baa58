using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Portal.Core.Data;
using Portal.Core.Training;

namespace Portal.Core.Ctr;

/// <summary>The active CTR model for serving: click probabilities of feature rows (the push pipeline and campaigns rank with it).</summary>
public interface ICtrModel
{
    /// <summary>The active version's label, or null when no CTR model is active.</summary>
    /// <param name="ct">Cancellation.</param>
    Task<string?> ActiveVersionAsync(CancellationToken ct = default);

    /// <summary>Click probability in [0, 1] of each row, in order; null when no CTR model is active.</summary>
    /// <param name="rows">Feature rows (<see cref="CtrFeatures.Build"/>).</param>
    /// <param name="ct">Cancellation.</param>
    /// <exception cref="FileNotFoundException">The active version's artifact is missing.</exception>
    Task<double[]?> PredictAsync(IReadOnlyList<CtrFeatures> rows, CancellationToken ct = default);
}

/// <summary>
/// <see cref="ICtrModel"/> on the model registry: the active <c>ctr</c> training run's artifact is loaded once per
/// version (a version activated by another process is noticed on the next call) and kept in memory.
/// </summary>
public sealed class CtrPredictor(IDbContextFactory<PortalDbContext> dbFactory, PortalPaths paths, ILogger<CtrPredictor> logger) : ICtrModel
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private (string Version, CtrModel Model)? _loaded;

    /// <inheritdoc />
    public async Task<string?> ActiveVersionAsync(CancellationToken ct = default) => (await ActiveAsync(ct))?.Version;

    /// <inheritdoc />
    public async Task<double[]?> PredictAsync(IReadOnlyList<CtrFeatures> rows, CancellationToken ct = default)
    {
        var active = await ActiveAsync(ct);
        if (active is null) return null;
        var loaded = _loaded;
        if (loaded is null || loaded.Value.Version != active.Version)
        {
            await _gate.WaitAsync(ct);
            try
            {
                if (_loaded is null || _loaded.Value.Version != active.Version)
                {
                    var file = Path.Combine(paths.Models, active.ArtifactPath);
                    _loaded = (active.Version, await Task.Run(() => CtrModel.Load(file), ct));
                    logger.LogInformation("Loaded CTR model {Version} from {File}", active.Version, file);
                }
                loaded = _loaded;
            }
            finally { _gate.Release(); }
        }
        return loaded!.Value.Model.Predict(rows);
    }

    private async Task<ActiveVersion?> ActiveAsync(CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.TrainingRuns.AsNoTracking()
            .Where(r => r.Model == CtrTrainingJob.ModelName && r.ModelStatus == ModelStatus.Active && r.ArtifactPath != null)
            .OrderByDescending(r => r.Id).Select(r => new ActiveVersion(r.Version, r.ArtifactPath!)).FirstOrDefaultAsync(ct);
    }

    private sealed record ActiveVersion(string Version, string ArtifactPath);
}
