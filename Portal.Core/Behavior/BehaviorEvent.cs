using Portal.Core.Catalog;
using Portal.Core.Customers;

namespace Portal.Core.Behavior;

/// <summary>
/// One behaviour event of a customer on a product. For UCI Online Retail, several invoice lines of one
/// (customer, item, invoice) are one event (earliest timestamp, summed quantity), as shared/EVALUATION.md prescribes.
/// </summary>
public class BehaviorEvent
{
    /// <summary>Database key.</summary>
    public long Id { get; set; }
    /// <summary>The customer.</summary>
    public int CustomerId { get; set; }
    /// <summary>The customer (navigation).</summary>
    public Customer? Customer { get; set; }
    /// <summary>The product.</summary>
    public int ProductId { get; set; }
    /// <summary>The product (navigation).</summary>
    public Product? Product { get; set; }
    /// <summary>When it happened (UTC).</summary>
    public DateTime Timestamp { get; set; }
    /// <summary>What happened.</summary>
    public EventType Type { get; set; }
    /// <summary>Units (purchase, cart, return); 1 for other types.</summary>
    public double Quantity { get; set; } = 1;
    /// <summary>Unit price in the merchant's currency, if known.</summary>
    public decimal? Price { get; set; }
    /// <summary>Session or visit id (UCI: the InvoiceNo), if known.</summary>
    public string? SessionId { get; set; }
    /// <summary>The import that stored this event, null for events posted to the feedback API.</summary>
    public int? ImportRunId { get; set; }
    /// <summary>Line of the source file where the event starts (1 = header); orders events of equal timestamp.</summary>
    public long SourceLine { get; set; }
    /// <summary>Identity of the event in its source, unique: a second import of the same data adds nothing.</summary>
    public required string DedupKey { get; set; }
}
