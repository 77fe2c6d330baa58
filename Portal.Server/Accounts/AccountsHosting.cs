using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components.Server.Circuits;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Portal.Core.Access;
using Portal.Core.Data;

namespace Portal.Server.Accounts;

/// <summary>
/// Accounts and roles: ASP.NET Core Identity on <see cref="PortalDbContext"/> with cookie sign-in, the authorization
/// rules (every page and API needs a signed-in user unless it says otherwise), the merchant scope of each request and
/// circuit, the seeded accounts, and the logout endpoint.
/// </summary>
public static class AccountsHosting
{
    /// <summary>Login page path (static server rendering, Portal.Client/Pages/Account/Login.razor).</summary>
    public const string LoginPath = "/Account/Login";
    /// <summary>Logout endpoint (POST with antiforgery token).</summary>
    public const string LogoutPath = "/Account/Logout";
    /// <summary>Failed sign-ins before an account is locked out.</summary>
    public const int MaxFailedAccessAttempts = 5;
    /// <summary>How long a locked-out account stays locked.</summary>
    public static readonly TimeSpan LockoutTime = TimeSpan.FromMinutes(15);

    /// <summary>
    /// Registers Identity (users, roles, sign-in manager, claims with the merchant id), cookie authentication, the
    /// fallback authorization policy (an authenticated user), the cascading authentication state for pages, the
    /// circuit handler that flows the user into <see cref="PortalScope"/>, and <see cref="AccountSeeder"/>
    /// (call after <c>AddPortalServer</c> so that it runs after the migration).
    /// </summary>
    /// <param name="services">The container.</param>
    /// <param name="configuration"><c>Accounts:SecureCookies</c> (default: true outside Development): cookies only over https;
    /// false sends them over plain http too (a deployment without TLS in front, e.g. compose on a LAN).</param>
    /// <param name="environment">Development keeps cookies usable over plain http (SameAsRequest); elsewhere they are Secure only.</param>
    public static IServiceCollection AddPortalAccounts(this IServiceCollection services, IConfiguration configuration, IHostEnvironment environment)
    {
        var securePolicy = configuration.GetValue("Accounts:SecureCookies", !environment.IsDevelopment())
            ? CookieSecurePolicy.Always : CookieSecurePolicy.SameAsRequest;
        services.AddCascadingAuthenticationState();
        services.AddAuthentication(o =>
        {
            o.DefaultScheme = IdentityConstants.ApplicationScheme;
            o.DefaultSignInScheme = IdentityConstants.ExternalScheme;
        }).AddIdentityCookies();
        services.AddIdentityCore<PortalUser>(o =>
            {
                o.SignIn.RequireConfirmedAccount = false;
                o.User.RequireUniqueEmail = true;
                o.Password.RequiredLength = 10;
                o.Password.RequireDigit = true;
                o.Password.RequireLowercase = true;
                o.Password.RequireUppercase = true;
                o.Password.RequireNonAlphanumeric = false;
                o.Password.RequiredUniqueChars = 4;
                o.Lockout.AllowedForNewUsers = true;
                o.Lockout.MaxFailedAccessAttempts = MaxFailedAccessAttempts;
                o.Lockout.DefaultLockoutTimeSpan = LockoutTime;
            })
            .AddRoles<IdentityRole>()
            .AddEntityFrameworkStores<PortalDbContext>()
            .AddSignInManager()
            .AddClaimsPrincipalFactory<PortalClaimsPrincipalFactory>()
            .AddDefaultTokenProviders();
        services.ConfigureApplicationCookie(o =>
        {
            o.LoginPath = LoginPath;
            o.LogoutPath = LogoutPath;
            o.Cookie.Name = "portal.auth";
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Lax;
            o.Cookie.SecurePolicy = securePolicy;
            o.ExpireTimeSpan = TimeSpan.FromHours(8);
            o.SlidingExpiration = true;
            o.Events = new CookieAuthenticationEvents
            {
                // APIs and the job dashboard answer 401 instead of redirecting to the login page.
                OnRedirectToLogin = context =>
                {
                    if (IsApi(context.Request)) context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                    else context.Response.Redirect(context.RedirectUri);
                    return Task.CompletedTask;
                },
                // A signed-in user without the role gets 403 (pages show the access-denied text of the status page).
                OnRedirectToAccessDenied = context =>
                {
                    context.Response.StatusCode = StatusCodes.Status403Forbidden;
                    return Task.CompletedTask;
                },
            };
        });
        services.Configure<Microsoft.AspNetCore.Antiforgery.AntiforgeryOptions>(o =>
            o.Cookie.SecurePolicy = securePolicy);
        services.AddAuthorizationBuilder()
            .SetFallbackPolicy(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build())
            .AddPolicy(PortalPolicies.Admin, p => p.RequireRole(PortalRoles.Admin))
            .AddPolicy(PortalPolicies.Staff, p => p.RequireRole(PortalRoles.Operations, PortalRoles.Admin));
        services.AddScoped<CircuitHandler, PortalScopeCircuitHandler>();
        services.AddHostedService<AccountSeeder>();
        return services;
    }

    /// <summary>Authentication, authorization and the request's <see cref="PortalScope"/>; call before <c>UseAntiforgery</c>.</summary>
    /// <param name="app">The pipeline.</param>
    public static IApplicationBuilder UsePortalAccounts(this IApplicationBuilder app)
    {
        app.UseAuthentication();
        app.UseAuthorization();
        app.UsePortalScope();
        return app;
    }

    /// <summary>Maps <c>POST /Account/Logout</c> (antiforgery-checked form post; signs out and returns to the login page).</summary>
    /// <param name="app">The endpoints.</param>
    public static IEndpointRouteBuilder MapAccountEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost(LogoutPath, async (SignInManager<PortalUser> signIn, [FromForm] string? returnUrl) =>
        {
            await signIn.SignOutAsync();
            return TypedResults.LocalRedirect(LoginPath);
        }).ExcludeFromDescription();
        return app;
    }

    private static bool IsApi(HttpRequest request) =>
        request.Path.StartsWithSegments("/api") || request.Path.StartsWithSegments("/hangfire") || request.Path.StartsWithSegments("/openapi");
}

/// <summary>Names of the authorization policies endpoints use (pages use <c>[Authorize(Roles = ...)]</c>).</summary>
public static class PortalPolicies
{
    /// <summary>Administrators only.</summary>
    public const string Admin = "admin";
    /// <summary>Platform staff: Operations or Admin.</summary>
    public const string Staff = "staff";
}
