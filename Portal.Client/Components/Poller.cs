namespace Portal.Client.Components;

/// <summary>
/// Calls a refresh callback at a fixed interval while the page says something is still running; pages start it
/// after each load that found running work and dispose it with the page.
/// </summary>
public sealed class Poller : IAsyncDisposable
{
    private readonly TimeSpan _interval;
    private readonly Func<Task<bool>> _tick;
    private CancellationTokenSource? _cts;
    private Task? _loop;

    /// <summary>Creates a stopped poller.</summary>
    /// <param name="interval">Time between two calls.</param>
    /// <param name="tick">Refreshes the page; returns true to keep polling, false to stop.</param>
    public Poller(TimeSpan interval, Func<Task<bool>> tick)
    {
        _interval = interval;
        _tick = tick;
    }

    /// <summary>True while the loop runs.</summary>
    public bool IsRunning => _loop is { IsCompleted: false };

    /// <summary>Starts the loop unless it already runs.</summary>
    public void Start()
    {
        if (IsRunning) return;
        _cts?.Dispose();
        _cts = new CancellationTokenSource();
        _loop = RunAsync(_cts.Token);
    }

    private async Task RunAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(_interval);
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
            {
                if (!await _tick()) break;
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (ObjectDisposedException)
        {
            // The page went away while a refresh ran.
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_cts is null) return;
        await _cts.CancelAsync();
        if (_loop is not null)
        {
            try { await _loop; } catch (OperationCanceledException) { }
        }
        _cts.Dispose();
        _cts = null;
    }
}
