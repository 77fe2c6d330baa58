using System.Globalization;
using System.Security.Claims;

namespace Portal.Core.Access;

/// <summary>
/// The actor of the current logical operation (an HTTP request or a Blazor Server circuit activity), carried in an
/// <see cref="AsyncLocal{T}"/> so that it flows into every <c>await</c> of that operation. A
/// <see cref="Data.PortalDbContext"/> reads <see cref="Current"/> when it is constructed and, for a merchant account,
/// restricts its queries to that merchant (global query filters). Outside any scope (background jobs, training, the
/// CLI) <see cref="Current"/> is null and nothing is restricted.
/// </summary>
public static class PortalScope
{
    private static readonly AsyncLocal<Actor?> Ambient = new();

    /// <summary>The actor of the current operation, or null outside any scope.</summary>
    public static Actor? Current => Ambient.Value;

    /// <summary>
    /// The merchant that data access is restricted to: null (no restriction) for platform staff
    /// (<see cref="Actor.IsStaff"/>) and outside any actor (background jobs); otherwise the actor's merchant.
    /// </summary>
    /// <remarks>An actor that is not staff and has no merchant id (an account without roles, a misconfigured merchant
    /// account) is restricted to merchant 0, which does not exist: it sees nothing rather than everything.</remarks>
    public static int? RestrictedMerchantId => MerchantRestriction(Current);

    /// <summary>The merchant <paramref name="actor"/>'s data access is restricted to (see <see cref="RestrictedMerchantId"/>).</summary>
    /// <param name="actor">The actor, or null (no restriction).</param>
    /// <returns>The merchant id, 0 for an actor that is not staff and has no merchant, null for no restriction.</returns>
    public static int? MerchantRestriction(Actor? actor)
    {
        if (actor is null || actor.IsStaff) return null;
        // An API key's caller (merchant claim, no role) is scoped by the endpoints themselves, which look customers up
        // across merchants on purpose (feedback may name a customer before any event on the merchant's products).
        if (actor.Roles.Count == 0 && actor.MerchantId is not null) return null;
        return actor.MerchantId ?? NoMerchant;
    }

    /// <summary>The restriction of a merchant account without a merchant: an id no merchant has.</summary>
    public const int NoMerchant = 0;

    /// <summary>Makes <paramref name="actor"/> the current actor until the returned handle is disposed (then the previous one is restored).</summary>
    /// <param name="actor">The actor; null leaves the operation unrestricted.</param>
    /// <returns>A handle that restores the previous actor.</returns>
    public static IDisposable Enter(Actor? actor)
    {
        var previous = Ambient.Value;
        Ambient.Value = actor;
        return new Restore(previous);
    }

    /// <summary>
    /// The actor of a signed-in principal: name identifier, name, role claims and the <see cref="PortalClaims.MerchantId"/>
    /// claim. Null for an anonymous principal.
    /// </summary>
    /// <param name="user">The principal (cookie or API-key authentication).</param>
    /// <returns>The actor, or null when <paramref name="user"/> is not authenticated.</returns>
    public static Actor? ActorOf(ClaimsPrincipal? user)
    {
        if (user?.Identity?.IsAuthenticated != true) return null;
        var id = user.FindFirstValue(ClaimTypes.NameIdentifier) ?? user.Identity.Name ?? "unknown";
        var name = user.Identity.Name ?? id;
        var roles = user.FindAll(ClaimTypes.Role).Select(c => c.Value).ToHashSet(StringComparer.Ordinal);
        int? merchant = int.TryParse(user.FindFirstValue(PortalClaims.MerchantId), NumberStyles.None, CultureInfo.InvariantCulture, out var m) ? m : null;
        return new Actor(id, name, roles, merchant);
    }

    private sealed class Restore(Actor? previous) : IDisposable
    {
        public void Dispose() => Ambient.Value = previous;
    }
}
