using System.Text.Json;
using System.Text.Json.Serialization;

namespace Portal.Core.Delivery;

/// <summary>
/// A delivery channel adapter (webhook, JSON-lines file). <see cref="SendAsync"/> returns only once the channel has
/// accepted the push; the outbox then marks it Delivered.
/// </summary>
public interface IPushChannel
{
    /// <summary>The channel's name: <see cref="PushChannels.Webhook"/> or <see cref="PushChannels.File"/>.</summary>
    string Name { get; }

    /// <summary>Delivers one push.</summary>
    /// <param name="push">The push with its destination.</param>
    /// <param name="ct">Cancellation.</param>
    /// <exception cref="PushChannelException">The channel refused it or could not be reached (after its own retries).</exception>
    Task SendAsync(PushEnvelope push, CancellationToken ct);
}

/// <summary>Channel names and the choice of a channel for a merchant.</summary>
public static class PushChannels
{
    /// <summary>HTTP POST to the merchant's webhook (<see cref="WebhookPushChannel"/>).</summary>
    public const string Webhook = "webhook";

    /// <summary>One JSON line per push in a file under the data folder (<see cref="JsonLinesPushChannel"/>).</summary>
    public const string File = "file";

    /// <summary>
    /// The channel of a push: <paramref name="requested"/> when given (a campaign's channel), else the webhook when the
    /// merchant has a webhook URL, else the file sink.
    /// </summary>
    /// <param name="requested">The campaign's channel name, or null.</param>
    /// <param name="webhookUrl">The merchant's webhook URL, or null.</param>
    public static string Choose(string? requested, string? webhookUrl) =>
        !string.IsNullOrWhiteSpace(requested) ? requested.Trim().ToLowerInvariant()
        : !string.IsNullOrWhiteSpace(webhookUrl) ? Webhook : File;

    /// <summary>
    /// The channel a campaign's pushes take: a JSON-lines campaign writes the file; a webhook campaign posts to the
    /// merchant's webhook, or, while the merchant has none configured, falls back to the file sink.
    /// </summary>
    /// <param name="channel">The campaign's channel.</param>
    /// <param name="webhookUrl">The merchant's webhook URL, or null.</param>
    public static string ForCampaign(Campaigns.PushChannel channel, string? webhookUrl) =>
        Choose(channel == Campaigns.PushChannel.JsonLinesFile ? File : null, webhookUrl);
}

/// <summary>A channel refused a push or could not be reached.</summary>
/// <param name="message">What failed (status code or error), naming the push's idempotency key.</param>
/// <param name="inner">The underlying error, if any.</param>
public sealed class PushChannelException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// One push as sent to a channel. The webhook's JSON body is <see cref="Body"/>:
/// <c>{"idempotencyKey", "merchant", "campaign": {"id", "name"}, "batch", "customer", "items": [...]}</c>, where items
/// are the batch's stored list (<see cref="PushBatches.PushMessage.ItemsJson"/>, passed through unchanged).
/// </summary>
/// <param name="MessageId">PushMessages.Id.</param>
/// <param name="IdempotencyKey">The push's stable key (receivers de-duplicate on it).</param>
/// <param name="MerchantCode">The merchant's code.</param>
/// <param name="CampaignId">The campaign.</param>
/// <param name="CampaignName">The campaign's name.</param>
/// <param name="BatchId">The batch.</param>
/// <param name="CustomerExternalId">The customer's id in the merchant's data.</param>
/// <param name="Items">The list as stored (a JSON array).</param>
/// <param name="WebhookUrl">Destination of the webhook channel (the merchant's).</param>
/// <param name="WebhookSecret">Signing secret of the webhook channel (the merchant's).</param>
public sealed record PushEnvelope(long MessageId, string IdempotencyKey, string MerchantCode, int CampaignId, string CampaignName, int BatchId,
    string CustomerExternalId, JsonElement Items, string? WebhookUrl, string? WebhookSecret)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>The body every channel writes (UTF-8 JSON, camelCase, one line).</summary>
    public byte[] Body() => JsonSerializer.SerializeToUtf8Bytes(new PushBody(IdempotencyKey, MerchantCode,
        new PushBodyCampaign(CampaignId, CampaignName), BatchId, CustomerExternalId, Items), Json);

    private sealed record PushBody(string IdempotencyKey, string Merchant, PushBodyCampaign Campaign, int Batch, string Customer,
        [property: JsonPropertyName("items")] JsonElement Items);

    private sealed record PushBodyCampaign(int Id, string Name);
}
