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

    /// <summary>
    /// Cancels a queued, searching or running training run: its jobs are deleted (a running job stops at its next
    /// cancellation check) and the run is marked Cancelled at once; the active model is never replaced by it.
    /// </summary>
    /// <param name="trainingRunId">The run.</param>
    /// <param name="cancelledBy">Who cancels (user name), recorded in the run's message.</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>False when the run had already ended (nothing to cancel).</returns>
    /// <exception cref="KeyNotFoundException">No such run.</exception>
    Task<bool> CancelAsync(int trainingRunId, string cancelledBy, CancellationToken ct = default);
}
