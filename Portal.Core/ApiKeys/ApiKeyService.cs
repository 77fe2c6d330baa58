using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Portal.Core.Access;
using Portal.Core.Audit;
using Portal.Core.Data;

namespace Portal.Core.ApiKeys;

/// <summary>A key just created: the stored row and the key itself, which exists only here and is shown once.</summary>
/// <param name="Key">The stored row (hash and prefix, never the key).</param>
/// <param name="PlainTextKey">The key to hand to the merchant: <c>pk_</c>, 8 hexadecimal digits, <c>_</c>, 43 base64url characters (256 random bits).</param>
public sealed record CreatedApiKey(MerchantApiKey Key, string PlainTextKey);

/// <summary>The merchant an API key authenticated, for the authentication handler.</summary>
/// <param name="KeyId">MerchantApiKeys.Id (the rate-limit partition).</param>
/// <param name="MerchantId">The key's merchant.</param>
/// <param name="Name">The key's name.</param>
/// <param name="Prefix">The key's prefix.</param>
public sealed record ApiKeyIdentity(int KeyId, int MerchantId, string Name, string Prefix);

/// <summary>Thrown for a request the key store refuses (unknown merchant, empty name, key of another merchant).</summary>
/// <param name="message">What is wrong, naming the field.</param>
public sealed class ApiKeyException(string message) : Exception(message);

/// <summary>
/// Creates, lists, revokes and checks merchant API keys. A key is 256 bits from <see cref="RandomNumberGenerator"/>;
/// the database holds its SHA-256 (a fast hash is enough for a random 256-bit secret, which cannot be guessed from
/// a dictionary) and its prefix. Creation and revocation are audited (<see cref="AuditLog.Add"/>) in the same
/// SaveChanges as the change.
/// </summary>
/// <param name="contexts">The database.</param>
public sealed class ApiKeyService(IDbContextFactory<PortalDbContext> contexts)
{
    /// <summary>Length of <see cref="MerchantApiKey.Prefix"/>: <c>pk_</c> plus 8 hexadecimal digits.</summary>
    public const int PrefixLength = 11;

    /// <summary>Longest key name.</summary>
    public const int MaxNameLength = 100;

    /// <summary>How often <see cref="MerchantApiKey.LastUsedAt"/> is written at most (one write per key per interval).</summary>
    public static readonly TimeSpan LastUsedResolution = TimeSpan.FromMinutes(1);

    /// <summary>Creates a key for <paramref name="merchantId"/> and returns it with the only copy of the key text.</summary>
    /// <param name="actor">Who creates it (must be able to see the merchant).</param>
    /// <param name="merchantId">Merchants.Id.</param>
    /// <param name="name">1 to <see cref="MaxNameLength"/> characters, trimmed.</param>
    /// <param name="ct">Cancellation.</param>
    /// <exception cref="ApiKeyException">Empty or too long name, unknown merchant.</exception>
    /// <exception cref="UnauthorizedAccessException">The actor may not act for that merchant.</exception>
    public async Task<CreatedApiKey> CreateAsync(Actor actor, int merchantId, string name, CancellationToken ct = default)
    {
        name = (name ?? "").Trim();
        if (name.Length == 0) throw new ApiKeyException("name: a key needs a name.");
        if (name.Length > MaxNameLength) throw new ApiKeyException($"name: at most {MaxNameLength} characters, got {name.Length}.");
        if (!actor.CanSeeMerchant(merchantId)) throw new UnauthorizedAccessException($"{actor.UserName} may not create keys for merchant {merchantId}.");
        await using var db = await contexts.CreateDbContextAsync(ct);
        if (!await db.Merchants.AnyAsync(m => m.Id == merchantId, ct)) throw new ApiKeyException($"merchantId: no merchant with id {merchantId}.");

        var plain = NewKey();
        var key = new MerchantApiKey
        {
            MerchantId = merchantId, Name = name, Prefix = plain[..PrefixLength], KeyHash = Hash(plain),
            CreatedAt = DateTime.UtcNow, CreatedByUserId = actor.UserId,
        };
        // The key's id exists only after the insert: the key and its audit entry are written in one transaction.
        var strategy = db.Database.CreateExecutionStrategy();
        await strategy.ExecuteAsync(async () =>
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            db.MerchantApiKeys.Add(key);
            await db.SaveChangesAsync(ct);
            AuditLog.Add(db, actor, "apikey.create", nameof(MerchantApiKey), key.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), merchantId,
                null, Snapshot(key));
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
        });
        return new CreatedApiKey(key, plain);
    }

    /// <summary>Revokes a key (idempotent: revoking a revoked key changes nothing and writes no audit entry).</summary>
    /// <param name="actor">Who revokes it (must be able to see the key's merchant).</param>
    /// <param name="keyId">MerchantApiKeys.Id.</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>The key after the call.</returns>
    /// <exception cref="ApiKeyException">No such key.</exception>
    /// <exception cref="UnauthorizedAccessException">The actor may not act for the key's merchant.</exception>
    public async Task<MerchantApiKey> RevokeAsync(Actor actor, int keyId, CancellationToken ct = default)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var key = await db.MerchantApiKeys.SingleOrDefaultAsync(k => k.Id == keyId, ct) ?? throw new ApiKeyException($"keyId: no API key with id {keyId}.");
        if (!actor.CanSeeMerchant(key.MerchantId)) throw new UnauthorizedAccessException($"{actor.UserName} may not revoke keys of merchant {key.MerchantId}.");
        if (key.RevokedAt is not null) return key;
        var before = Snapshot(key);
        key.RevokedAt = DateTime.UtcNow;
        key.RevokedByUserId = actor.UserId;
        // The change and its audit entry in one SaveChanges (one transaction).
        AuditLog.Add(db, actor, "apikey.revoke", nameof(MerchantApiKey), key.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), key.MerchantId,
            before, Snapshot(key));
        await db.SaveChangesAsync(ct);
        return key;
    }

    /// <summary>The keys the actor may see (all merchants' for platform staff, its own for a merchant), newest first.</summary>
    /// <param name="actor">Who asks.</param>
    /// <param name="merchantId">Only this merchant's keys; null for every merchant the actor may see.</param>
    /// <param name="ct">Cancellation.</param>
    public async Task<List<MerchantApiKey>> ListAsync(Actor actor, int? merchantId = null, CancellationToken ct = default)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var q = db.MerchantApiKeys.AsNoTracking();
        if (!actor.IsStaff) q = q.Where(k => k.MerchantId == actor.MerchantId);
        if (merchantId is { } m) q = q.Where(k => k.MerchantId == m);
        return await q.OrderByDescending(k => k.CreatedAt).ThenByDescending(k => k.Id).ToListAsync(ct);
    }

    /// <summary>
    /// The merchant a presented key belongs to, or null when the key is unknown or revoked. Compares hashes (the
    /// stored value is a hash, so timing reveals nothing about a key) and records the use at most once a minute.
    /// </summary>
    /// <param name="presentedKey">The <c>X-Api-Key</c> header value.</param>
    /// <param name="ct">Cancellation.</param>
    public async Task<ApiKeyIdentity?> AuthenticateAsync(string? presentedKey, CancellationToken ct = default)
    {
        if (string.IsNullOrWhiteSpace(presentedKey) || presentedKey.Length > 200) return null;
        var hash = Hash(presentedKey.Trim());
        await using var db = await contexts.CreateDbContextAsync(ct);
        var key = await db.MerchantApiKeys.SingleOrDefaultAsync(k => k.KeyHash == hash, ct);
        if (key is null || key.RevokedAt is not null) return null;
        var now = DateTime.UtcNow;
        if (key.LastUsedAt is null || now - key.LastUsedAt.Value >= LastUsedResolution)
        {
            key.LastUsedAt = now;
            await db.SaveChangesAsync(ct);
        }
        return new ApiKeyIdentity(key.Id, key.MerchantId, key.Name, key.Prefix);
    }

    /// <summary>SHA-256 of the key's UTF-8 bytes as 64 lower-case hexadecimal digits (what <see cref="MerchantApiKey.KeyHash"/> holds).</summary>
    /// <param name="key">The key text.</param>
    public static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    /// <summary>A new key: <c>pk_</c>, 8 random hexadecimal digits (the prefix), <c>_</c> and 32 random bytes in base64url.</summary>
    private static string NewKey()
    {
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
        var secret = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        return $"pk_{id}_{secret}";
    }

    /// <summary>What the audit log records of a key (never the hash).</summary>
    private static object Snapshot(MerchantApiKey k) => new { k.Id, k.MerchantId, k.Name, k.Prefix, k.CreatedAt, k.RevokedAt, k.RevokedByUserId };
}
