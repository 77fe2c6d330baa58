namespace Portal.Core.Delivery;

/// <summary>Push delivery settings (configuration section <c>Delivery</c>).</summary>
public sealed class DeliveryOptions
{
    /// <summary>Pushes per second one process delivers, over all batches and channels (token bucket). Default 20; must be &gt; 0.</summary>
    public double PushesPerSecond { get; set; } = 20;

    /// <summary>
    /// Seconds a worker holds a claimed push (<see cref="PushBatches.PushMessage.ClaimedUntil"/>) before another worker
    /// may take it over. Must exceed the longest delivery of one push (the webhook's total timeout with its retries,
    /// <see cref="WebhookTotalTimeoutSeconds"/>); a killed worker's push in flight is retried after it. Default 120.
    /// </summary>
    public int LeaseSeconds { get; set; } = 120;

    /// <summary>Delivery attempts of one push (each attempt includes the webhook's own HTTP retries) before it is marked Failed. Default 5.</summary>
    public int MaxAttempts { get; set; } = 5;

    /// <summary>Seconds before a failed push is tried again; doubled per attempt. Default 30.</summary>
    public int RetryAfterSeconds { get; set; } = 30;

    /// <summary>Consecutive failed pushes after which a run stops (the channel is presumably down; the sweep tries later). Default 3.</summary>
    public int StopAfterConsecutiveFailures { get; set; } = 3;

    /// <summary>HTTP retries of one webhook POST (exponential backoff with jitter, standard resilience handler). Default 4.</summary>
    public int WebhookMaxRetries { get; set; } = 4;

    /// <summary>Base delay of the webhook retries, milliseconds (then ×2 per retry, with jitter). Default 500.</summary>
    public int WebhookRetryDelayMs { get; set; } = 500;

    /// <summary>Timeout of one webhook HTTP attempt, seconds. Default 10.</summary>
    public int WebhookAttemptTimeoutSeconds { get; set; } = 10;

    /// <summary>Timeout of one webhook POST over all its retries, seconds. Default 60.</summary>
    public int WebhookTotalTimeoutSeconds { get; set; } = 60;

    /// <summary>Folder of the JSON-lines file sink, relative to the data folder (or absolute). Default <c>pushes</c>.</summary>
    public string FileSinkFolder { get; set; } = "pushes";

    /// <summary>Checks the values.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range (the message names the setting).</exception>
    public DeliveryOptions Validate()
    {
        if (!(PushesPerSecond > 0) || double.IsInfinity(PushesPerSecond))
            throw new ArgumentOutOfRangeException(nameof(PushesPerSecond), PushesPerSecond, "Delivery:PushesPerSecond must be a positive number.");
        if (LeaseSeconds < 1) throw new ArgumentOutOfRangeException(nameof(LeaseSeconds), LeaseSeconds, "Delivery:LeaseSeconds must be at least 1.");
        // A lease that ends while a webhook call (with its retries) may still run lets another worker send the push again.
        if (LeaseSeconds <= WebhookTotalTimeoutSeconds)
            throw new ArgumentOutOfRangeException(nameof(LeaseSeconds), LeaseSeconds,
                $"Delivery:LeaseSeconds ({LeaseSeconds}) must be longer than Delivery:WebhookTotalTimeoutSeconds ({WebhookTotalTimeoutSeconds}).");
        if (MaxAttempts < 1) throw new ArgumentOutOfRangeException(nameof(MaxAttempts), MaxAttempts, "Delivery:MaxAttempts must be at least 1.");
        if (WebhookMaxRetries < 0) throw new ArgumentOutOfRangeException(nameof(WebhookMaxRetries), WebhookMaxRetries, "Delivery:WebhookMaxRetries must be 0 or more.");
        if (WebhookAttemptTimeoutSeconds < 1 || WebhookTotalTimeoutSeconds < WebhookAttemptTimeoutSeconds)
            throw new ArgumentOutOfRangeException(nameof(WebhookTotalTimeoutSeconds), WebhookTotalTimeoutSeconds,
                "Delivery:WebhookAttemptTimeoutSeconds must be at least 1 and Delivery:WebhookTotalTimeoutSeconds at least as long.");
        return this;
    }
}
