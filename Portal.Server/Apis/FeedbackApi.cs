using System.Text.Json;
using Portal.Core.Feedback;
using Portal.Server.ApiKeys;

namespace Portal.Server.Apis;

/// <summary>The feedback endpoint: impressions, clicks and conversions of pushed items, posted by a merchant's systems.</summary>
public static class FeedbackApi
{
    /// <summary>The route.</summary>
    public const string Route = "/api/feedback";

    /// <summary>
    /// Maps <c>POST /api/feedback</c> (merchant API key in <c>X-Api-Key</c>; rate-limited per key): one event, or
    /// <c>{"events":[…]}</c> with 1 to 1,000 events (<see cref="FeedbackIngestService"/>). All or nothing: 200 with
    /// received/stored/duplicates counts, or 400 RFC 7807 validation problem whose <c>errors</c> name each field with its
    /// index (<c>events[3].productId: unknown product 'X' for this merchant.</c>) and nothing is stored. A retried request
    /// stores nothing twice (duplicates are counted, not refused). 401 without a valid key, 429 over the rate limit.
    /// </summary>
    /// <param name="app">The endpoint builder.</param>
    public static IEndpointRouteBuilder MapFeedbackApi(this IEndpointRouteBuilder app)
    {
        app.MapPost(Route, async Task<IResult> (HttpRequest request, FeedbackIngestService feedback, CancellationToken ct) =>
        {
            var merchantId = ApiKeyAccess.MerchantId(request.HttpContext.User);
            JsonDocument body;
            try
            {
                body = await JsonDocument.ParseAsync(request.Body, default, ct);
            }
            catch (JsonException e)
            {
                var where = e.LineNumber is { } line ? $" (line {line + 1}, byte {e.BytePositionInLine + 1})" : "";
                return Results.ValidationProblem(new Dictionary<string, string[]> { ["$"] = [$"the body is not valid JSON{where}."] },
                    detail: $"$: the body is not valid JSON{where}; nothing was stored.", title: "Invalid feedback");
            }
            using (body)
            {
                var (result, errors) = await feedback.IngestAsync(merchantId, body.RootElement, DateTime.UtcNow, ct);
                if (errors is not null)
                    return Results.ValidationProblem(errors.Errors,
                        detail: $"{errors.First}{(errors.Count > 1 ? $" ({errors.Count} errors in all)" : "")}; nothing was stored.",
                        title: "Invalid feedback");
                return Results.Ok(result);
            }
        })
        .RequireApiKey()
        .WithName("PostFeedback")
        .WithSummary("Record impressions, clicks and conversions")
        .WithDescription("One event, or {\"events\": [...]} with 1 to 1,000 events, stored all or none. Each event: kind (impression, click, conversion), " +
                         "customerId, productId (a product of the key's merchant), timestamp (ISO 8601 with offset), optional eventId (idempotency: a retried " +
                         "event is counted once), impressionId (for a click or conversion: the impression's eventId), campaignId, batchId, position. " +
                         "Errors name the field and its index, e.g. events[3].productId. These events feed the online CTR per day, campaign, batch and tier.")
        .Accepts<FeedbackBatchInput>("application/json")
        .Produces<FeedbackIngestResult>(StatusCodes.Status200OK)
        .ProducesValidationProblem();
        return app;
    }
}
