namespace Portal.Core.Access;

/// <summary>
/// Who performs an action: the signed-in user (or a background job), with the roles and merchant that decide
/// what the action may touch. Domain code takes an <see cref="Actor"/> rather than ASP.NET types so that jobs,
/// the CLI and tests can act too.
/// </summary>
/// <param name="UserId">Identity user id; <see cref="SystemUserId"/> for jobs.</param>
/// <param name="UserName">Login name shown in the audit log.</param>
/// <param name="Roles">Role names from <see cref="PortalRoles"/>.</param>
/// <param name="MerchantId">The merchant a <see cref="PortalRoles.Merchant"/> account belongs to; null for staff of the platform.</param>
public sealed record Actor(string UserId, string UserName, IReadOnlySet<string> Roles, int? MerchantId)
{
    /// <summary>User id recorded for actions of background jobs.</summary>
    public const string SystemUserId = "system";

    /// <summary>The actor of background jobs (scheduled batch builds, delivery): every role, no merchant restriction.</summary>
    public static Actor System { get; } = new(SystemUserId, "system", new HashSet<string>(PortalRoles.All), null);

    /// <summary>True when the actor holds <paramref name="role"/>.</summary>
    public bool IsInRole(string role) => Roles.Contains(role);

    /// <summary>True for administrators.</summary>
    public bool IsAdmin => IsInRole(PortalRoles.Admin);

    /// <summary>True for platform staff (Operations or Admin), who see every merchant.</summary>
    public bool IsStaff => IsInRole(PortalRoles.Operations) || IsInRole(PortalRoles.Admin);

    /// <summary>
    /// True when the actor may see data of <paramref name="merchantId"/>: platform staff see every merchant, anyone
    /// else (a merchant account, an API key's caller, an account without roles) only its own merchant, if it has one.
    /// </summary>
    public bool CanSeeMerchant(int merchantId) => IsStaff || MerchantId == merchantId;

    /// <summary>True for a merchant account without a platform role (Operations or Admin).</summary>
    public bool IsMerchantOnly => IsInRole(PortalRoles.Merchant) && !IsInRole(PortalRoles.Operations) && !IsInRole(PortalRoles.Admin);
}
