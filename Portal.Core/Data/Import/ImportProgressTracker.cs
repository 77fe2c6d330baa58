using System.Collections.Concurrent;

namespace Portal.Core.Data.Import;

/// <summary>Live progress of a running import.</summary>
/// <param name="ImportRunId">The import run.</param>
/// <param name="Fraction">Done so far, 0 to 1.</param>
/// <param name="Phase">What the job is doing (<c>reading</c>, <c>storing events 120,000 / 400,000</c>, …).</param>
/// <param name="UpdatedAt">When this was reported (UTC).</param>
public sealed record ImportProgress(int ImportRunId, double Fraction, string Phase, DateTime UpdatedAt);

/// <summary>
/// Live progress of running imports, held in memory (register as a singleton). The import job writes its final state to
/// <see cref="ImportRun"/> only at the end, because with SQLite its long write transaction would block other writers;
/// the UI reads the live state here. Thread-safe. Progress lives in this process only: a job run by another
/// process's Hangfire server reports to that process's tracker.
/// </summary>
public sealed class ImportProgressTracker
{
    private readonly ConcurrentDictionary<int, ImportProgress> _running = new();

    /// <summary>Raised after every report and when a run ends (then with fraction 1). Handlers must be quick and must not throw.</summary>
    public event Action<ImportProgress>? Changed;

    /// <summary>Records the progress of a run.</summary>
    /// <param name="importRunId">The import run.</param>
    /// <param name="fraction">Done so far; clamped to 0..1.</param>
    /// <param name="phase">Short human-readable text.</param>
    public void Report(int importRunId, double fraction, string phase)
    {
        var p = new ImportProgress(importRunId, Math.Clamp(double.IsFinite(fraction) ? fraction : 0, 0, 1), phase, DateTime.UtcNow);
        _running[importRunId] = p;
        Changed?.Invoke(p);
    }

    /// <summary>Removes a finished run (its final state is then in <see cref="ImportRun"/>).</summary>
    /// <param name="importRunId">The import run.</param>
    /// <param name="phase">The final text (for example <c>succeeded</c>).</param>
    public void Complete(int importRunId, string phase)
    {
        _running.TryRemove(importRunId, out _);
        Changed?.Invoke(new ImportProgress(importRunId, 1, phase, DateTime.UtcNow));
    }

    /// <summary>The live progress of a run, or null when it is not running in this process.</summary>
    public ImportProgress? Get(int importRunId) => _running.TryGetValue(importRunId, out var p) ? p : null;

    /// <summary>All runs in progress in this process.</summary>
    public IReadOnlyCollection<ImportProgress> Running => _running.Values.ToList();
}
