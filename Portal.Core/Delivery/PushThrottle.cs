using System.Threading.RateLimiting;

namespace Portal.Core.Delivery;

/// <summary>
/// The per-process delivery rate (<see cref="DeliveryOptions.PushesPerSecond"/>): a token bucket
/// (System.Threading.RateLimiting) holding one push's worth of tokens up to 50 pushes/s (one token every 1/R s), or
/// R/10 tokens every 100 ms above that. Every push of every batch in the process waits for a token, so N pushes take
/// at least (N − 1)/R seconds (N − R/10 over R for the fast setting). Several processes each get their own rate.
/// </summary>
public sealed class PushThrottle : IDisposable
{
    private readonly TokenBucketRateLimiter _limiter;

    /// <summary>Creates the bucket for <paramref name="options"/>.</summary>
    /// <param name="options">Delivery settings (validated).</param>
    /// <exception cref="ArgumentOutOfRangeException">A non-positive rate.</exception>
    public PushThrottle(DeliveryOptions options)
    {
        options.Validate();
        PushesPerSecond = options.PushesPerSecond;
        var slow = PushesPerSecond <= 50;
        var tokens = slow ? 1 : (int)Math.Max(1, Math.Round(PushesPerSecond / 10));
        _limiter = new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = tokens,
            TokensPerPeriod = tokens,
            ReplenishmentPeriod = slow ? TimeSpan.FromSeconds(1 / PushesPerSecond) : TimeSpan.FromMilliseconds(100),
            QueueLimit = int.MaxValue,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
            AutoReplenishment = true,
        });
    }

    /// <summary>The configured rate, pushes per second.</summary>
    public double PushesPerSecond { get; }

    /// <summary>Waits until one more push may be sent.</summary>
    /// <param name="ct">Cancellation.</param>
    /// <exception cref="OperationCanceledException">Cancelled while waiting.</exception>
    public async ValueTask WaitAsync(CancellationToken ct)
    {
        using var lease = await _limiter.AcquireAsync(1, ct);
        if (!lease.IsAcquired) throw new InvalidOperationException("The delivery rate limiter refused a push (queue full).");
    }

    /// <inheritdoc />
    public void Dispose() => _limiter.Dispose();
}
