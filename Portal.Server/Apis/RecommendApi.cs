using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Portal.Core.Data;
using Portal.Core.PushLists;
using Portal.Core.Training;
using Portal.Server.ApiKeys;

namespace Portal.Server.Apis;

/// <summary>The push-list endpoint.</summary>
public static class RecommendApi
{
    /// <summary>
    /// Maps <c>GET /api/recommend/{userId}?n=20</c>: the customer's push list from the active <c>blend</c> model
    /// (<see cref="PushListService"/>: channels, ranker score, MMR adjustment and reason per item) as JSON.
    /// 400 problem details when <c>n</c> is not 1 to 100, 404 for an unknown customer, 503 when no blend model is active.
    /// Called with a merchant API key (<c>X-Api-Key</c>, rate-limited per key): the customer must have events or
    /// feedback on that merchant's products (else 404, as for an unknown customer) and the list holds only that
    /// merchant's products.
    /// </summary>
    /// <param name="app">The endpoint builder.</param>
    public static IEndpointRouteBuilder MapRecommendApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/recommend/{userId}", async Task<IResult> (string userId, PushListService service, IDbContextFactory<PortalDbContext> contexts,
            HttpContext http, CancellationToken ct, [FromQuery] string? n = null) =>
        {
            var merchantId = ApiKeyAccess.MerchantId(http.User);
            var length = 20;
            if (n is not null && (!int.TryParse(n, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out length) || length is < 1 or > 100))
                return Results.Problem(title: "Bad list length", detail: $"Query parameter 'n' must be a whole number from 1 to 100, got '{n}'.",
                    statusCode: StatusCodes.Status400BadRequest);
            PushRules rules;
            await using (var db = await contexts.CreateDbContextAsync(ct))
            {
                // A merchant sees the customers with activity on its products, and pushes only its own products.
                var known = await db.Events.AnyAsync(e => e.Customer!.ExternalId == userId && e.Product!.MerchantId == merchantId, ct)
                    || await db.FeedbackEvents.AnyAsync(f => f.Customer!.ExternalId == userId && f.MerchantId == merchantId, ct);
                if (!known)
                    return Results.Problem(title: "Unknown customer", detail: $"No customer with id '{userId}' for this merchant.", statusCode: StatusCodes.Status404NotFound);
                var scope = (await db.Products.AsNoTracking().Where(p => p.MerchantId == merchantId)
                        .Select(p => new { p.ExternalId, Merchant = p.Merchant!.Code }).ToListAsync(ct))
                    .Select(p => StoreInteractions.ItemKey(p.Merchant, p.ExternalId)).ToHashSet(StringComparer.Ordinal);
                rules = PushRules.None with { CampaignScope = scope };
            }
            try
            {
                var list = await service.ForCustomerAsync(userId, length, rules, ct);
                return list is null
                    ? Results.Problem(title: "Unknown customer", detail: $"No customer with id '{userId}'.", statusCode: StatusCodes.Status404NotFound)
                    : Results.Ok(list);
            }
            catch (PushModelUnavailableException e)
            {
                return Results.Problem(title: "No push-list model", detail: e.Message, statusCode: StatusCodes.Status503ServiceUnavailable);
            }
        })
        .RequireApiKey()
        .WithName("GetPushList")
        .WithSummary("A customer's push list")
        .WithDescription("The top-n items of the key's merchant that the push pipeline (recall channels, LightGBM ranker, MMR, business rules) would push to the customer, " +
                         "each with the channels that proposed it, the ranker's score and probability, the MMR adjustment and the reason.")
        .Produces<PushListResponse>(StatusCodes.Status200OK)
        .ProducesProblem(StatusCodes.Status400BadRequest)
        .ProducesProblem(StatusCodes.Status404NotFound)
        .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return app;
    }
}
