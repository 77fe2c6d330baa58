using Hangfire;
using Microsoft.EntityFrameworkCore;
using Portal.Core.Data;
using Portal.Core.Recommendation;

namespace Portal.Core.Training;

/// <summary>
/// Creates training runs and enqueues, for each, the hyper-parameter search job (<see cref="TrainingJob.SearchAsync"/>)
/// and the training job as its continuation (<see cref="TrainingJob.RunAsync"/>), both on the <c>gpu</c> queue, then a
/// tiers recomputation (<see cref="Tiers.SegmentationJob"/>) after the training; cancels runs by deleting their jobs
/// (Hangfire then cancels the running job's token). A <c>ctr</c> run is one <see cref="Ctr.CtrTrainingJob"/>, which
/// trains from the feedback table with its own validation choice.
/// </summary>
public sealed class TrainingService(IDbContextFactory<PortalDbContext> dbFactory, IBackgroundJobClient jobs) : ITrainingService
{
    /// <inheritdoc />
    public IReadOnlyList<string> TrainableModels { get; } = [.. Recommenders.Names, Ctr.CtrTrainingJob.ModelName];

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
            if (run.Model == Ctr.CtrTrainingJob.ModelName)
            {
                run.JobIds = jobs.Enqueue<Ctr.CtrTrainingJob>(j => j.RunAsync(run.Id, CancellationToken.None));
                continue;
            }
            var search = jobs.Enqueue<TrainingJob>(j => j.SearchAsync(run.Id, CancellationToken.None));
            var train = jobs.ContinueJobWith<TrainingJob>(search, j => j.RunAsync(run.Id, CancellationToken.None));
            run.JobIds = $"{search};{train}";
            // New interest vectors (text2vec, GRU) change the topics and clusters: recompute the tiers after each run.
            jobs.ContinueJobWith<Tiers.SegmentationJob>(train, t => t.RunAsync("training", CancellationToken.None));
        }
        await db.SaveChangesAsync(ct);
        return runs.Select(r => r.Id).ToList();
    }

    /// <inheritdoc />
    public async Task<bool> CancelAsync(int trainingRunId, string cancelledBy, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var run = await db.TrainingRuns.FindAsync([trainingRunId], ct) ?? throw new KeyNotFoundException($"Training run {trainingRunId} does not exist.");
        if (run.Status is not (TrainingStatus.Queued or TrainingStatus.Searching or TrainingStatus.Running)) return false;
        // Deleting a processing job makes Hangfire cancel its token within the server's cancellation check interval;
        // the job then records Cancelled itself. A job that has not started is simply never run.
        foreach (var id in (run.JobIds ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries))
            jobs.Delete(id);
        run.Status = TrainingStatus.Cancelled;
        run.FinishedAt = DateTime.UtcNow;
        run.Message = $"Cancelled by {cancelledBy}.";
        await db.SaveChangesAsync(ct);
        return true;
    }
}
