using System.Globalization;
using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Portal.Core.Access;
using Portal.Core.Audit;
using Portal.Core.Catalog;
using Portal.Core.Data;

namespace Portal.Core.Delivery;

/// <summary>A merchant's delivery channel as pages show it: the secret only masked.</summary>
/// <param name="MerchantId">Merchants.Id.</param>
/// <param name="Code">Merchant code.</param>
/// <param name="Name">Merchant name.</param>
/// <param name="WebhookUrl">The webhook URL, or null (file sink).</param>
/// <param name="MaskedSecret">The secret's last four characters behind dots (<see cref="PushSignature.Mask"/>); empty when none.</param>
public sealed record MerchantWebhook(int MerchantId, string Code, string Name, string? WebhookUrl, string MaskedSecret)
{
    /// <summary>The channel the merchant's pushes take.</summary>
    public string Channel => PushChannels.Choose(null, WebhookUrl);
}

/// <summary>
/// Reads and changes a merchant's webhook (URL and signing secret). Who: Admin or Operations for any merchant, a
/// merchant's own users for their merchant. A new secret (32 random bytes, hex) is returned once and never shown again;
/// the audit entry (<c>merchant.webhook</c>) records the URL and the masked secret before and after.
/// </summary>
/// <param name="dbFactory">The database.</param>
public sealed class WebhookSettingsService(IDbContextFactory<PortalDbContext> dbFactory)
{
    /// <summary>Longest URL kept (the column's size).</summary>
    public const int MaxUrlLength = 500;

    /// <summary>The merchants <paramref name="actor"/> may see, by name.</summary>
    /// <param name="actor">Who asks.</param>
    /// <param name="ct">Cancellation.</param>
    public async Task<IReadOnlyList<MerchantWebhook>> ListAsync(Actor actor, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var merchants = await db.Merchants.AsNoTracking().OrderBy(m => m.Name).ToListAsync(ct);
        return merchants.Where(m => actor.CanSeeMerchant(m.Id)).Select(View).ToList();
    }

    /// <summary>
    /// Sets merchant <paramref name="merchantId"/>'s webhook URL (null or blank: no webhook, pushes go to the file sink)
    /// and, when <paramref name="newSecret"/> is true or the merchant has none yet while a URL is set, a new secret.
    /// </summary>
    /// <param name="merchantId">The merchant.</param>
    /// <param name="url">Absolute http or https URL, at most <see cref="MaxUrlLength"/> characters; null or blank to remove.</param>
    /// <param name="newSecret">Generate a new signing secret.</param>
    /// <param name="actor">Who changes it.</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>The settings after the change and the new secret in full (null when it did not change): show it once.</returns>
    /// <exception cref="ArgumentException">Field <c>WebhookUrl</c> is not an absolute http(s) URL or too long.</exception>
    /// <exception cref="KeyNotFoundException">No such merchant (or not visible to the actor).</exception>
    /// <exception cref="UnauthorizedAccessException">The actor may not change this merchant's settings.</exception>
    public async Task<(MerchantWebhook Settings, string? Secret)> SetAsync(int merchantId, string? url, bool newSecret, Actor actor, CancellationToken ct = default)
    {
        url = string.IsNullOrWhiteSpace(url) ? null : url.Trim();
        if (url is not null)
        {
            if (url.Length > MaxUrlLength)
                throw new ArgumentException($"WebhookUrl: {url.Length} characters; at most {MaxUrlLength}.", nameof(url));
            if (!Uri.TryCreate(url, UriKind.Absolute, out var u) || (u.Scheme != Uri.UriSchemeHttp && u.Scheme != Uri.UriSchemeHttps))
                throw new ArgumentException($"WebhookUrl: '{url}' is not an absolute http or https URL.", nameof(url));
        }
        if (!actor.CanSeeMerchant(merchantId)) throw new KeyNotFoundException($"Merchant {merchantId} does not exist.");
        var staff = actor.IsStaff;
        if (!staff && !(actor.IsInRole(PortalRoles.Merchant) && actor.MerchantId == merchantId))
            throw new UnauthorizedAccessException($"{actor.UserName} may not change the webhook of merchant {merchantId}.");
        // A merchant's own URL must be public https: the delivery worker would otherwise post into the platform's
        // network (loopback, private and link-local addresses) and show the answers' status codes back (SSRF).
        if (url is not null && !staff && new Uri(url) is var target && (target.Scheme != Uri.UriSchemeHttps || IsInternalHost(target)))
            throw new ArgumentException($"WebhookUrl: '{url}' must be an https URL on a public host (ask an administrator for internal endpoints).", nameof(url));
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var m = await db.Merchants.SingleOrDefaultAsync(x => x.Id == merchantId, ct) ?? throw new KeyNotFoundException($"Merchant {merchantId} does not exist.");
        var before = new { m.WebhookUrl, Secret = PushSignature.Mask(m.WebhookSecret) };
        string? secret = null;
        if (newSecret || (url is not null && string.IsNullOrEmpty(m.WebhookSecret)))
            m.WebhookSecret = secret = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        m.WebhookUrl = url;
        AuditLog.Add(db, actor, "merchant.webhook", nameof(Merchant), merchantId.ToString(CultureInfo.InvariantCulture), merchantId, before,
            new { m.WebhookUrl, Secret = PushSignature.Mask(m.WebhookSecret) });
        await db.SaveChangesAsync(ct);
        return (View(m), secret);
    }

    private static MerchantWebhook View(Merchant m) => new(m.Id, m.Code, m.Name, m.WebhookUrl, PushSignature.Mask(m.WebhookSecret));

    /// <summary>True for localhost and for IP literals in loopback, private (RFC 1918, fc00::/7), link-local or unspecified ranges.</summary>
    private static bool IsInternalHost(Uri uri)
    {
        if (uri.IsLoopback || uri.Host.Equals("localhost", StringComparison.OrdinalIgnoreCase)) return true;
        if (!System.Net.IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip)) return false;
        if (ip.IsIPv4MappedToIPv6) ip = ip.MapToIPv4();
        if (System.Net.IPAddress.IsLoopback(ip) || ip.Equals(System.Net.IPAddress.Any) || ip.Equals(System.Net.IPAddress.IPv6Any)) return true;
        if (ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6)
            return ip.IsIPv6LinkLocal || ip.IsIPv6SiteLocal || ip.IsIPv6UniqueLocal;
        var b = ip.GetAddressBytes();
        return b[0] == 10 || (b[0] == 172 && b[1] >= 16 && b[1] <= 31) || (b[0] == 192 && b[1] == 168) || (b[0] == 169 && b[1] == 254) || b[0] == 127 || b[0] == 0;
    }
}
