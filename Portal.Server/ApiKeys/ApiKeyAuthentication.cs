using System.Globalization;
using System.Security.Claims;
using System.Text.Encodings.Web;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;
using Portal.Core.Access;
using Portal.Core.ApiKeys;

namespace Portal.Server.ApiKeys;

/// <summary>Options of the <c>ApiKey</c> authentication scheme (none beyond the defaults).</summary>
public sealed class ApiKeyAuthenticationOptions : AuthenticationSchemeOptions;

/// <summary>
/// The <c>ApiKey</c> authentication scheme: reads the <c>X-Api-Key</c> header, checks it with
/// <see cref="ApiKeyService.AuthenticateAsync"/> (SHA-256 lookup; revoked keys fail) and produces a principal with
/// <see cref="PortalClaims.MerchantId"/>, <see cref="ApiKeyAccess.KeyIdClaim"/> and the key's name. No header: no
/// result (the endpoint's policy then answers 401); an unknown or revoked key: failure (401). The challenge is an RFC 7807
/// problem naming the header.
/// </summary>
/// <param name="options">Scheme options.</param>
/// <param name="logger">Logger factory.</param>
/// <param name="encoder">URL encoder.</param>
/// <param name="keys">The key store.</param>
public sealed class ApiKeyAuthenticationHandler(IOptionsMonitor<ApiKeyAuthenticationOptions> options, ILoggerFactory logger, UrlEncoder encoder, ApiKeyService keys)
    : AuthenticationHandler<ApiKeyAuthenticationOptions>(options, logger, encoder)
{
    /// <inheritdoc />
    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!Request.Headers.TryGetValue(ApiKeyAccess.HeaderName, out var values) || string.IsNullOrWhiteSpace(values.ToString()))
            return AuthenticateResult.NoResult();
        var identity = await keys.AuthenticateAsync(values.ToString(), Context.RequestAborted);
        if (identity is null) return AuthenticateResult.Fail("Unknown or revoked API key.");
        var claims = new[]
        {
            new Claim(PortalClaims.MerchantId, identity.MerchantId.ToString(CultureInfo.InvariantCulture)),
            new Claim(ApiKeyAccess.KeyIdClaim, identity.KeyId.ToString(CultureInfo.InvariantCulture)),
            new Claim(ClaimTypes.Name, $"api-key:{identity.Prefix} ({identity.Name})"),
        };
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(new ClaimsIdentity(claims, Scheme.Name)), Scheme.Name));
    }

    /// <inheritdoc />
    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var result = await HandleAuthenticateOnceSafeAsync();
        var detail = result.Failure is not null
            ? $"The {ApiKeyAccess.HeaderName} header holds an unknown or revoked API key."
            : $"This endpoint needs a merchant API key in the {ApiKeyAccess.HeaderName} header (create one on the API keys page).";
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = $"{ApiKeyAccess.Scheme} header=\"{ApiKeyAccess.HeaderName}\"";
        await Results.Problem(title: "API key required", detail: detail, statusCode: StatusCodes.Status401Unauthorized).ExecuteAsync(Context);
    }
}

/// <summary>Rate limit of API-key callers (configuration section <c>ApiKeys:RateLimit</c>): a fixed window per key.</summary>
public sealed class ApiKeyRateLimitOptions
{
    /// <summary>Requests one key may make per window (default 600).</summary>
    public int PermitLimit { get; set; } = 600;

    /// <summary>Window length in seconds (default 60).</summary>
    public int WindowSeconds { get; set; } = 60;
}

/// <summary>
/// The machine APIs' access: the <c>ApiKey</c> scheme, the <see cref="PolicyName"/> authorization policy (a key's
/// merchant claim required) and a rate limiter partitioned by key (ASP.NET Core rate limiting; fixed window;
/// 429 with <c>Retry-After</c> and a problem body), plus the OpenAPI security scheme.
/// </summary>
public static class ApiKeyAccess
{
    /// <summary>The authentication scheme's name.</summary>
    public const string Scheme = "ApiKey";

    /// <summary>The request header that carries the key.</summary>
    public const string HeaderName = "X-Api-Key";

    /// <summary>The authorization policy of endpoints called with a merchant API key.</summary>
    public const string PolicyName = "merchant-api-key";

    /// <summary>The rate-limiter policy (partitioned by key).</summary>
    public const string RateLimitPolicy = "per-api-key";

    /// <summary>Claim with the key's id (MerchantApiKeys.Id), the rate-limit partition.</summary>
    public const string KeyIdClaim = "portal:api_key_id";

    /// <summary>Registers the scheme, the policy, the per-key rate limiter and the OpenAPI security scheme.</summary>
    /// <param name="services">The container.</param>
    /// <param name="configuration">Configuration with the optional <c>ApiKeys:RateLimit</c> section (<see cref="ApiKeyRateLimitOptions"/>).</param>
    public static IServiceCollection AddPortalApiKeys(this IServiceCollection services, IConfiguration configuration)
    {
        var limit = configuration.GetSection("ApiKeys:RateLimit").Get<ApiKeyRateLimitOptions>() ?? new ApiKeyRateLimitOptions();
        if (limit.PermitLimit < 1 || limit.WindowSeconds < 1)
            throw new InvalidOperationException($"ApiKeys:RateLimit needs PermitLimit ≥ 1 and WindowSeconds ≥ 1, got {limit.PermitLimit} and {limit.WindowSeconds}.");
        services.AddAuthentication().AddScheme<ApiKeyAuthenticationOptions, ApiKeyAuthenticationHandler>(Scheme, null);
        services.AddAuthorizationBuilder().AddPolicy(PolicyName, p => p.AddAuthenticationSchemes(Scheme).RequireAuthenticatedUser().RequireClaim(PortalClaims.MerchantId));
        services.AddRateLimiter(o =>
        {
            o.AddPolicy(RateLimitPolicy, context => RateLimitPartition.GetFixedWindowLimiter(
                context.User.FindFirst(KeyIdClaim)?.Value ?? "anonymous",
                _ => new FixedWindowRateLimiterOptions { PermitLimit = limit.PermitLimit, Window = TimeSpan.FromSeconds(limit.WindowSeconds), QueueLimit = 0 }));
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.OnRejected = async (context, ct) =>
            {
                var retry = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : TimeSpan.FromSeconds(limit.WindowSeconds);
                var seconds = Math.Max(1, (int)Math.Ceiling(retry.TotalSeconds));
                context.HttpContext.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
                await Results.Problem(title: "Too many requests",
                    detail: $"This API key may make {limit.PermitLimit} requests per {limit.WindowSeconds} s; retry after {seconds} s.",
                    statusCode: StatusCodes.Status429TooManyRequests).ExecuteAsync(context.HttpContext);
            };
        });
        // The default document ("v1", AddOpenApi in Program.cs) gets the security scheme.
        services.Configure<Microsoft.AspNetCore.OpenApi.OpenApiOptions>("v1", o =>
        {
            o.AddDocumentTransformer((document, _, _) =>
            {
                document.Components ??= new OpenApiComponents();
                document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
                document.Components.SecuritySchemes[Scheme] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.ApiKey, In = ParameterLocation.Header, Name = HeaderName,
                    Description = "A merchant API key (created on the portal's API keys page, shown once). Calls see only that merchant's data and are rate-limited per key.",
                };
                return Task.CompletedTask;
            });
            o.AddOperationTransformer((operation, context, _) =>
            {
                if (!context.Description.ActionDescriptor.EndpointMetadata.OfType<ApiKeyEndpointMarker>().Any()) return Task.CompletedTask;
                operation.Security ??= [];
                operation.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(Scheme, context.Document)] = [] });
                return Task.CompletedTask;
            });
        });
        return services;
    }

    /// <summary>
    /// Requires a merchant API key on <paramref name="builder"/>'s endpoints, applies the per-key rate limit and
    /// documents both (security requirement, 401 and 429 problem responses).
    /// </summary>
    /// <param name="builder">The endpoint.</param>
    public static RouteHandlerBuilder RequireApiKey(this RouteHandlerBuilder builder) =>
        builder.RequireAuthorization(PolicyName).RequireRateLimiting(RateLimitPolicy).WithMetadata(new ApiKeyEndpointMarker())
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);

    /// <summary>The merchant id of an API-key caller (from <see cref="PortalClaims.MerchantId"/>).</summary>
    /// <param name="user">The authenticated principal.</param>
    /// <exception cref="InvalidOperationException">The principal has no merchant claim (the endpoint lacks <see cref="RequireApiKey"/>).</exception>
    public static int MerchantId(ClaimsPrincipal user) =>
        int.TryParse(user.FindFirst(PortalClaims.MerchantId)?.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var id)
            ? id : throw new InvalidOperationException("The caller has no merchant claim.");

    /// <summary>Marks endpoints that take an API key (read by the OpenAPI operation transformer).</summary>
    public sealed class ApiKeyEndpointMarker;
}
