namespace Portal.Core.Data.Sources;

/// <summary>
/// A cleaned UCI event: several rows of one (customer, item, invoice) merged into one, with the earliest timestamp,
/// the summed quantity and the first row's number (shared/EVALUATION.md, "Interactions").
/// </summary>
/// <param name="UserId">CustomerID as an integer string.</param>
/// <param name="ItemId">StockCode, trimmed and upper-cased.</param>
/// <param name="InvoiceNo">The invoice (used as the session id).</param>
/// <param name="Timestamp">Earliest InvoiceDate of the merged rows (UTC).</param>
/// <param name="Quantity">Summed units (positive also for returns).</param>
/// <param name="UnitPrice">Unit price of the first merged row, GBP.</param>
/// <param name="FirstRow">Row number of the first merged row (1 = header).</param>
/// <param name="IsReturn">True for cancellation invoices (<c>C…</c>).</param>
public sealed record UciEvent(string UserId, string ItemId, string InvoiceNo, DateTime Timestamp, int Quantity,
    decimal UnitPrice, long FirstRow, bool IsReturn);

/// <summary>What the file says about one product.</summary>
/// <param name="Name">The description seen most often on sale lines (ties: the latest).</param>
/// <param name="Price">The latest positive unit price, GBP, if any.</param>
/// <param name="FirstSeen">Earliest invoice date of the product (UTC).</param>
public sealed record UciProductInfo(string Name, decimal? Price, DateTime FirstSeen);

/// <summary>What the file says about one customer.</summary>
/// <param name="Country">The country of the customer's first line.</param>
/// <param name="FirstSeen">Earliest invoice date of the customer (UTC).</param>
public sealed record UciCustomerInfo(string? Country, DateTime FirstSeen);

/// <summary>
/// The UCI Online Retail file turned into events by the rules of shared/EVALUATION.md: a row is a purchase only if
/// CustomerID is present, the invoice is not a cancellation, Quantity &gt; 0 and UnitPrice &gt; 0; rows of one
/// (customer, item, invoice) are one event; events are ordered by (timestamp, first row). Cancellations with a
/// customer are kept apart as returns.
/// </summary>
public sealed class UciOnlineRetailDataset
{
    /// <summary>
    /// Stock codes of the UCI file that are charges or bookkeeping lines, not merchandise (postage, carriage, bank
    /// charges, fees, discounts, manual adjustments, samples). They stay events for the protocol (EVALUATION.md keeps
    /// them) but are imported as unavailable products, so that they are never pushed to a customer.
    /// </summary>
    public static IReadOnlySet<string> ServiceCodes { get; } =
        new HashSet<string>(["POST", "DOT", "C2", "M", "D", "S", "B", "CRUK", "BANK CHARGES", "AMAZONFEE"], StringComparer.Ordinal);

    /// <summary>Purchase events in protocol order (timestamp, then first row). 387,841 for the bundled file.</summary>
    public required IReadOnlyList<UciEvent> Purchases { get; init; }
    /// <summary>Return events (cancellation invoices with a customer), in the same order.</summary>
    public required IReadOnlyList<UciEvent> Returns { get; init; }
    /// <summary>Every stock code of the file (with or without a customer) and its name, price and first date.</summary>
    public required IReadOnlyDictionary<string, UciProductInfo> Products { get; init; }
    /// <summary>Every customer of the file with country and first date.</summary>
    public required IReadOnlyDictionary<string, UciCustomerInfo> Customers { get; init; }
    /// <summary>Rows that could not be parsed.</summary>
    public required IReadOnlyList<SourceRejection> Rejections { get; init; }
    /// <summary>Data rows read.</summary>
    public long RowsRead { get; init; }
    /// <summary>Rows without CustomerID (guest purchases): products only, no events.</summary>
    public long RowsWithoutCustomer { get; init; }
    /// <summary>Non-cancellation rows with Quantity ≤ 0 or UnitPrice = 0 (stock adjustments, free samples): no events.</summary>
    public long RowsNotSales { get; init; }

    /// <summary>Reads and cleans a UCI file (gzip or plain).</summary>
    /// <exception cref="SourceFormatException">The header is not the UCI header.</exception>
    public static UciOnlineRetailDataset Load(string path)
    {
        using var text = SourceFile.OpenText(path);
        return Build(UciOnlineRetailReader.Read(text, Path.GetFileName(path)));
    }

    /// <summary>Cleans parsed lines (see the type's summary for the rules).</summary>
    public static UciOnlineRetailDataset Build(IEnumerable<(UciInvoiceLine? Line, SourceRejection? Rejection)> lines)
    {
        var purchases = new Dictionary<(string, string, string), UciEvent>();
        var returns = new Dictionary<(string, string, string), UciEvent>();
        var names = new Dictionary<string, Dictionary<string, (int Count, long LastRow)>>();
        var products = new Dictionary<string, (decimal? Price, DateTime First)>();
        var customers = new Dictionary<string, UciCustomerInfo>();
        var rejections = new List<SourceRejection>();
        long read = 0, noCustomer = 0, notSales = 0;

        foreach (var (line, rejection) in lines)
        {
            read++;
            if (rejection is not null) { rejections.Add(rejection); continue; }
            var l = line!;
            var sale = !l.IsCancellation && l.Quantity > 0 && l.UnitPrice > 0;
            if (sale && l.Description is not null)
            {
                if (!names.TryGetValue(l.StockCode, out var counts)) names[l.StockCode] = counts = [];
                counts[l.Description] = counts.TryGetValue(l.Description, out var c) ? (c.Count + 1, l.Row) : (1, l.Row);
            }
            products[l.StockCode] = products.TryGetValue(l.StockCode, out var p)
                ? (sale ? l.UnitPrice : p.Price, l.InvoiceDate < p.First ? l.InvoiceDate : p.First)
                : (sale ? l.UnitPrice : null, l.InvoiceDate);

            if (l.CustomerId is null) { noCustomer++; continue; }
            if (!customers.TryGetValue(l.CustomerId, out var cust) || l.InvoiceDate < cust.FirstSeen)
                customers[l.CustomerId] = new UciCustomerInfo(cust?.Country ?? l.Country, l.InvoiceDate);

            if (l.IsCancellation)
            {
                if (l.Quantity < 0) Merge(returns, l, -l.Quantity, isReturn: true);
                continue;
            }
            if (!sale) { notSales++; continue; }
            Merge(purchases, l, l.Quantity, isReturn: false);
        }

        var productInfo = new Dictionary<string, UciProductInfo>(products.Count);
        foreach (var (code, p) in products)
        {
            var name = names.TryGetValue(code, out var counts)
                ? counts.OrderByDescending(kv => kv.Value.Count).ThenByDescending(kv => kv.Value.LastRow).First().Key
                : code;
            productInfo[code] = new UciProductInfo(name, p.Price, p.First);
        }

        return new UciOnlineRetailDataset
        {
            Purchases = Order(purchases.Values),
            Returns = Order(returns.Values),
            Products = productInfo,
            Customers = customers,
            Rejections = rejections,
            RowsRead = read,
            RowsWithoutCustomer = noCustomer,
            RowsNotSales = notSales,
        };
    }

    private static void Merge(Dictionary<(string, string, string), UciEvent> events, UciInvoiceLine l, int quantity, bool isReturn)
    {
        var key = (l.CustomerId!, l.StockCode, l.InvoiceNo);
        events[key] = events.TryGetValue(key, out var e)
            ? e with { Timestamp = l.InvoiceDate < e.Timestamp ? l.InvoiceDate : e.Timestamp, Quantity = e.Quantity + quantity }
            : new UciEvent(l.CustomerId!, l.StockCode, l.InvoiceNo, l.InvoiceDate, quantity, l.UnitPrice, l.Row, isReturn);
    }

    private static List<UciEvent> Order(IEnumerable<UciEvent> events) =>
        events.OrderBy(e => e.Timestamp).ThenBy(e => e.FirstRow).ToList();
}
