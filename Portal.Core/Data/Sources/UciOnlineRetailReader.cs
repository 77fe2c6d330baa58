using System.Globalization;
using CsvHelper;
using CsvHelper.Configuration;

namespace Portal.Core.Data.Sources;

/// <summary>One invoice line of the UCI Online Retail file, as published (Chen, 2015; UCI dataset 352).</summary>
/// <param name="Row">Row number in the file (1 = header).</param>
/// <param name="InvoiceNo">Invoice number; a leading <c>C</c> marks a cancellation.</param>
/// <param name="StockCode">Product code, trimmed and upper-cased.</param>
/// <param name="Description">Product name, null when empty.</param>
/// <param name="Quantity">Units on the line (negative on cancellations and adjustments).</param>
/// <param name="InvoiceDate">Invoice time, read as UTC.</param>
/// <param name="UnitPrice">Price per unit in GBP.</param>
/// <param name="CustomerId">CustomerID as an integer string (<c>17850</c>), null when empty.</param>
/// <param name="Country">Country of the customer, null when empty.</param>
public sealed record UciInvoiceLine(long Row, string InvoiceNo, string StockCode, string? Description, int Quantity,
    DateTime InvoiceDate, decimal UnitPrice, string? CustomerId, string? Country)
{
    /// <summary>True for cancellation lines (InvoiceNo starting with <c>C</c>).</summary>
    public bool IsCancellation => InvoiceNo.StartsWith('C');
}

/// <summary>
/// Reads the UCI Online Retail CSV (columns InvoiceNo, StockCode, Description, Quantity, InvoiceDate, UnitPrice,
/// CustomerID, Country) line by line, with CsvHelper. Lines that cannot be parsed come back as rejections.
/// </summary>
public static class UciOnlineRetailReader
{
    /// <summary>The published header, in order.</summary>
    public static IReadOnlyList<string> Columns { get; } =
        ["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID", "Country"];

    private static readonly string[] DateFormats =
        ["yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd HH:mm", "yyyy-MM-ddTHH:mm:ss", "M/d/yyyy H:mm", "M/d/yyyy H:mm:ss", "d/M/yyyy H:mm", "dd/MM/yyyy HH:mm"];

    /// <summary>True when <paramref name="header"/> is the UCI header (case-insensitive, any order).</summary>
    public static bool IsUciHeader(IEnumerable<string> header) =>
        Columns.All(c => header.Any(h => h.Trim().Equals(c, StringComparison.OrdinalIgnoreCase)));

    /// <summary>
    /// Reads every data line. Each result is either a parsed line or a rejection (never both).
    /// </summary>
    /// <param name="text">The file's text (see <see cref="SourceFile.OpenText(string)"/>).</param>
    /// <param name="fileName">Name used in error messages.</param>
    /// <exception cref="SourceFormatException">The header lacks a UCI column or holds an unknown one (the message names the file and the columns).</exception>
    public static IEnumerable<(UciInvoiceLine? Line, SourceRejection? Rejection)> Read(TextReader text, string fileName)
    {
        var config = new CsvConfiguration(CultureInfo.InvariantCulture) { HasHeaderRecord = true, BadDataFound = null, DetectDelimiter = false };
        using var parser = new CsvParser(text, config);
        if (!parser.Read())
            throw new SourceFormatException(fileName, "the file is empty; a header row is required.");
        var header = parser.Record ?? [];
        var index = new int[Columns.Count];
        var missing = new List<string>();
        for (var c = 0; c < Columns.Count; c++)
        {
            index[c] = Array.FindIndex(header, h => h.Trim().Equals(Columns[c], StringComparison.OrdinalIgnoreCase));
            if (index[c] < 0) missing.Add(Columns[c]);
        }
        var unknown = header.Where(h => !Columns.Contains(h.Trim(), StringComparer.OrdinalIgnoreCase)).Select(h => h.Length == 0 ? "(empty)" : h).ToList();
        if (missing.Count > 0 || unknown.Count > 0)
        {
            var parts = new List<string>();
            if (missing.Count > 0) parts.Add($"missing column(s) {string.Join(", ", missing)}");
            if (unknown.Count > 0) parts.Add($"unknown column(s) {string.Join(", ", unknown)}");
            throw new SourceFormatException(fileName, $"not a UCI Online Retail file: {string.Join("; ", parts)}.", missing, unknown);
        }

        while (parser.Read())
        {
            var r = parser.Record!;
            long row = parser.Row;
            string Field(int c) => index[c] < r.Length ? r[index[c]] : "";
            yield return Parse(row, Field);
        }
    }

    private static (UciInvoiceLine?, SourceRejection?) Parse(long row, Func<int, string> field)
    {
        var invoice = field(0).Trim();
        if (invoice.Length == 0) return (null, new SourceRejection(row, "InvoiceNo", null, "empty invoice number"));
        var stock = field(1).Trim().ToUpperInvariant();
        if (stock.Length == 0) return (null, new SourceRejection(row, "StockCode", null, "empty stock code"));
        var description = field(2).Trim();
        var qtyText = field(3).Trim();
        if (!int.TryParse(qtyText, NumberStyles.Integer, CultureInfo.InvariantCulture, out var qty))
        {
            if (!double.TryParse(qtyText, NumberStyles.Float, CultureInfo.InvariantCulture, out var q) || q != Math.Floor(q) || Math.Abs(q) > int.MaxValue)
                return (null, new SourceRejection(row, "Quantity", qtyText, "not a whole number"));
            qty = (int)q;
        }
        var dateText = field(4).Trim();
        if (!DateTime.TryParseExact(dateText, DateFormats, CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var date))
            return (null, new SourceRejection(row, "InvoiceDate", dateText, "unparsable date (expected yyyy-MM-dd HH:mm:ss)"));
        var priceText = field(5).Trim();
        if (!decimal.TryParse(priceText, NumberStyles.Float, CultureInfo.InvariantCulture, out var price))
            return (null, new SourceRejection(row, "UnitPrice", priceText, "not a number"));
        if (price < 0)
            return (null, new SourceRejection(row, "UnitPrice", priceText, "negative price is not allowed"));
        var customerText = field(6).Trim();
        string? customer = null;
        if (customerText.Length > 0)
        {
            if (!double.TryParse(customerText, NumberStyles.Float, CultureInfo.InvariantCulture, out var cid) || cid != Math.Floor(cid) || cid < 0)
                return (null, new SourceRejection(row, "CustomerID", customerText, "not a whole number"));
            customer = ((long)cid).ToString(CultureInfo.InvariantCulture);
        }
        var country = field(7).Trim();
        return (new UciInvoiceLine(row, invoice, stock, description.Length > 0 ? description : null, qty, date, price, customer,
            country.Length > 0 ? country : null), null);
    }
}
