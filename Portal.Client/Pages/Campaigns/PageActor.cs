using Microsoft.AspNetCore.Components.Authorization;
using Portal.Client.Pages.Batches;
using Portal.Core.Access;

namespace Portal.Client.Pages.Campaigns;

/// <summary>The <see cref="Actor"/> the campaign pages pass to <see cref="Portal.Core.Campaigns.CampaignService"/>.</summary>
public static class PageActor
{
    /// <summary>An actor without roles (before the authentication state is read): may do nothing.</summary>
    public static Actor Nobody => ClaimsCurrentActor.Anonymous;

    /// <summary>
    /// The signed-in user of <paramref name="state"/> (<see cref="PortalScope.ActorOf"/>), else the ambient actor of
    /// the circuit activity, else <see cref="Nobody"/>.
    /// </summary>
    /// <param name="state">The cascading authentication state, or null.</param>
    public static async Task<Actor> FromAsync(Task<AuthenticationState>? state) =>
        (state is not null ? PortalScope.ActorOf((await state).User) : null) ?? PortalScope.Current ?? Nobody;
}
