namespace Portal.Core.Access;

/// <summary>Claim types the portal adds to a signed-in user or an API-key caller.</summary>
public static class PortalClaims
{
    /// <summary>The merchant id (Merchants.Id, as text) a merchant account or a merchant API key belongs to.</summary>
    public const string MerchantId = "portal:merchant_id";
}
