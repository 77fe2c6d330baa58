using Microsoft.AspNetCore.Components.Authorization;
using Portal.Core.Access;

namespace Portal.Client.Components;

/// <summary>The <see cref="Actor"/> a page passes to domain services: the signed-in user of the component's authentication state.</summary>
public static class CurrentActor
{
    /// <summary>An actor without roles or merchant (nobody signed in yet): domain services let it do nothing.</summary>
    public static Actor Nobody { get; } = new("anonymous", "anonymous", new HashSet<string>(), null);

    /// <summary>
    /// Like <see cref="GetAsync"/>, but <see cref="Nobody"/> instead of an exception when nobody is signed in (for pages
    /// that render before the state is known and let the domain service refuse).
    /// </summary>
    /// <param name="state">The cascading <c>Task&lt;AuthenticationState&gt;</c>, or null.</param>
    public static async Task<Actor> GetOrNobodyAsync(Task<AuthenticationState>? state) =>
        (state is not null ? PortalScope.ActorOf((await state).User) : null) ?? PortalScope.Current ?? Nobody;

    /// <summary>
    /// The actor of <paramref name="state"/> (the cascading authentication state), else the ambient
    /// <see cref="PortalScope.Current"/> of the circuit activity.
    /// </summary>
    /// <param name="state">The cascading <c>Task&lt;AuthenticationState&gt;</c>, or null.</param>
    /// <returns>The signed-in actor.</returns>
    /// <exception cref="InvalidOperationException">Nobody is signed in (the session ended): the page asks to sign in again.</exception>
    public static async Task<Actor> GetAsync(Task<AuthenticationState>? state)
    {
        if (state is not null && PortalScope.ActorOf((await state).User) is { } actor) return actor;
        return PortalScope.Current ?? throw new InvalidOperationException("Nobody is signed in: sign in again to make changes.");
    }
}
