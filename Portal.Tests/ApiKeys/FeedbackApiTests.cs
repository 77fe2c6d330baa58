using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Portal.Core.Feedback;

namespace Portal.Tests.ApiKeys;

/// <summary>
/// POST /api/feedback and GET /api/recommend/{userId} on a real server process with real API keys: 401 without a valid
/// key, every validation error named with its field and index (nothing stored), dedup of a retried POST, the per-key
/// rate limit, merchant isolation, and the OpenAPI document.
/// </summary>
public sealed class FeedbackApiTests(ApiServerFixture api) : IClassFixture<ApiServerFixture>
{
    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static string Event(string kind = "impression", string customer = "c1", string product = "P1", string timestamp = "2026-11-20T10:00:00Z", string? extra = null) =>
        $$"""{"kind":"{{kind}}","customerId":"{{customer}}","productId":"{{product}}","timestamp":"{{timestamp}}"{{(extra is null ? "" : "," + extra)}}}""";

    private async Task<int> StoredAsync()
    {
        await using var db = await api.Contexts.CreateDbContextAsync();
        return await db.FeedbackEvents.CountAsync();
    }

    [Fact]
    public async Task Missing_invalid_and_revoked_keys_get_401_on_both_endpoints()
    {
        var stored = await StoredAsync();
        var key = await api.NewKeyAsync(api.Ids.ShopA, "to revoke");
        await using (var db = await api.Contexts.CreateDbContextAsync())
        {
            var id = await db.MerchantApiKeys.Where(k => k.Prefix == key.Substring(0, 11)).Select(k => k.Id).SingleAsync();
            using var before = api.Client(key);
            Assert.NotEqual(HttpStatusCode.Unauthorized, (await before.GetAsync("/api/recommend/c1")).StatusCode);
            await api.Keys.RevokeAsync(Portal.Core.Access.Actor.System, id);
        }
        foreach (var (k, why) in new[] { ((string?)null, "needs a merchant API key"), ("pk_00000000_nonsense", "unknown or revoked"), (key, "unknown or revoked") })
        {
            using var http = api.Client(k);
            foreach (var response in new[] { await http.PostAsync("/api/feedback", Json(Event())), await http.GetAsync("/api/recommend/c1") })
            {
                Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
                Assert.Contains(why, await response.Content.ReadAsStringAsync());
                Assert.Contains("X-Api-Key", response.Headers.WwwAuthenticate.ToString());
            }
        }
        Assert.Equal(stored, await StoredAsync());
    }

    [Fact]
    public async Task Every_invalid_field_is_named_with_its_index_and_nothing_is_stored()
    {
        var stored = await StoredAsync();
        using var http = api.Client(await api.NewKeyAsync(api.Ids.ShopA));
        var future = DateTime.UtcNow.AddHours(1).ToString("yyyy-MM-ddTHH:mm:ssZ");
        var events = new[]
        {
            """{"customerId":"c1","productId":"P1","timestamp":"2026-11-20T10:00:00Z"}""",            // 0: kind missing
            Event(kind: "view"),                                                                    // 1
            Event(product: "NOPE"),                                                                 // 2: unknown product
            Event(product: "P9"),                                                                   // 3: exists nowhere for A (B has P1 only)
            Event(timestamp: "2026-13-01T10:00:00Z"),                                               // 4: month 13
            Event(timestamp: "2026-11-20T10:00:00"),                                                // 5: no offset
            Event(timestamp: future),                                                               // 6: future
            Event(customer: "nobody"),                                                              // 7
            Event(extra: "\"position\":0"),                                                         // 8
            Event(extra: "\"position\":\"3\""),                                                     // 9
            Event(extra: $"\"campaignId\":{api.Ids.CampaignX + 1000}"),                             // 10
            Event(extra: $"\"campaignId\":{api.Ids.CampaignX + 1000},\"batchId\":{api.Ids.Batch1}"), // 11 (campaign error and mismatch)
            Event(extra: "\"foo\":1"),                                                              // 12
            Event(kind: "click", extra: "\"impressionId\":\"never-shown\""),                        // 13
            Event(extra: "\"eventId\":\"e-1\""),                                                    // 14
            Event(extra: "\"eventId\":\"e-1\""),                                                    // 15: repeats 14
            Event(kind: "impression", extra: "\"impressionId\":\"e-1\""),                           // 16
            "42",                                                                                   // 17
            Event(extra: "\"customerId\":null"),                                                    // 18: duplicate property: last wins → null → required
        };
        var response = await http.PostAsync("/api/feedback", Json("{\"events\":[" + string.Join(",", events) + "]}"));
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var doc = JsonDocument.Parse(body);
        var errors = doc.RootElement.GetProperty("errors").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.EnumerateArray().Select(v => v.GetString()!).ToList());
        void Has(string path, string message) => Assert.True(errors.TryGetValue(path, out var list) && list.Any(m => m.Contains(message, StringComparison.Ordinal)),
            $"expected {path}: {message} in {body}");
        Has("events[0].kind", "required.");
        Has("events[1].kind", "'view' is not impression, click or conversion.");
        Has("events[2].productId", "unknown product 'NOPE' for this merchant.");
        Has("events[3].productId", "unknown product 'P9' for this merchant.");
        Has("events[4].timestamp", "'2026-13-01T10:00:00Z' is not an ISO 8601 date and time with a UTC offset");
        Has("events[5].timestamp", "'2026-11-20T10:00:00' is not an ISO 8601 date and time with a UTC offset");
        Has("events[6].timestamp", "is in the future");
        Has("events[7].customerId", "unknown customer 'nobody'.");
        Has("events[8].position", "must be from 1 to 1000, got 0.");
        Has("events[9].position", "expected a whole number, got a string \"3\".");
        Has("events[10].campaignId", $"unknown campaign {api.Ids.CampaignX + 1000} for this merchant.");
        Has("events[11].batchId", $"push batch {api.Ids.Batch1} belongs to campaign {api.Ids.CampaignX}, not {api.Ids.CampaignX + 1000}.");
        Has("events[12].foo", "unknown field");
        Has("events[13].impressionId", "no impression with eventId 'never-shown' for this merchant");
        Has("events[15].eventId", "'e-1' repeats the impression of events[14] in this request.");
        Has("events[16].impressionId", "only a click or conversion refers to an impression.");
        Has("events[17]", "an event must be a JSON object, got a number.");
        Has("events[18].customerId", "required.");
        Assert.False(errors.ContainsKey("events[14].eventId"));
        Assert.StartsWith("events[0].kind: required.", doc.RootElement.GetProperty("detail").GetString());
        Assert.EndsWith("nothing was stored.", doc.RootElement.GetProperty("detail").GetString());
        Assert.Equal(stored, await StoredAsync());

        // The other merchant's product: shop B has P1, shop A posts for B's only product id that A lacks.
        using var b = api.Client(await api.NewKeyAsync(api.Ids.ShopB));
        var other = await b.PostAsync("/api/feedback", Json(Event(product: "P2")));
        Assert.Equal(HttpStatusCode.BadRequest, other.StatusCode);
        Assert.Contains("productId: unknown product 'P2' for this merchant.", await other.Content.ReadAsStringAsync());
        // Campaigns and batches of another merchant are unknown too.
        var foreign = await b.PostAsync("/api/feedback", Json(Event(extra: $"\"batchId\":{api.Ids.Batch1}")));
        Assert.Contains($"batchId: unknown push batch {api.Ids.Batch1} for this merchant.", await foreign.Content.ReadAsStringAsync());

        foreach (var (json, path, message) in new[]
        {
            ("{\"events\":[]}", "events", "at least one event is needed."),
            ("{\"events\":{}}", "events", "must be an array of events, got an object."),
            ("[1,2]", "$", "the body must be a JSON object"),
            ("{\"events\":[" + string.Join(",", Enumerable.Repeat(Event(), 1_001)) + "]}", "events", "1001 events; at most 1000 per request"),
            ("{\"kind\": ", "$", "the body is not valid JSON"),
            ("{\"events\":[], \"extra\": 1}", "extra", "unknown field next to 'events'"),
        })
        {
            var r = await b.PostAsync("/api/feedback", Json(json));
            var text = await r.Content.ReadAsStringAsync();
            Assert.True(r.StatusCode == HttpStatusCode.BadRequest, text);
            using var d = JsonDocument.Parse(text);
            Assert.Contains(d.RootElement.GetProperty("errors").GetProperty(path).EnumerateArray(), e => e.GetString()!.Contains(message, StringComparison.Ordinal));
        }
        Assert.Equal(stored, await StoredAsync());
    }

    [Fact]
    public async Task A_retried_post_is_counted_once_and_clicks_join_their_impression()
    {
        using var http = api.Client(await api.NewKeyAsync(api.Ids.ShopA));
        var batch = new
        {
            events = new object[]
            {
                new { kind = "impression", eventId = "retry-imp-1", customerId = "c1", productId = "P1", timestamp = "2026-11-21T08:00:00+08:00", campaignId = api.Ids.CampaignX, batchId = api.Ids.Batch1, position = 1 },
                new { kind = "impression", eventId = "retry-imp-2", customerId = "c2", productId = "P2", timestamp = "2026-11-21T09:00:00Z", batchId = api.Ids.Batch1, position = 2 },
                new { kind = "click", eventId = "retry-click-1", impressionId = "retry-imp-1", customerId = "c1", productId = "P1", timestamp = "2026-11-21T00:05:00Z" },
                new { kind = "conversion", eventId = "retry-conv-1", impressionId = "retry-imp-1", customerId = "c1", productId = "P1", timestamp = "2026-11-21T00:30:00Z" },
            },
        };
        var first = await http.PostAsJsonAsync("/api/feedback", batch);
        Assert.True(first.IsSuccessStatusCode, await first.Content.ReadAsStringAsync());
        Assert.Equal(new FeedbackIngestResult(4, 4, 0), await first.Content.ReadFromJsonAsync<FeedbackIngestResult>());
        var retry = await http.PostAsJsonAsync("/api/feedback", batch);
        Assert.Equal(new FeedbackIngestResult(4, 0, 4), await retry.Content.ReadFromJsonAsync<FeedbackIngestResult>());

        // A single event without an event id: an identical retry is a duplicate too (content-derived id).
        var single = Event(customer: "c3", timestamp: "2026-11-22T10:00:00Z");
        Assert.Equal(new FeedbackIngestResult(1, 1, 0), await (await http.PostAsync("/api/feedback", Json(single))).Content.ReadFromJsonAsync<FeedbackIngestResult>());
        Assert.Equal(new FeedbackIngestResult(1, 0, 1), await (await http.PostAsync("/api/feedback", Json(single))).Content.ReadFromJsonAsync<FeedbackIngestResult>());
        // A click may refer to an impression stored by an earlier request.
        var later = Event(kind: "click", customer: "c2", product: "P2", timestamp: "2026-11-21T09:01:00Z", extra: "\"impressionId\":\"retry-imp-2\",\"eventId\":\"retry-click-2\"");
        Assert.Equal(new FeedbackIngestResult(1, 1, 0), await (await http.PostAsync("/api/feedback", Json(later))).Content.ReadFromJsonAsync<FeedbackIngestResult>());

        await using var db = await api.Contexts.CreateDbContextAsync();
        var rows = await db.FeedbackEvents.AsNoTracking().Where(f => f.DedupKey.StartsWith("api:")).ToListAsync();
        var mine = rows.Where(r => r.DedupKey.Contains(":retry-")).ToList();
        Assert.Equal(5, mine.Count);
        var imp = mine.Single(r => r.DedupKey.EndsWith(":retry-imp-1:impression"));
        Assert.Equal(new DateTime(2026, 11, 21, 0, 0, 0, DateTimeKind.Utc), DateTime.SpecifyKind(imp.Timestamp, DateTimeKind.Utc)); // +08:00 → UTC
        Assert.Equal((api.Ids.ShopA, api.Ids.CampaignX, api.Ids.Batch1, 1, api.Ids.C1), (imp.MerchantId, imp.CampaignId, imp.BatchId, imp.Position, imp.CustomerId));
        Assert.All(mine.Where(r => r.DedupKey.Contains("-1:")), r => Assert.Equal(imp.ImpressionKey, r.ImpressionKey));
        // The campaign comes from the batch when only the batch is given.
        Assert.Equal(api.Ids.CampaignX, mine.Single(r => r.DedupKey.EndsWith(":retry-imp-2:impression")).CampaignId);
        Assert.Equal(mine.Single(r => r.DedupKey.EndsWith(":retry-imp-2:impression")).ImpressionKey, mine.Single(r => r.DedupKey.EndsWith(":retry-click-2:click")).ImpressionKey);
        Assert.Equal(FeedbackKind.Conversion, mine.Single(r => r.DedupKey.EndsWith(":conversion")).Kind);
    }

    [Fact]
    public async Task Each_key_is_rate_limited_on_its_own_with_429_and_retry_after()
    {
        using var limited = api.Client(await api.NewKeyAsync(api.Ids.ShopB, "busy"));
        for (var i = 0; i < ApiServerFixture.PermitLimit; i++)
            Assert.NotEqual(HttpStatusCode.TooManyRequests, (await limited.GetAsync("/api/recommend/c1")).StatusCode);
        var refused = await limited.PostAsync("/api/feedback", Json(Event()));
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        var retryAfter = int.Parse(refused.Headers.GetValues("Retry-After").Single());
        Assert.InRange(retryAfter, 1, 60);
        Assert.Contains($"{ApiServerFixture.PermitLimit} requests per 60 s", await refused.Content.ReadAsStringAsync());
        // Another key of the same merchant has its own partition.
        using var other = api.Client(await api.NewKeyAsync(api.Ids.ShopB, "quiet"));
        Assert.NotEqual(HttpStatusCode.TooManyRequests, (await other.GetAsync("/api/recommend/c1")).StatusCode);
    }

    [Fact]
    public async Task Recommend_only_serves_the_customers_and_products_of_the_keys_merchant()
    {
        using var a = api.Client(await api.NewKeyAsync(api.Ids.ShopA));
        using var b = api.Client(await api.NewKeyAsync(api.Ids.ShopB));
        // c1 bought from shop A: shop B's key does not see the customer at all (same answer as an unknown id).
        var foreign = await b.GetAsync("/api/recommend/c1");
        Assert.Equal(HttpStatusCode.NotFound, foreign.StatusCode);
        Assert.Contains("No customer with id 'c1' for this merchant.", await foreign.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await a.GetAsync("/api/recommend/nobody")).StatusCode);
        // Shop A's key gets past the merchant check; this server has trained no blend model (503, not 404).
        var own = await a.GetAsync("/api/recommend/c1");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, own.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await a.GetAsync("/api/recommend/c1?n=0")).StatusCode);
    }

    [Fact]
    public async Task The_openapi_document_has_both_endpoints_with_the_api_key_scheme_and_their_errors()
    {
        using var http = api.Client(null);
        using var doc = JsonDocument.Parse(await http.GetStringAsync("/openapi/v1.json"));
        var root = doc.RootElement;
        var scheme = root.GetProperty("components").GetProperty("securitySchemes").GetProperty("ApiKey");
        Assert.Equal("apiKey", scheme.GetProperty("type").GetString());
        Assert.Equal("header", scheme.GetProperty("in").GetString());
        Assert.Equal("X-Api-Key", scheme.GetProperty("name").GetString());
        var post = root.GetProperty("paths").GetProperty("/api/feedback").GetProperty("post");
        var get = root.GetProperty("paths").GetProperty("/api/recommend/{userId}").GetProperty("get");
        foreach (var op in new[] { post, get })
        {
            Assert.Contains(op.GetProperty("security").EnumerateArray(), s => s.TryGetProperty("ApiKey", out _));
            foreach (var code in new[] { "200", "400", "401", "429" })
                Assert.True(op.GetProperty("responses").TryGetProperty(code, out _), $"{op.GetProperty("operationId")}: response {code} not documented");
        }
        Assert.Equal("PostFeedback", post.GetProperty("operationId").GetString());
        var bodySchema = post.GetProperty("requestBody").GetProperty("content").GetProperty("application/json").GetProperty("schema").GetRawText();
        Assert.Contains("FeedbackBatchInput", bodySchema);
        var schemas = root.GetProperty("components").GetProperty("schemas");
        var input = schemas.GetProperty("FeedbackEventInput").GetProperty("properties");
        foreach (var field in FeedbackIngestService.Fields) Assert.True(input.TryGetProperty(field, out _), $"FeedbackEventInput.{field} missing");
        Assert.True(schemas.TryGetProperty("FeedbackIngestResult", out _));
        Assert.True(schemas.TryGetProperty("HttpValidationProblemDetails", out _));
    }

    [Fact]
    public async Task The_online_csv_export_names_a_bad_parameter_and_writes_its_header()
    {
        // The CSV is a page download: a signed-in user's cookie, not an API key.
        using var http = await Portal.Tests.Infrastructure.PortalLogin.SignInAsync(api.BaseUrl, "admin@portal.local");
        var bad = await http.GetAsync("/api/trends/online.csv?by=week");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("Parameter 'by': 'week' is not one of day, campaign, batch, tier.", await bad.Content.ReadAsStringAsync());
        var date = await http.GetAsync("/api/trends/online.csv?by=tier&from=2026-02-30");
        Assert.Equal(HttpStatusCode.BadRequest, date.StatusCode);
        Assert.Contains("Parameter 'from': '2026-02-30' is not a date (yyyy-MM-dd).", await date.Content.ReadAsStringAsync());
        var day = await http.GetAsync("/api/trends/online.csv?by=day&from=2026-11-01&to=2026-11-30");
        Assert.Equal("text/csv", day.Content.Headers.ContentType?.MediaType);
        Assert.StartsWith("day,campaign_id,impressions,clicks,conversions,ctr", (await day.Content.ReadAsStringAsync()).TrimStart('\uFEFF'));
        Assert.StartsWith("tier,name,impressions,clicks,conversions,ctr", (await http.GetStringAsync("/api/trends/online.csv?by=tier")).TrimStart('\uFEFF'));
    }
}
