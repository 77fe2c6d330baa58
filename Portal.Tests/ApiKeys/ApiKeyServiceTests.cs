using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Portal.Core.Access;
using Portal.Core.ApiKeys;
using Portal.Core.Catalog;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.ApiKeys;

/// <summary>Merchant API keys on a real SQLite database: only the hash is stored, revoked keys fail, changes are audited.</summary>
public sealed class ApiKeyServiceTests : IDisposable
{
    private readonly SqliteTestDatabase _db = new();
    private readonly ApiKeyService _keys;
    private readonly int _shopA, _shopB;

    public ApiKeyServiceTests()
    {
        _keys = new ApiKeyService(_db.Factory);
        using var db = _db.CreateContext();
        var a = new Merchant { Code = "shop-a", Name = "Shop A" };
        var b = new Merchant { Code = "shop-b", Name = "Shop B" };
        db.Merchants.AddRange(a, b);
        db.SaveChanges();
        (_shopA, _shopB) = (a.Id, b.Id);
    }

    public void Dispose() => _db.Dispose();

    [Fact]
    public async Task A_created_key_is_stored_as_its_sha256_only_and_authenticates_its_merchant()
    {
        var created = await _keys.CreateAsync(Actor.System, _shopA, "  shop backend ");

        Assert.Matches("^pk_[0-9a-f]{8}_[A-Za-z0-9_-]{43}$", created.PlainTextKey);
        await using (var db = _db.CreateContext())
        {
            var row = await db.MerchantApiKeys.SingleAsync();
            Assert.Equal("shop backend", row.Name);
            Assert.Equal(created.PlainTextKey[..11], row.Prefix);
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(created.PlainTextKey))), row.KeyHash);
            // The key itself is nowhere in the database row or the audit log.
            var audit = await db.AuditEntries.SingleAsync();
            Assert.Equal("apikey.create", audit.Action);
            Assert.Equal(row.Id.ToString(), audit.EntityId);
            Assert.Equal(_shopA, audit.MerchantId);
            Assert.Null(audit.BeforeJson);
            Assert.DoesNotContain(created.PlainTextKey[12..], audit.AfterJson);
            Assert.DoesNotContain(row.KeyHash, audit.AfterJson);
            Assert.Equal("shop backend", JsonDocument.Parse(audit.AfterJson!).RootElement.GetProperty("Name").GetString());
        }

        var identity = await _keys.AuthenticateAsync(created.PlainTextKey);
        Assert.NotNull(identity);
        Assert.Equal(_shopA, identity.MerchantId);
        Assert.Equal(created.Key.Id, identity.KeyId);
        Assert.Null(await _keys.AuthenticateAsync(created.PlainTextKey + "x"));
        Assert.Null(await _keys.AuthenticateAsync(created.PlainTextKey[..^1]));
        Assert.Null(await _keys.AuthenticateAsync(""));
        await using (var db = _db.CreateContext())
            Assert.NotNull((await db.MerchantApiKeys.SingleAsync()).LastUsedAt);

        // Two keys never share text.
        var second = await _keys.CreateAsync(Actor.System, _shopA, "other");
        Assert.NotEqual(created.PlainTextKey, second.PlainTextKey);
    }

    [Fact]
    public async Task A_revoked_key_no_longer_authenticates_and_the_revocation_is_audited_once()
    {
        var created = await _keys.CreateAsync(Actor.System, _shopB, "crm");
        var revoked = await _keys.RevokeAsync(Actor.System, created.Key.Id);
        Assert.NotNull(revoked.RevokedAt);
        Assert.Null(await _keys.AuthenticateAsync(created.PlainTextKey));

        await _keys.RevokeAsync(Actor.System, created.Key.Id); // idempotent
        await using var db = _db.CreateContext();
        var entries = await db.AuditEntries.OrderBy(e => e.Id).ToListAsync();
        Assert.Equal(["apikey.create", "apikey.revoke"], entries.Select(e => e.Action));
        var revoke = entries[1];
        Assert.Equal(_shopB, revoke.MerchantId);
        Assert.False(JsonDocument.Parse(revoke.BeforeJson!).RootElement.TryGetProperty("RevokedAt", out _));
        Assert.True(JsonDocument.Parse(revoke.AfterJson!).RootElement.TryGetProperty("RevokedAt", out _));
    }

    [Fact]
    public async Task Bad_requests_name_the_field_and_a_merchant_account_acts_only_for_itself()
    {
        Assert.Equal("name: a key needs a name.", (await Assert.ThrowsAsync<ApiKeyException>(() => _keys.CreateAsync(Actor.System, _shopA, "  "))).Message);
        Assert.StartsWith("name: at most 100 characters", (await Assert.ThrowsAsync<ApiKeyException>(() => _keys.CreateAsync(Actor.System, _shopA, new string('x', 101)))).Message);
        Assert.Equal("merchantId: no merchant with id 999.", (await Assert.ThrowsAsync<ApiKeyException>(() => _keys.CreateAsync(Actor.System, 999, "x"))).Message);
        Assert.Equal("keyId: no API key with id 42.", (await Assert.ThrowsAsync<ApiKeyException>(() => _keys.RevokeAsync(Actor.System, 42))).Message);

        var merchantA = new Actor("u-a", "merchant-a", new HashSet<string> { PortalRoles.Merchant }, _shopA);
        var own = await _keys.CreateAsync(merchantA, _shopA, "mine");
        var other = await _keys.CreateAsync(Actor.System, _shopB, "theirs");
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => _keys.CreateAsync(merchantA, _shopB, "not mine"));
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => _keys.RevokeAsync(merchantA, other.Key.Id));
        Assert.Equal([own.Key.Id], (await _keys.ListAsync(merchantA)).Select(k => k.Id));
        Assert.Equal(2, (await _keys.ListAsync(Actor.System)).Count);
        await using var db = _db.CreateContext();
        Assert.Equal(2, await db.MerchantApiKeys.CountAsync());
        Assert.Equal("u-a", (await db.AuditEntries.OrderBy(e => e.Id).FirstAsync()).UserId);
    }
}
