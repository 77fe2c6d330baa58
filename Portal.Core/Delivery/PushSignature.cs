using System.Security.Cryptography;
using System.Text;

namespace Portal.Core.Delivery;

/// <summary>
/// The webhook signature: header <see cref="Header"/> = <c>sha256=</c> + lower-case hex of HMAC-SHA256(secret as
/// UTF-8, request body bytes) (RFC 2104 HMAC, FIPS 180-4 SHA-256). Receivers recompute it over the raw body and
/// compare in constant time (<see cref="Verify"/>).
/// </summary>
public static class PushSignature
{
    /// <summary>The signature header.</summary>
    public const string Header = "X-Portal-Signature";

    /// <summary>The header with the send time as Unix seconds (UTC), so receivers can refuse stale deliveries.</summary>
    public const string TimestampHeader = "X-Portal-Timestamp";

    /// <summary>The header carrying <see cref="PushBatches.PushMessage.IdempotencyKey"/>.</summary>
    public const string IdempotencyHeader = "Idempotency-Key";

    /// <summary>The header value for <paramref name="body"/>: <c>sha256=</c> and 64 hex digits.</summary>
    /// <param name="secret">The merchant's webhook secret (non-empty).</param>
    /// <param name="body">The exact bytes sent.</param>
    /// <exception cref="ArgumentException">Empty secret.</exception>
    public static string Compute(string secret, ReadOnlySpan<byte> body)
    {
        ArgumentException.ThrowIfNullOrEmpty(secret);
        return "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));
    }

    /// <summary>True when <paramref name="header"/> is the signature of <paramref name="body"/> under <paramref name="secret"/> (constant-time compare).</summary>
    /// <param name="secret">The shared secret.</param>
    /// <param name="body">The raw body received.</param>
    /// <param name="header">The received <see cref="Header"/> value (null: false).</param>
    public static bool Verify(string secret, ReadOnlySpan<byte> body, string? header)
    {
        if (header is null || string.IsNullOrEmpty(secret)) return false;
        var expected = Encoding.ASCII.GetBytes(Compute(secret, body));
        var actual = Encoding.ASCII.GetBytes(header.Trim());
        return CryptographicOperations.FixedTimeEquals(expected, actual);
    }

    /// <summary>A secret shown in pages: only its last four characters (<c>••••abcd</c>); null or empty: an empty string.</summary>
    /// <param name="secret">The secret.</param>
    public static string Mask(string? secret) =>
        string.IsNullOrEmpty(secret) ? "" : "••••" + (secret.Length > 8 ? secret[^4..] : "");
}
