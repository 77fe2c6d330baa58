using Microsoft.AspNetCore.Authorization;
using Portal.Server.Accounts;

namespace Portal.Server.Apis;

/// <summary>One routable endpoint of the running app and who may call it (the access-matrix test compares these with its table).</summary>
/// <param name="Route">Route pattern, e.g. <c>/products/{Id:int}</c>.</param>
/// <param name="Methods">HTTP methods (empty: any).</param>
/// <param name="DisplayName">The endpoint's display name.</param>
/// <param name="AllowAnonymous">True when the endpoint allows anonymous callers.</param>
/// <param name="Roles">Roles an endpoint's <c>[Authorize]</c> data names (empty: any signed-in user, or anonymous).</param>
/// <param name="Policies">Named policies the endpoint requires.</param>
public sealed record RouteInfo(string Route, IReadOnlyList<string> Methods, string? DisplayName, bool AllowAnonymous,
    IReadOnlyList<string> Roles, IReadOnlyList<string> Policies);

/// <summary>Administration APIs.</summary>
public static class AdminApi
{
    /// <summary>Route of the endpoint list.</summary>
    public const string RoutesRoute = "/api/admin/routes";

    /// <summary>
    /// Maps <c>GET /api/admin/routes</c> (admins): every route endpoint of the app from the endpoint data source, with
    /// its methods and authorization metadata, ordered by route; static web assets are left out.
    /// </summary>
    /// <param name="app">The endpoints.</param>
    public static IEndpointRouteBuilder MapAdminApi(this IEndpointRouteBuilder app)
    {
        app.MapGet(RoutesRoute, (EndpointDataSource endpoints) =>
        {
            var rows = endpoints.Endpoints.OfType<RouteEndpoint>()
                .Where(e => !IsStaticAsset(e))
                .Select(e => new RouteInfo(
                    "/" + (e.RoutePattern.RawText ?? "").TrimStart('/'),
                    e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods.ToList() ?? [],
                    e.DisplayName,
                    e.Metadata.GetMetadata<IAllowAnonymous>() is not null,
                    e.Metadata.GetOrderedMetadata<IAuthorizeData>().SelectMany(a => (a.Roles ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).Distinct().ToList(),
                    e.Metadata.GetOrderedMetadata<IAuthorizeData>().Select(a => a.Policy).OfType<string>().Distinct().ToList()))
                .OrderBy(r => r.Route, StringComparer.Ordinal).ThenBy(r => string.Join(',', r.Methods), StringComparer.Ordinal)
                .ToList();
            return TypedResults.Ok(rows);
        }).RequireAuthorization(PortalPolicies.Admin).ExcludeFromDescription();
        return app;
    }

    // MapStaticAssets endpoints (MudBlazor's files, blazor.web.js, ...) carry the asset's descriptor as metadata.
    private static bool IsStaticAsset(RouteEndpoint e) =>
        e.Metadata.Any(m => m.GetType().FullName == "Microsoft.AspNetCore.StaticAssets.StaticAssetDescriptor");
}
