using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using Portal.Core.Access;

namespace Portal.Server.Accounts;

/// <summary>
/// Builds the sign-in principal of a <see cref="PortalUser"/>: Identity's name, id, security stamp and role claims,
/// plus <see cref="PortalClaims.MerchantId"/> (the merchant id as invariant text) for a merchant account.
/// </summary>
public sealed class PortalClaimsPrincipalFactory(UserManager<PortalUser> users, RoleManager<IdentityRole> roles, IOptions<IdentityOptions> options)
    : UserClaimsPrincipalFactory<PortalUser, IdentityRole>(users, roles, options)
{
    /// <inheritdoc />
    protected override async Task<ClaimsIdentity> GenerateClaimsAsync(PortalUser user)
    {
        var identity = await base.GenerateClaimsAsync(user);
        if (user.MerchantId is { } merchant)
            identity.AddClaim(new Claim(PortalClaims.MerchantId, merchant.ToString(CultureInfo.InvariantCulture)));
        return identity;
    }
}
