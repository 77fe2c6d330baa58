using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Localization;
using Microsoft.Extensions.DependencyInjection;

namespace Portal.Client;

/// <summary>Registers what the portal's pages need (localisation) and adds the request culture to the pipeline.</summary>
public static class DependencyInjection
{
    /// <summary>The cultures the UI speaks; the first is the default.</summary>
    public static IReadOnlyList<string> SupportedCultures { get; } = ["en", "zh-CN"];

    /// <summary>
    /// Adds the localisation services the pages use (<c>IStringLocalizer&lt;UiText&gt;</c>, resources in
    /// Portal.Client/Resources). MudBlazor is registered by the host (<c>AddMudServices</c>).
    /// </summary>
    /// <param name="services">The container.</param>
    public static IServiceCollection AddPortalClient(this IServiceCollection services)
    {
        services.AddLocalization();
        return services;
    }

    /// <summary>
    /// Sets each request's culture from the culture cookie (<see cref="CookieRequestCultureProvider.DefaultCookieName"/>),
    /// then the Accept-Language header, else English. An interactive server circuit keeps the culture of the request
    /// that started it, so switching language sets the cookie and reloads the page.
    /// Call before <c>MapRazorComponents</c>.
    /// </summary>
    /// <param name="app">The pipeline.</param>
    public static IApplicationBuilder UsePortalLocalization(this IApplicationBuilder app)
    {
        var cultures = SupportedCultures.Select(c => new CultureInfo(c)).ToList();
        var options = new RequestLocalizationOptions
        {
            DefaultRequestCulture = new RequestCulture(SupportedCultures[0]),
            SupportedCultures = cultures,
            SupportedUICultures = cultures,
            FallBackToParentCultures = true,
            FallBackToParentUICultures = true,
        };
        return app.UseRequestLocalization(options);
    }

    /// <summary>True when <paramref name="culture"/> is one of <see cref="SupportedCultures"/> (case-insensitive).</summary>
    /// <param name="culture">A culture name such as <c>zh-CN</c>.</param>
    public static bool IsSupportedCulture(string? culture) =>
        culture is not null && SupportedCultures.Contains(culture, StringComparer.OrdinalIgnoreCase);
}
