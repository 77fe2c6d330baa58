using Microsoft.AspNetCore.Localization;
using Portal.Client;

namespace Portal.Server.Apis;

/// <summary>The language switch endpoint: stores the chosen culture in the culture cookie and goes back to the page.</summary>
public static class CultureApi
{
    /// <summary>
    /// Maps <c>GET /culture/set?culture=zh-CN&amp;redirectUri=/products</c>: sets the request-culture cookie for a year
    /// and redirects to <c>redirectUri</c> (local paths only; anything else goes to <c>/</c>). An unsupported culture
    /// answers 400.
    /// </summary>
    /// <param name="app">The endpoint builder.</param>
    public static IEndpointConventionBuilder MapCultureApi(this IEndpointRouteBuilder app)
    {
        return app.MapGet(PortalUrls.CultureSet, (HttpContext http, string? culture, string? redirectUri) =>
        {
            if (!DependencyInjection.IsSupportedCulture(culture))
                return Results.BadRequest($"Unsupported culture '{culture}'. Supported: {string.Join(", ", DependencyInjection.SupportedCultures)}.");
            var name = DependencyInjection.SupportedCultures.First(c => string.Equals(c, culture, StringComparison.OrdinalIgnoreCase));
            http.Response.Cookies.Append(
                CookieRequestCultureProvider.DefaultCookieName,
                CookieRequestCultureProvider.MakeCookieValue(new RequestCulture(name)),
                new CookieOptions { Expires = DateTimeOffset.UtcNow.AddYears(1), IsEssential = true, SameSite = SameSiteMode.Lax, HttpOnly = false });
            return Results.LocalRedirect(IsLocal(redirectUri) ? redirectUri! : "/");
        }).ExcludeFromDescription();
    }

    private static bool IsLocal(string? uri) =>
        !string.IsNullOrEmpty(uri) && uri[0] == '/' && (uri.Length == 1 || (uri[1] != '/' && uri[1] != '\\'));
}
