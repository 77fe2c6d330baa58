using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Portal.Core.Data;

namespace Portal.Core.Feedback;

/// <summary>
/// One event of <c>POST /api/feedback</c> as it travels (the wire format, documented in the OpenAPI document). JSON
/// property names are camelCase; unknown properties are refused.
/// </summary>
/// <param name="Kind"><c>impression</c>, <c>click</c> or <c>conversion</c> (case-insensitive); required.</param>
/// <param name="CustomerId">The customer's external id (as imported, e.g. <c>17850</c>); required, must be a known customer.</param>
/// <param name="ProductId">The product's external id (e.g. <c>85123A</c>); required, must be a product of the key's merchant.</param>
/// <param name="Timestamp">When it happened: ISO 8601 with a UTC offset or <c>Z</c> (e.g. <c>2026-11-30T08:15:00Z</c>), at most 5 minutes in the future; required.</param>
/// <param name="EventId">Your unique id of this event (1 to 100 characters): a retried POST with the same id and kind is not counted twice. Optional: without it the id is the SHA-256 of customer, product, timestamp, campaign, batch and position, so an identical retry is not counted twice either.</param>
/// <param name="ImpressionId">For a click or conversion: the <c>eventId</c> of the impression it follows (stored before or in the same request). Optional; without it the event is its own impression key.</param>
/// <param name="CampaignId">The campaign (Campaigns.Id) of the push that was shown; optional, must belong to the key's merchant.</param>
/// <param name="BatchId">The push batch (PushBatches.Id); optional, must belong to the key's merchant and to <paramref name="CampaignId"/> when both are given (the campaign is taken from the batch otherwise).</param>
/// <param name="Position">1-based slot in the shown list, 1 to 1,000; optional.</param>
public sealed record FeedbackEventInput(string Kind, string CustomerId, string ProductId, DateTimeOffset Timestamp, string? EventId = null,
    string? ImpressionId = null, int? CampaignId = null, int? BatchId = null, int? Position = null);

/// <summary>The body of a batched <c>POST /api/feedback</c>: 1 to <see cref="FeedbackIngestService.MaxEventsPerRequest"/> events (a single event may also be posted alone, as the body itself).</summary>
/// <param name="Events">The events, stored all or none.</param>
public sealed record FeedbackBatchInput(IReadOnlyList<FeedbackEventInput> Events);

/// <summary>What a successful <c>POST /api/feedback</c> stored.</summary>
/// <param name="Received">Events in the request.</param>
/// <param name="Stored">Events added to the feedback table.</param>
/// <param name="Duplicates">Events already stored by an earlier request (same event id and kind), not counted again.</param>
public sealed record FeedbackIngestResult(int Received, int Stored, int Duplicates);

/// <summary>Why a feedback request was refused: one or more messages per field path (<c>events[3].productId</c>).</summary>
/// <param name="Errors">Field path → messages, in request order.</param>
public sealed record FeedbackValidationErrors(IReadOnlyDictionary<string, string[]> Errors)
{
    /// <summary>The first error as one line: <c>events[3].productId: unknown product 'X' for this merchant</c>.</summary>
    public string First => Errors.Select(e => $"{e.Key}: {e.Value[0]}").FirstOrDefault() ?? "";

    /// <summary>Total number of messages.</summary>
    public int Count => Errors.Sum(e => e.Value.Length);
}

/// <summary>
/// Validates and stores feedback posted by a merchant's system (impressions, clicks and conversions of pushed items) in
/// <see cref="FeedbackEvent"/> rows. A request is all or nothing: when any event is invalid, nothing is stored and every
/// error is returned with its field path and index. Dedup follows the import's semantics: each row's
/// <see cref="FeedbackEvent.DedupKey"/> is unique (<c>api:{merchantId}:{eventId}:{kind}</c>), so a retried request
/// stores nothing twice; <see cref="FeedbackEvent.ImpressionKey"/> is <c>api:{merchantId}:{impression's eventId}</c>,
/// shared by an impression and the clicks and conversions that follow it (the CTR label join).
/// </summary>
/// <param name="contexts">The database.</param>
public sealed partial class FeedbackIngestService(IDbContextFactory<PortalDbContext> contexts)
{
    /// <summary>Most events in one request.</summary>
    public const int MaxEventsPerRequest = 1_000;

    /// <summary>Longest event id.</summary>
    public const int MaxEventIdLength = 100;

    /// <summary>How far in the future a timestamp may lie (clock skew of the sender).</summary>
    public static readonly TimeSpan FutureTolerance = TimeSpan.FromMinutes(5);

    /// <summary>The JSON fields of one event.</summary>
    public static readonly IReadOnlyList<string> Fields = ["kind", "eventId", "impressionId", "customerId", "productId", "timestamp", "campaignId", "batchId", "position"];

    private sealed record Parsed(int Index, string Path, FeedbackKind Kind, string EventId, string? ImpressionId, string CustomerId, string ProductId,
        DateTime Timestamp, int? CampaignId, int? BatchId, int? Position);

    /// <summary>
    /// Validates <paramref name="body"/> (one event object, or <c>{"events":[…]}</c>) for <paramref name="merchantId"/> and
    /// stores it. Returns either the result or the validation errors, never both; nothing is stored when there are errors.
    /// </summary>
    /// <param name="merchantId">The merchant of the API key.</param>
    /// <param name="body">The parsed JSON body.</param>
    /// <param name="now">The server's current time (UTC), for the future-timestamp check.</param>
    /// <param name="ct">Cancellation.</param>
    public async Task<(FeedbackIngestResult? Result, FeedbackValidationErrors? Errors)> IngestAsync(int merchantId, JsonElement body, DateTime now, CancellationToken ct = default)
    {
        var errors = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        void Error(string path, string message)
        {
            if (!errors.TryGetValue(path, out var list)) errors[path] = list = [];
            list.Add(message);
        }

        var items = new List<(string Path, JsonElement Element)>();
        if (body.ValueKind != JsonValueKind.Object)
            Error("$", $"the body must be a JSON object (one event, or {{\"events\": [...]}}), got {Kind(body)}.");
        else if (body.TryGetProperty("events", out var events))
        {
            foreach (var p in body.EnumerateObject().Where(p => p.Name != "events"))
                Error(p.Name, "unknown field next to 'events' (a batch is {\"events\": [...]}).");
            if (events.ValueKind != JsonValueKind.Array) Error("events", $"must be an array of events, got {Kind(events)}.");
            else if (events.GetArrayLength() == 0) Error("events", "at least one event is needed.");
            else if (events.GetArrayLength() > MaxEventsPerRequest)
                Error("events", $"{events.GetArrayLength()} events; at most {MaxEventsPerRequest} per request (split the batch).");
            else items.AddRange(events.EnumerateArray().Select((e, i) => ($"events[{i}]", e)));
        }
        else items.Add(("", body));
        if (errors.Count > 0) return (null, Freeze(errors));

        var parsed = new List<Parsed>(items.Count);
        for (var i = 0; i < items.Count; i++)
            if (ParseEvent(i, items[i].Path, items[i].Element, now, Error) is { } p) parsed.Add(p);

        await using var db = await contexts.CreateDbContextAsync(ct);
        // References: products of this merchant, known customers, this merchant's campaigns and batches.
        var productIds = parsed.Select(p => p.ProductId).Distinct().ToList();
        var products = (await db.Products.AsNoTracking().Where(p => p.MerchantId == merchantId && productIds.Contains(p.ExternalId))
            .Select(p => new { p.Id, p.ExternalId }).ToListAsync(ct)).ToDictionary(p => p.ExternalId, p => p.Id, StringComparer.Ordinal);
        var customerIds = parsed.Select(p => p.CustomerId).Distinct().ToList();
        var customers = (await db.Customers.AsNoTracking().Where(c => customerIds.Contains(c.ExternalId))
            .Select(c => new { c.Id, c.ExternalId }).ToListAsync(ct)).ToDictionary(c => c.ExternalId, c => c.Id, StringComparer.Ordinal);
        var campaignIds = parsed.Where(p => p.CampaignId is not null).Select(p => p.CampaignId!.Value).Distinct().ToList();
        var campaigns = (await db.Campaigns.AsNoTracking().Where(c => c.MerchantId == merchantId && campaignIds.Contains(c.Id))
            .Select(c => c.Id).ToListAsync(ct)).ToHashSet();
        var batchIds = parsed.Where(p => p.BatchId is not null).Select(p => p.BatchId!.Value).Distinct().ToList();
        var batches = await db.PushBatches.AsNoTracking().Where(b => b.MerchantId == merchantId && batchIds.Contains(b.Id))
            .ToDictionaryAsync(b => b.Id, b => b.CampaignId, ct);
        // Impressions referred to by clicks: in this request or stored earlier.
        var requestImpressions = parsed.Where(p => p.Kind == FeedbackKind.Impression).Select(p => p.EventId).ToHashSet(StringComparer.Ordinal);
        var referred = parsed.Where(p => p.ImpressionId is not null && !requestImpressions.Contains(p.ImpressionId))
            .Select(p => DedupKey(merchantId, p.ImpressionId!, FeedbackKind.Impression)).Distinct().ToList();
        var storedImpressions = (await db.FeedbackEvents.AsNoTracking().Where(f => referred.Contains(f.DedupKey)).Select(f => f.DedupKey).ToListAsync(ct))
            .ToHashSet(StringComparer.Ordinal);

        var seen = new Dictionary<(string, FeedbackKind), int>();
        var rows = new List<FeedbackEvent>(parsed.Count);
        foreach (var p in parsed)
        {
            var ok = true;
            if (!products.TryGetValue(p.ProductId, out var productId)) { Error(p.Path + "productId", $"unknown product '{p.ProductId}' for this merchant."); ok = false; }
            if (!customers.TryGetValue(p.CustomerId, out var customerId)) { Error(p.Path + "customerId", $"unknown customer '{p.CustomerId}'."); ok = false; }
            if (p.CampaignId is { } cid && !campaigns.Contains(cid)) { Error(p.Path + "campaignId", $"unknown campaign {cid} for this merchant."); ok = false; }
            var campaign = p.CampaignId;
            if (p.BatchId is { } bid)
            {
                if (!batches.TryGetValue(bid, out var batchCampaign)) { Error(p.Path + "batchId", $"unknown push batch {bid} for this merchant."); ok = false; }
                else if (campaign is { } c && c != batchCampaign) { Error(p.Path + "batchId", $"push batch {bid} belongs to campaign {batchCampaign}, not {c}."); ok = false; }
                else campaign = batchCampaign;
            }
            if (p.ImpressionId is { } imp && !requestImpressions.Contains(imp) && !storedImpressions.Contains(DedupKey(merchantId, imp, FeedbackKind.Impression)))
            {
                Error(p.Path + "impressionId", $"no impression with eventId '{imp}' for this merchant (post the impression first or in the same request).");
                ok = false;
            }
            if (seen.TryGetValue((p.EventId, p.Kind), out var first))
            {
                Error(p.Path + "eventId", $"'{p.EventId}' repeats the {p.Kind.ToString().ToLowerInvariant()} of {items[first].Path} in this request.");
                ok = false;
            }
            else seen[(p.EventId, p.Kind)] = p.Index;
            if (!ok) continue;
            rows.Add(new FeedbackEvent
            {
                Kind = p.Kind, MerchantId = merchantId, CustomerId = customerId, ProductId = productId, Position = p.Position, Timestamp = p.Timestamp,
                CampaignId = campaign, BatchId = p.BatchId, SourceLine = p.Index + 1,
                ImpressionKey = ImpressionKey(merchantId, p.Kind == FeedbackKind.Impression ? p.EventId : p.ImpressionId ?? p.EventId),
                DedupKey = DedupKey(merchantId, p.EventId, p.Kind),
            });
        }
        if (errors.Count > 0) return (null, Freeze(errors));

        // Store what is not stored yet; a concurrent identical request that wins the race makes the insert fail on the
        // unique DedupKey, and the retry then counts those rows as duplicates.
        for (var attempt = 0; ; attempt++)
        {
            var keys = rows.Select(r => r.DedupKey).ToList();
            var stored = new HashSet<string>(StringComparer.Ordinal);
            foreach (var chunk in keys.Chunk(500))
                stored.UnionWith(await db.FeedbackEvents.AsNoTracking().Where(f => chunk.Contains(f.DedupKey)).Select(f => f.DedupKey).ToListAsync(ct));
            var fresh = rows.Where(r => !stored.Contains(r.DedupKey)).ToList();
            db.ChangeTracker.Clear();
            db.FeedbackEvents.AddRange(fresh);
            try
            {
                await db.SaveChangesAsync(ct);
                return (new FeedbackIngestResult(items.Count, fresh.Count, rows.Count - fresh.Count), null);
            }
            catch (DbUpdateException) when (attempt == 0)
            {
                db.ChangeTracker.Clear();
                foreach (var r in fresh) r.Id = 0;
            }
        }
    }

    /// <summary>The dedup key of an API event: <c>api:{merchantId}:{eventId}:{kind}</c>.</summary>
    /// <param name="merchantId">The merchant.</param>
    /// <param name="eventId">The sender's event id (or the content-derived one).</param>
    /// <param name="kind">The event's kind.</param>
    public static string DedupKey(int merchantId, string eventId, FeedbackKind kind) =>
        $"{ImpressionKey(merchantId, eventId)}:{kind.ToString().ToLowerInvariant()}";

    /// <summary>The impression key of an API impression: <c>api:{merchantId}:{eventId}</c>.</summary>
    /// <param name="merchantId">The merchant.</param>
    /// <param name="eventId">The impression's event id.</param>
    public static string ImpressionKey(int merchantId, string eventId) => string.Create(CultureInfo.InvariantCulture, $"api:{merchantId}:{eventId}");

    private static Parsed? ParseEvent(int index, string prefix, JsonElement e, DateTime now, Action<string, string> error)
    {
        var path = prefix.Length == 0 ? "" : prefix + ".";
        if (e.ValueKind != JsonValueKind.Object) { error(prefix.Length == 0 ? "$" : prefix, $"an event must be a JSON object, got {Kind(e)}."); return null; }
        var failed = false;
        void Fail(string field, string message) { failed = true; error(path + field, message); }
        foreach (var p in e.EnumerateObject())
            if (!Fields.Contains(p.Name))
                Fail(p.Name, $"unknown field (an event has {string.Join(", ", Fields)}).");

        string? Text(string field, bool required, int maxLength)
        {
            if (!e.TryGetProperty(field, out var v) || v.ValueKind == JsonValueKind.Null)
            {
                if (required) Fail(field, "required.");
                return null;
            }
            if (v.ValueKind != JsonValueKind.String) { Fail(field, $"expected a string, got {Kind(v)}."); return null; }
            var s = v.GetString()!.Trim();
            if (s.Length == 0) { Fail(field, "must not be empty."); return null; }
            if (s.Length > maxLength) { Fail(field, $"at most {maxLength} characters, got {s.Length}."); return null; }
            return s;
        }
        int? Integer(string field, int min, int max)
        {
            if (!e.TryGetProperty(field, out var v) || v.ValueKind == JsonValueKind.Null) return null;
            if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out var n)) { Fail(field, $"expected a whole number, got {Describe(v)}."); return null; }
            if (n < min || n > max) { Fail(field, $"must be from {min} to {max}, got {n}."); return null; }
            return n;
        }

        var kindText = Text("kind", true, 16);
        FeedbackKind kind = default;
        if (kindText is not null && !TryKind(kindText, out kind)) Fail("kind", $"'{kindText}' is not impression, click or conversion.");
        var eventId = Text("eventId", false, MaxEventIdLength);
        var impressionId = Text("impressionId", false, MaxEventIdLength);
        if (impressionId is not null && kindText is not null && kind == FeedbackKind.Impression)
            Fail("impressionId", "only a click or conversion refers to an impression.");
        var customer = Text("customerId", true, 64);
        var product = Text("productId", true, 64);
        var stampText = Text("timestamp", true, 40);
        DateTime timestamp = default;
        if (stampText is not null)
        {
            if (!OffsetDateTime().IsMatch(stampText) || !DateTimeOffset.TryParse(stampText, CultureInfo.InvariantCulture, DateTimeStyles.None, out var stamp))
                Fail("timestamp", $"'{stampText}' is not an ISO 8601 date and time with a UTC offset (e.g. 2026-11-30T08:15:00Z).");
            else if (stamp.UtcDateTime > now + FutureTolerance)
                Fail("timestamp", $"'{stampText}' is in the future (server time {now:yyyy-MM-ddTHH:mm:ssZ}).");
            else timestamp = stamp.UtcDateTime;
        }
        var campaignId = Integer("campaignId", 1, int.MaxValue);
        var batchId = Integer("batchId", 1, int.MaxValue);
        var position = Integer("position", 1, 1_000);
        if (failed) return null;
        // Without an event id the content is the identity: an identical retry is a duplicate, and an impression and the
        // click on it (same customer, product, time, batch and position) share the impression key, as in the imported logs.
        eventId ??= "h" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\u001f', customer, product,
            timestamp.ToString("O", CultureInfo.InvariantCulture), campaignId?.ToString(CultureInfo.InvariantCulture), batchId?.ToString(CultureInfo.InvariantCulture),
            position?.ToString(CultureInfo.InvariantCulture)))))[..40];
        return new Parsed(index, path, kind, eventId, impressionId, customer!, product!, timestamp, campaignId, batchId, position);
    }

    private static bool TryKind(string text, out FeedbackKind kind)
    {
        kind = default;
        switch (text.ToLowerInvariant())
        {
            case "impression": kind = FeedbackKind.Impression; return true;
            case "click": kind = FeedbackKind.Click; return true;
            case "conversion": kind = FeedbackKind.Conversion; return true;
            default: return false;
        }
    }

    private static string Kind(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => "an object", JsonValueKind.Array => "an array", JsonValueKind.String => "a string", JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean", JsonValueKind.Null => "null", _ => "nothing",
    };

    private static string Describe(JsonElement e) => e.ValueKind is JsonValueKind.Number or JsonValueKind.String ? $"{Kind(e)} {e.GetRawText()}" : Kind(e);

    private static FeedbackValidationErrors Freeze(Dictionary<string, List<string>> errors) =>
        new(errors.ToDictionary(e => e.Key, e => e.Value.ToArray(), StringComparer.Ordinal));

    /// <summary>ISO 8601 date, time and an explicit offset (<c>Z</c> or <c>±hh:mm</c>).</summary>
    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|[+-]\d{2}:\d{2})$", RegexOptions.CultureInvariant)]
    private static partial Regex OffsetDateTime();
}
