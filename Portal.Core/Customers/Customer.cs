namespace Portal.Core.Customers;

/// <summary>An end customer of the platform, identified by the source system's id.</summary>
public class Customer
{
    /// <summary>Database key.</summary>
    public int Id { get; set; }
    /// <summary>The customer's id in the source system (UCI CustomerID as an integer string, <c>17850</c>); unique.</summary>
    public required string ExternalId { get; set; }
    /// <summary>Country where the customer lives (UCI Country column), if known.</summary>
    public string? Country { get; set; }
    /// <summary>Time of the customer's first event (UTC).</summary>
    public DateTime FirstSeen { get; set; }
}
