using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.Components.Authorization;
using Portal.Core.Access;

namespace Portal.Client.Pages.Campaigns;

/// <summary>
/// The <see cref="Actor"/> of a page: the signed-in user's id, name, roles and merchant claim
/// (<see cref="PortalClaims.MerchantId"/>). Until sign-in exists (accounts arrive with the roles work) a page without an
/// authenticated user acts as the local operator with every role and no merchant restriction.
/// </summary>
public static class PageActor
{
    /// <summary>The local operator used while the portal has no sign-in.</summary>
    public static Actor Local { get; } = new("local", "local", new HashSet<string>(PortalRoles.All), null);

    /// <summary>The actor of <paramref name="state"/> (null or anonymous: <see cref="Local"/>).</summary>
    /// <param name="state">The cascading authentication state, if the host provides one.</param>
    public static async Task<Actor> FromAsync(Task<AuthenticationState>? state)
    {
        if (state is null) return Local;
        var user = (await state).User;
        if (user.Identity?.IsAuthenticated != true) return Local;
        var id = user.FindFirstValue(ClaimTypes.NameIdentifier) ?? user.Identity.Name ?? "unknown";
        var roles = user.FindAll(ClaimTypes.Role).Select(c => c.Value).ToHashSet(StringComparer.Ordinal);
        var merchant = int.TryParse(user.FindFirstValue(PortalClaims.MerchantId), NumberStyles.Integer, CultureInfo.InvariantCulture, out var m) ? m : (int?)null;
        return new Actor(id, user.Identity.Name ?? id, roles, merchant);
    }
}
