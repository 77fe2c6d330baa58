namespace Portal.Core.Training;

/// <summary>
/// The latest heartbeat of one process that serves the <c>gpu</c> queue (the embedded web process or a
/// <c>worker</c>), written every <see cref="Interval"/> so that the Models page can show which workers are alive,
/// on which device they train, and how much memory they have left. A row older than <see cref="StaleAfter"/> is a
/// worker that stopped or lost the database.
/// </summary>
public class WorkerHeartbeat
{
    /// <summary>How often a worker writes its heartbeat.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(15);
    /// <summary>Age after which a heartbeat counts as lost (four missed beats).</summary>
    public static readonly TimeSpan StaleAfter = TimeSpan.FromSeconds(60);

    /// <summary>Key: the Hangfire server name of the process (<c>host:queues:pid</c>).</summary>
    public required string ServerName { get; set; }
    /// <summary>Host name of the machine.</summary>
    public required string Host { get; set; }
    /// <summary>Operating-system process id.</summary>
    public int ProcessId { get; set; }
    /// <summary>Queues served, comma-separated, in priority order (<c>gpu</c> or <c>gpu,default</c>).</summary>
    public required string Queues { get; set; }
    /// <summary>The torch device training runs on (<see cref="TorchDevice.Describe"/>: <c>CPU</c> or <c>CUDA (1 device(s))</c>).</summary>
    public required string Device { get; set; }
    /// <summary>Memory available to new allocations on the host, in MiB (Linux <c>MemAvailable</c>; else the GC's view).</summary>
    public long FreeMemoryMiB { get; set; }
    /// <summary>Physical memory of the host, in MiB.</summary>
    public long TotalMemoryMiB { get; set; }
    /// <summary>Number of Hangfire workers (concurrent jobs) of the process.</summary>
    public int WorkerCount { get; set; }
    /// <summary>When the process started (UTC).</summary>
    public DateTime StartedAt { get; set; }
    /// <summary>When the process last reported (UTC).</summary>
    public DateTime LastSeen { get; set; }

    /// <summary>Whether the heartbeat is older than <see cref="StaleAfter"/> at <paramref name="now"/> (UTC).</summary>
    public bool IsStale(DateTime now) => now - LastSeen > StaleAfter;
}
