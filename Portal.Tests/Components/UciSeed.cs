using Portal.Core.Behavior;
using Portal.Core.Catalog;
using Portal.Core.Customers;
using Portal.Core.Data;
using Portal.Core.Data.Import;

namespace Portal.Tests.Components;

/// <summary>A few real rows in the UCI Online Retail shape (the first invoices of December 2010) for the component tests.</summary>
public static class UciSeed
{
    /// <summary>Products of the first UCI invoices: StockCode, Description, UnitPrice.</summary>
    public static readonly (string Code, string Name, decimal Price)[] Products =
    [
        ("85123A", "WHITE HANGING HEART T-LIGHT HOLDER", 2.55m), ("71053", "WHITE METAL LANTERN", 3.39m),
        ("84406B", "CREAM CUPID HEARTS COAT HANGER", 2.75m), ("84029G", "KNITTED UNION FLAG HOT WATER BOTTLE", 3.39m),
        ("84029E", "RED WOOLLY HOTTIE WHITE HEART.", 3.39m), ("22752", "SET 7 BABUSHKA NESTING BOXES", 7.65m),
        ("21730", "GLASS STAR FROSTED T-LIGHT HOLDER", 4.25m), ("22633", "HAND WARMER UNION JACK", 1.85m),
        ("22632", "HAND WARMER RED POLKA DOT", 1.85m), ("84879", "ASSORTED COLOUR BIRD ORNAMENT", 1.69m),
        ("22745", "POPPY'S PLAYHOUSE BEDROOM", 2.10m), ("22748", "POPPY'S PLAYHOUSE KITCHEN", 2.10m),
        ("22749", "FELTCRAFT PRINCESS CHARLOTTE DOLL", 3.75m), ("22310", "IVORY KNITTED MUG COSY", 1.65m),
        ("84969", "BOX OF 6 ASSORTED COLOUR TEASPOONS", 4.25m), ("22623", "BOX OF VINTAGE JIGSAW BLOCKS", 4.95m),
        ("22622", "BOX OF VINTAGE ALPHABET BLOCKS", 9.95m), ("21754", "HOME BUILDING BLOCK WORD", 5.95m),
        ("21755", "LOVE BUILDING BLOCK WORD", 5.95m), ("21777", "RECIPE BOX WITH METAL HEART", 7.95m),
        ("48187", "DOORMAT NEW ENGLAND", 7.95m), ("22960", "JAM MAKING SET WITH JARS", 4.25m),
        ("22913", "RED COAT RACK PARIS FASHION", 4.95m), ("22912", "YELLOW COAT RACK PARIS FASHION", 4.95m),
        ("22914", "BLUE COAT RACK PARIS FASHION", 4.95m), ("21756", "BATH BUILDING BLOCK WORD", 5.95m),
        ("82486", "WOOD S/3 CABINET ANT WHITE FINISH", 6.95m), ("82482", "WOODEN PICTURE FRAME WHITE FINISH", 2.10m),
        ("82494L", "WOODEN FRAME ANTIQUE WHITE", 2.55m), ("21258", "VICTORIAN SEWING BOX LARGE", 10.95m),
    ];

    /// <summary>
    /// Stores the default merchant, the products, customers 17850 (United Kingdom, invoice 536365: the first seven
    /// products) and 12583 (France, invoice 536370) with their purchases, and returns the database id of 17850.
    /// </summary>
    /// <param name="factory">The test database.</param>
    public static int Seed(Microsoft.EntityFrameworkCore.IDbContextFactory<PortalDbContext> factory)
    {
        using var db = factory.CreateDbContext();
        var merchant = new Merchant { Code = Merchant.DefaultCode, Name = "UCI Online Retail", Currency = "GBP" };
        db.Merchants.Add(merchant);
        var t0 = new DateTime(2010, 12, 1, 8, 26, 0, DateTimeKind.Utc);
        var products = Products.Select(p => new Product { Merchant = merchant, ExternalId = p.Code, Name = p.Name, Price = p.Price, FirstSeen = t0 }).ToList();
        db.Products.AddRange(products);
        var c1 = new Customer { ExternalId = "17850", Country = "United Kingdom", FirstSeen = t0 };
        var c2 = new Customer { ExternalId = "12583", Country = "France", FirstSeen = t0.AddMinutes(19) };
        db.Customers.AddRange(c1, c2);
        var line = 2L;
        foreach (var (p, i) in products.Take(7).Select((p, i) => (p, i)))
            db.Events.Add(Purchase(c1, p, t0, "536365", 6 + i % 2 * 2, line++));
        foreach (var p in products.Take(2))
            db.Events.Add(Purchase(c1, p, t0.AddMinutes(2), "536366", 6, line++));
        foreach (var p in products.Skip(14).Take(6))
            db.Events.Add(Purchase(c2, p, t0.AddMinutes(19), "536370", 24, line++));
        db.SaveChanges();
        return c1.Id;
    }

    private static BehaviorEvent Purchase(Customer c, Product p, DateTime t, string invoice, double qty, long line) => new()
    {
        Customer = c, Product = p, Timestamp = t, Type = EventType.Purchase, Quantity = qty, Price = p.Price,
        SessionId = invoice, SourceLine = line, DedupKey = $"uci:{invoice}:{p.ExternalId}:{c.ExternalId}",
    };

    /// <summary>Stores a finished UCI import with the given rejected rows and returns its id.</summary>
    /// <param name="factory">The test database.</param>
    /// <param name="rejections">Rejected rows (row, column, value, reason).</param>
    public static int SeedImport(Microsoft.EntityFrameworkCore.IDbContextFactory<PortalDbContext> factory,
        params (long Row, string Column, string? Value, string Reason)[] rejections)
    {
        using var db = factory.CreateDbContext();
        var run = new ImportRun
        {
            FileName = "online_retail.csv", Format = ImportFormat.UciOnlineRetail, Status = ImportStatus.Succeeded, Progress = 1,
            CreatedAt = new DateTime(2026, 11, 30, 8, 0, 0, DateTimeKind.Utc), StartedAt = new DateTime(2026, 11, 30, 8, 0, 1, DateTimeKind.Utc),
            FinishedAt = new DateTime(2026, 11, 30, 8, 1, 10, DateTimeKind.Utc), RowsRead = 541909, EventsAdded = 392732,
            RowsSkipped = 136534, RowsRejected = rejections.Length, Message = "Imported 392,732 events.", RequestedBy = "first-start",
            Rejections = rejections.Select(r => new ImportRejection { Row = r.Row, Column = r.Column, Value = r.Value, Reason = r.Reason }).ToList(),
        };
        db.ImportRuns.Add(run);
        db.SaveChanges();
        return run.Id;
    }
}
