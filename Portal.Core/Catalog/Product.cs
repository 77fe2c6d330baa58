namespace Portal.Core.Catalog;

/// <summary>A product of a merchant's catalogue.</summary>
public class Product
{
    /// <summary>Database key.</summary>
    public int Id { get; set; }
    /// <summary>Owning merchant.</summary>
    public int MerchantId { get; set; }
    /// <summary>Owning merchant (navigation).</summary>
    public Merchant? Merchant { get; set; }
    /// <summary>The product's id in the source system (UCI StockCode, trimmed and upper-cased); unique per merchant.</summary>
    public required string ExternalId { get; set; }
    /// <summary>Product title (any language).</summary>
    public required string Name { get; set; }
    /// <summary>Free text description, if any.</summary>
    public string? Description { get; set; }
    /// <summary>Leaf category, if known.</summary>
    public int? CategoryId { get; set; }
    /// <summary>Leaf category (navigation).</summary>
    public Category? Category { get; set; }
    /// <summary>Brand, if known.</summary>
    public string? Brand { get; set; }
    /// <summary>List price in the merchant's currency (for UCI: the latest unit price seen, GBP).</summary>
    public decimal? Price { get; set; }
    /// <summary>Further attributes as a JSON object (<c>{"colour":"red"}</c>), if any.</summary>
    public string? AttributesJson { get; set; }
    /// <summary>False when the product is out of stock or withdrawn; such products are never pushed.</summary>
    public bool IsAvailable { get; set; } = true;
    /// <summary>When the product was first seen (UTC): first event or import time.</summary>
    public DateTime FirstSeen { get; set; }
}
