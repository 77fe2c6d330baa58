using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Access;

namespace Portal.Client.Pages.Batches;

/// <summary>Who the signed-in user of a page is, as the <see cref="Actor"/> domain services take.</summary>
public interface ICurrentActor
{
    /// <summary>The actor of the current circuit or request.</summary>
    Task<Actor> GetAsync();
}

/// <summary>
/// The actor from the authentication state: user id (<see cref="ClaimTypes.NameIdentifier"/>), name, role claims and
/// <see cref="PortalClaims.MerchantId"/>. A visitor who is not signed in gets <paramref name="signedOut"/> (the host's
/// choice; null: an actor without roles, who may do nothing).
/// </summary>
/// <param name="services">The scope's services (the <see cref="AuthenticationStateProvider"/>, when the host has one).</param>
/// <param name="signedOut">The actor of visitors who are not signed in, or null.</param>
public sealed class ClaimsCurrentActor(IServiceProvider services, Actor? signedOut = null) : ICurrentActor
{

    /// <inheritdoc />
    public async Task<Actor> GetAsync()
    {
        var provider = services.GetService<AuthenticationStateProvider>();
        if (provider is not null)
        {
            try
            {
                var user = (await provider.GetAuthenticationStateAsync()).User;
                if (user.Identity?.IsAuthenticated == true) return FromPrincipal(user);
            }
            catch (InvalidOperationException)
            {
                // No authentication state in this scope (no authentication configured).
            }
        }
        return signedOut ?? Portal.Client.Components.CurrentActor.Nobody;
    }

    /// <summary>The actor of an authenticated principal (<see cref="PortalScope.ActorOf"/>).</summary>
    /// <param name="user">The principal.</param>
    public static Actor FromPrincipal(ClaimsPrincipal user) => PortalScope.ActorOf(user) ?? Portal.Client.Components.CurrentActor.Nobody;
}
