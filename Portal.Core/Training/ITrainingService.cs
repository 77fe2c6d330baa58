namespace Portal.Core.Training;

/// <summary>Starts training runs as background jobs (Hangfire queue <c>gpu</c>).</summary>
public interface ITrainingService
{
    /// <summary>Names of the models this build can train (shared/FORMATS.md names).</summary>
    IReadOnlyList<string> TrainableModels { get; }

    /// <summary>Creates one queued <see cref="TrainingRun"/> per model and enqueues its job.</summary>
    /// <param name="models">Model names; unknown names throw.</param>
    /// <param name="triggeredBy">User name or <c>first-start</c>.</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>The ids of the new runs, in the order of <paramref name="models"/>.</returns>
    /// <exception cref="ArgumentException">A name is not a trainable model.</exception>
    Task<IReadOnlyList<int>> EnqueueAsync(IEnumerable<string> models, string triggeredBy, CancellationToken ct = default);
}
