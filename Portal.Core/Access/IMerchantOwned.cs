namespace Portal.Core.Access;

/// <summary>
/// An entity that belongs to one merchant. The context applies a global query filter to every entity type that
/// implements it, so a merchant account's queries only ever see rows of its own merchant.
/// </summary>
public interface IMerchantOwned
{
    /// <summary>The owning merchant's id (Merchants.Id).</summary>
    int MerchantId { get; }
}
