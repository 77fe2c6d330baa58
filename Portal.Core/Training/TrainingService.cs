using Hangfire;
using Microsoft.EntityFrameworkCore;
using Portal.Core.Data;
using Portal.Core.Recommendation;

namespace Portal.Core.Training;

/// <summary>Creates training runs and enqueues <see cref="TrainingJob"/> for each on the <c>gpu</c> queue, each continued by a tiers recomputation (<see cref="Tiers.SegmentationJob"/>).</summary>
public sealed class TrainingService(IDbContextFactory<PortalDbContext> dbFactory, IBackgroundJobClient jobs) : ITrainingService
{
    /// <inheritdoc />
    public IReadOnlyList<string> TrainableModels => Recommenders.Names;

    /// <inheritdoc />
    public async Task<IReadOnlyList<int>> EnqueueAsync(IEnumerable<string> models, string triggeredBy, CancellationToken ct = default)
    {
        var names = models.ToList();
        var unknown = names.Where(n => !TrainableModels.Contains(n)).ToList();
        if (unknown.Count > 0)
            throw new ArgumentException($"Not trainable: {string.Join(", ", unknown)}. Trainable models: {string.Join(", ", TrainableModels)}.", nameof(models));

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var stamp = DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", System.Globalization.CultureInfo.InvariantCulture);
        var runs = new List<TrainingRun>();
        foreach (var name in names)
        {
            var taken = await db.TrainingRuns.CountAsync(r => r.Model == name && r.Version.StartsWith(stamp), ct);
            var run = new TrainingRun { Model = name, Version = taken == 0 ? stamp : $"{stamp}-{taken + 1}", Status = TrainingStatus.Queued, TriggeredBy = triggeredBy, Seed = 42 };
            db.TrainingRuns.Add(run);
            runs.Add(run);
        }
        await db.SaveChangesAsync(ct);
        foreach (var run in runs)
        {
            var job = jobs.Enqueue<TrainingJob>(j => j.RunAsync(run.Id, CancellationToken.None));
            // New interest vectors (text2vec, GRU) change the topics and clusters: recompute the tiers after each run.
            jobs.ContinueJobWith<Tiers.SegmentationJob>(job, t => t.RunAsync("training", CancellationToken.None));
        }
        return runs.Select(r => r.Id).ToList();
    }
}
