using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Portal.Core.Delivery;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Batches;

/// <summary>
/// A real local webhook receiver (Kestrel on a free loopback port) as a merchant would run one: it verifies the
/// HMAC signature with the shared secret, counts every request and de-duplicates by <c>Idempotency-Key</c>, and can
/// answer 500 to the first N requests (to exercise the sender's retries).
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _failuresLeft;
    private int _requests;

    /// <summary>One received request.</summary>
    /// <param name="Key">The Idempotency-Key header.</param>
    /// <param name="SignatureValid">Whether X-Portal-Signature verified with the secret.</param>
    /// <param name="Timestamp">X-Portal-Timestamp.</param>
    /// <param name="Body">The raw body (UTF-8 JSON).</param>
    /// <param name="Status">The status code answered.</param>
    public sealed record Received(string? Key, bool SignatureValid, string? Timestamp, string Body, int Status);

    private WebhookReceiver(WebApplication app, string url, string secret)
    {
        _app = app;
        Url = url;
        Secret = secret;
    }

    /// <summary>The endpoint URL (<c>http://127.0.0.1:PORT/hook</c>).</summary>
    public string Url { get; }

    /// <summary>The shared secret.</summary>
    public string Secret { get; }

    /// <summary>Every request, in arrival order.</summary>
    public ConcurrentQueue<Received> Requests { get; } = new();

    /// <summary>Requests answered so far.</summary>
    public int RequestCount => Volatile.Read(ref _requests);

    /// <summary>Distinct idempotency keys accepted (2xx).</summary>
    public IReadOnlyCollection<string> AcceptedKeys => Requests.Where(r => r.Status == 200 && r.Key is not null).Select(r => r.Key!).Distinct().ToList();

    /// <summary>Answers 500 to the next <paramref name="n"/> requests.</summary>
    /// <param name="n">Requests to fail.</param>
    public void FailNext(int n) => Volatile.Write(ref _failuresLeft, n);

    /// <summary>Starts a receiver with <paramref name="secret"/>.</summary>
    /// <param name="secret">The shared webhook secret.</param>
    public static async Task<WebhookReceiver> StartAsync(string secret = "whsec-test-0123456789abcdef")
    {
        var port = PortalProcess.FreePort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var app = builder.Build();
        var receiver = new WebhookReceiver(app, $"http://127.0.0.1:{port}/hook", secret);
        app.MapPost("/hook", async (HttpContext http) =>
        {
            using var ms = new MemoryStream();
            await http.Request.Body.CopyToAsync(ms);
            var body = ms.ToArray();
            Interlocked.Increment(ref receiver._requests);
            var status = Interlocked.Decrement(ref receiver._failuresLeft) >= 0 ? 500 : 200;
            receiver.Requests.Enqueue(new Received(http.Request.Headers[PushSignature.IdempotencyHeader].FirstOrDefault(),
                PushSignature.Verify(secret, body, http.Request.Headers[PushSignature.Header].FirstOrDefault()),
                http.Request.Headers[PushSignature.TimestampHeader].FirstOrDefault(), System.Text.Encoding.UTF8.GetString(body), status));
            return Results.StatusCode(status);
        });
        await app.StartAsync();
        return receiver;
    }

    /// <summary>The parsed body of a request.</summary>
    /// <param name="r">The request.</param>
    public static JsonElement Json(Received r) => JsonDocument.Parse(r.Body).RootElement.Clone();

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
