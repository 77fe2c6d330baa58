using Portal.Core.Access;

namespace Portal.Core.ApiKeys;

/// <summary>
/// A merchant's key for the machine APIs (<c>POST /api/feedback</c>, <c>GET /api/recommend/{userId}</c>), sent in the
/// <c>X-Api-Key</c> header. Only the SHA-256 hash of the key is stored (the key itself is shown once, when created) and
/// <see cref="Prefix"/> identifies it in lists. A revoked key never authenticates again.
/// </summary>
public class MerchantApiKey : IMerchantOwned
{
    /// <summary>Database key.</summary>
    public int Id { get; set; }

    /// <summary>The merchant the key acts for (Merchants.Id); every call made with it is restricted to this merchant's data.</summary>
    public int MerchantId { get; set; }

    /// <summary>A name the merchant gives the key (e.g. "shop backend"), 1 to 100 characters.</summary>
    public required string Name { get; set; }

    /// <summary>The key's first <see cref="ApiKeyService.PrefixLength"/> characters (<c>pk_</c> and 8 hexadecimal digits), shown in lists to tell keys apart.</summary>
    public required string Prefix { get; set; }

    /// <summary>SHA-256 of the whole key's UTF-8 bytes, 64 lower-case hexadecimal digits (unique).</summary>
    public required string KeyHash { get; set; }

    /// <summary>When the key was created (UTC).</summary>
    public DateTime CreatedAt { get; set; }

    /// <summary>Identity user id of the creator (<see cref="Actor.SystemUserId"/> until accounts exist).</summary>
    public required string CreatedByUserId { get; set; }

    /// <summary>When the key last authenticated a request (UTC, updated at most once a minute); null when never used.</summary>
    public DateTime? LastUsedAt { get; set; }

    /// <summary>When the key was revoked (UTC); null while it is valid.</summary>
    public DateTime? RevokedAt { get; set; }

    /// <summary>Identity user id of whoever revoked it.</summary>
    public string? RevokedByUserId { get; set; }

    /// <summary>True while the key authenticates (not revoked).</summary>
    public bool IsActive => RevokedAt is null;
}
