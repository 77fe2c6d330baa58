using Microsoft.AspNetCore.Identity;

namespace Portal.Core.Access;

/// <summary>
/// A login of the portal (ASP.NET Core Identity user, stored in the portal's own database). Its roles come from
/// <see cref="PortalRoles"/>; a <see cref="PortalRoles.Merchant"/> account belongs to exactly one merchant.
/// </summary>
public class PortalUser : IdentityUser
{
    /// <summary>
    /// The merchant (Merchants.Id) a merchant account belongs to; null for platform staff (Operations, Admin).
    /// Added to the sign-in principal as the <see cref="PortalClaims.MerchantId"/> claim.
    /// </summary>
    public int? MerchantId { get; set; }
}
