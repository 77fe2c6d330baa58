using System.Globalization;
using System.Net.Http.Headers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;
using Polly;

namespace Portal.Core.Delivery;

/// <summary>
/// The webhook channel: POSTs <see cref="PushEnvelope.Body"/> (application/json) to the merchant's
/// <see cref="PushEnvelope.WebhookUrl"/> with headers <c>Idempotency-Key</c>, <c>X-Portal-Timestamp</c> (Unix
/// seconds) and <c>X-Portal-Signature: sha256=&lt;hex HMAC-SHA256 of the body&gt;</c> (<see cref="PushSignature"/>).
/// The named HttpClient <see cref="HttpClientName"/> carries the standard resilience handler of
/// Microsoft.Extensions.Http.Resilience (<see cref="AddWebhookHttpClient"/>): retries on 5xx, 408, 429 and network
/// errors with exponential backoff and jitter, per-attempt and total timeouts, a circuit breaker. Any 2xx is accepted;
/// anything else after the retries throws <see cref="PushChannelException"/>.
/// </summary>
/// <param name="http">The HttpClient factory.</param>
/// <param name="clock">Clock for the timestamp header.</param>
public sealed class WebhookPushChannel(IHttpClientFactory http, TimeProvider clock) : IPushChannel
{
    /// <summary>The named HttpClient (with the resilience handler).</summary>
    public const string HttpClientName = "portal-webhook";

    /// <inheritdoc />
    public string Name => PushChannels.Webhook;

    /// <inheritdoc />
    /// <remarks>Network errors, timeouts (Polly's <see cref="ExecutionRejectedException"/>: attempt or total timeout, open circuit) and non-2xx answers become <see cref="PushChannelException"/>.</remarks>
    public async Task SendAsync(PushEnvelope push, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(push.WebhookUrl) || !Uri.TryCreate(push.WebhookUrl, UriKind.Absolute, out var url)
            || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
            throw new PushChannelException($"Push {push.IdempotencyKey}: merchant '{push.MerchantCode}' has no valid webhook URL (Merchants.WebhookUrl = '{push.WebhookUrl}').");
        if (string.IsNullOrEmpty(push.WebhookSecret))
            throw new PushChannelException($"Push {push.IdempotencyKey}: merchant '{push.MerchantCode}' has no webhook secret (Merchants.WebhookSecret); unsigned pushes are not sent.");
        var body = push.Body();
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        request.Headers.Add(PushSignature.IdempotencyHeader, push.IdempotencyKey);
        request.Headers.Add(PushSignature.TimestampHeader, clock.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture));
        request.Headers.Add(PushSignature.Header, PushSignature.Compute(push.WebhookSecret, body));
        HttpResponseMessage response;
        try
        {
            response = await http.CreateClient(HttpClientName).SendAsync(request, ct);
        }
        catch (Exception e) when (e is HttpRequestException or TimeoutException or ExecutionRejectedException
                                      or OperationCanceledException && !ct.IsCancellationRequested)
        {
            throw new PushChannelException($"Push {push.IdempotencyKey}: webhook {url} not reachable: {e.Message}", e);
        }
        using (response)
        {
            if (!response.IsSuccessStatusCode)
                throw new PushChannelException($"Push {push.IdempotencyKey}: webhook {url} answered {(int)response.StatusCode} {response.ReasonPhrase}.");
        }
    }

    /// <summary>
    /// Registers the named client <see cref="HttpClientName"/> with the standard resilience handler configured from
    /// <paramref name="options"/>: <see cref="DeliveryOptions.WebhookMaxRetries"/> retries, exponential backoff from
    /// <see cref="DeliveryOptions.WebhookRetryDelayMs"/> with jitter, attempt and total timeouts. POST is retried too:
    /// every push carries its idempotency key.
    /// </summary>
    /// <param name="services">The container.</param>
    /// <param name="options">Delivery settings.</param>
    public static IServiceCollection AddWebhookHttpClient(IServiceCollection services, DeliveryOptions options)
    {
        services.AddHttpClient(HttpClientName).AddStandardResilienceHandler(o =>
        {
            o.Retry.MaxRetryAttempts = Math.Max(1, options.WebhookMaxRetries);
            o.Retry.BackoffType = DelayBackoffType.Exponential;
            o.Retry.UseJitter = true;
            o.Retry.Delay = TimeSpan.FromMilliseconds(Math.Max(1, options.WebhookRetryDelayMs));
            if (options.WebhookMaxRetries == 0) o.Retry.ShouldHandle = _ => ValueTask.FromResult(false);
            o.AttemptTimeout.Timeout = TimeSpan.FromSeconds(options.WebhookAttemptTimeoutSeconds);
            o.TotalRequestTimeout.Timeout = TimeSpan.FromSeconds(options.WebhookTotalTimeoutSeconds);
            // The breaker's sampling window must be at least twice the attempt timeout.
            o.CircuitBreaker.SamplingDuration = TimeSpan.FromSeconds(Math.Max(30, 2 * options.WebhookAttemptTimeoutSeconds));
        });
        return services;
    }
}
