namespace Portal.Core.Training;

/// <summary>
/// Who this process is as a job server: its Hangfire server name (<c>host:queues:pid</c>) and the queues it serves.
/// Registered by the host; training runs record it (<see cref="TrainingRun.TrainedOn"/>) and the heartbeat uses it as key.
/// </summary>
/// <param name="ServerName">Hangfire server name, <c>host:queue+queue:pid</c>.</param>
/// <param name="Queues">Queues served, in priority order (empty for a process that only enqueues).</param>
public sealed record WorkerIdentity(string ServerName, IReadOnlyList<string> Queues)
{
    /// <summary>The identity of this process for <paramref name="queues"/>: <c>MachineName:q1+q2:pid</c>.</summary>
    /// <param name="queues">Queues served, in priority order.</param>
    public static WorkerIdentity ForThisProcess(IReadOnlyList<string> queues) =>
        new($"{Environment.MachineName}:{string.Join('+', queues)}:{Environment.ProcessId}", queues);
}
