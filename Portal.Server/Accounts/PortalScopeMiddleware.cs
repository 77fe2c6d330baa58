using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server.Circuits;
using Portal.Core.Access;

namespace Portal.Server.Accounts;

/// <summary>
/// Flows the signed-in user into <see cref="PortalScope"/> for an HTTP request (pages' prerendering, APIs), so that
/// every <see cref="Portal.Core.Data.PortalDbContext"/> created while handling it applies the merchant filters.
/// Runs after authentication.
/// </summary>
public static class PortalScopeMiddleware
{
    /// <summary>Adds the middleware (after <c>UseAuthentication</c>).</summary>
    /// <param name="app">The pipeline.</param>
    public static IApplicationBuilder UsePortalScope(this IApplicationBuilder app) =>
        app.Use(async (http, next) =>
        {
            using (PortalScope.Enter(PortalScope.ActorOf(http.User)))
                await next(http);
        });
}

/// <summary>
/// Flows the circuit's user into <see cref="PortalScope"/> for every inbound activity of a Blazor Server circuit
/// (initial render, events, JS interop), the documented way to make the user available to services outside the
/// component tree ("Access server-side Blazor services from a different DI scope", ASP.NET Core docs: circuit
/// activity handlers). The user comes from the circuit's <see cref="AuthenticationStateProvider"/>.
/// </summary>
public sealed class PortalScopeCircuitHandler(AuthenticationStateProvider authentication) : CircuitHandler
{
    /// <inheritdoc />
    public override Func<CircuitInboundActivityContext, Task> CreateInboundActivityHandler(Func<CircuitInboundActivityContext, Task> next) =>
        async context =>
        {
            var state = await authentication.GetAuthenticationStateAsync();
            using (PortalScope.Enter(PortalScope.ActorOf(state.User)))
                await next(context);
        };
}
