namespace Portal.Core.Catalog;

/// <summary>A shop that sells products on the platform. Merchant users see only their merchant's data.</summary>
public class Merchant
{
    /// <summary>Database key.</summary>
    public int Id { get; set; }
    /// <summary>Unique code used in files (<c>merchant</c> column of products.csv); the default merchant is <see cref="DefaultCode"/>.</summary>
    public required string Code { get; set; }
    /// <summary>Display name.</summary>
    public required string Name { get; set; }
    /// <summary>ISO 4217 currency of the merchant's prices (for the UCI shop: GBP).</summary>
    public string Currency { get; set; } = "GBP";
    /// <summary>IANA time zone of the merchant (TZDB id, e.g. <c>Europe/London</c> for the UCI shop): the local time of customers whose country is unknown.</summary>
    public string TimeZone { get; set; } = "Europe/London";
    /// <summary>When the merchant was created (UTC).</summary>
    public DateTime CreatedAt { get; set; } = DateTime.UtcNow;

    /// <summary>
    /// Where the webhook push channel POSTs this merchant's pushes (absolute http/https URL); null: the merchant has no
    /// webhook and its pushes go to the JSON-lines file sink (Portal.Core/Delivery).
    /// </summary>
    public string? WebhookUrl { get; set; }
    /// <summary>
    /// Shared secret for the webhook signature (<c>X-Portal-Signature: sha256=</c> hex HMAC-SHA256 of the body). Stored
    /// because signing needs it; pages show only its last four characters.
    /// </summary>
    public string? WebhookSecret { get; set; }

    /// <summary>Code of the merchant that products without a merchant column belong to.</summary>
    public const string DefaultCode = "default";
}
