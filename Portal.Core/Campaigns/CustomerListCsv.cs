using System.Globalization;
using CsvHelper;
using CsvHelper.Configuration;

namespace Portal.Core.Campaigns;

/// <summary>A row of an uploaded customer list that was not taken.</summary>
/// <param name="File">The uploaded file's name.</param>
/// <param name="Row">1-based row in the file (the header is row 1).</param>
/// <param name="Column">The column (<c>customer_id</c>).</param>
/// <param name="Value">The value read (null when the field is missing).</param>
/// <param name="Reason">Why it was rejected, in English.</param>
public sealed record CustomerListRejection(string File, long Row, string Column, string? Value, string Reason)
{
    /// <inheritdoc />
    public override string ToString() => $"{File}, row {Row}, column {Column}: {Reason}" + (Value is null ? "" : $" ('{Value}')");
}

/// <summary>An uploaded customer list: the customer ids taken, in file order, and the rows rejected.</summary>
/// <param name="FileName">The file's name.</param>
/// <param name="CustomerIds">Distinct customer external ids that exist, in file order.</param>
/// <param name="Rejections">Rejected rows.</param>
public sealed record CustomerList(string FileName, IReadOnlyList<string> CustomerIds, IReadOnlyList<CustomerListRejection> Rejections);

/// <summary>Thrown when an uploaded customer list cannot be read at all (no <c>customer_id</c> column, not CSV).</summary>
/// <param name="message">File, row and column, and what is wrong.</param>
public sealed class CustomerListFormatException(string message) : Exception(message);

/// <summary>
/// Reads an uploaded customer list (CsvHelper): a CSV file with a header row holding a <c>customer_id</c> column (other
/// columns are ignored, so the tiers page's audience export can be uploaded as it is). Each row names one customer by
/// the source system's id; empty ids, ids longer than 64 characters, repeated ids and ids of unknown customers are
/// rejected with file, row and column.
/// </summary>
public static class CustomerListCsv
{
    /// <summary>The required column.</summary>
    public const string Column = "customer_id";

    /// <summary>Most rows read from one file.</summary>
    public const int MaxRows = 200_000;

    /// <summary>Parses <paramref name="csv"/>.</summary>
    /// <param name="csv">The file's text.</param>
    /// <param name="fileName">The file's name (for messages).</param>
    /// <param name="exists">Whether a customer with this external id exists (and the caller may target it).</param>
    /// <exception cref="CustomerListFormatException">No header with <c>customer_id</c>, or more than <see cref="MaxRows"/> rows.</exception>
    public static CustomerList Parse(TextReader csv, string fileName, Func<string, bool> exists)
    {
        using var reader = new CsvReader(csv, new CsvConfiguration(CultureInfo.InvariantCulture)
        {
            TrimOptions = TrimOptions.Trim,
            MissingFieldFound = null,
            BadDataFound = null,
            DetectDelimiter = true,
        });
        if (!reader.Read() || !reader.ReadHeader())
            throw new CustomerListFormatException($"{fileName}, row 1: the file is empty; expected a header row with a '{Column}' column.");
        var header = reader.HeaderRecord ?? [];
        var index = Array.FindIndex(header, h => string.Equals(h.Trim().TrimStart('\uFEFF'), Column, StringComparison.OrdinalIgnoreCase));
        if (index < 0)
            throw new CustomerListFormatException($"{fileName}, row 1: no '{Column}' column in the header ({string.Join(", ", header)}).");
        var ids = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var rejections = new List<CustomerListRejection>();
        while (reader.Read())
        {
            var row = reader.Parser.Row;
            if (row > MaxRows + 1) throw new CustomerListFormatException($"{fileName}, row {row}: more than {MaxRows:N0} rows.");
            var value = reader.TryGetField<string>(index, out var v) ? v?.Trim() : null;
            if (string.IsNullOrEmpty(value)) { rejections.Add(new(fileName, row, Column, value, "the customer id is empty")); continue; }
            if (value.Length > 64) { rejections.Add(new(fileName, row, Column, value[..64], "the customer id is longer than 64 characters")); continue; }
            if (!seen.Add(value)) { rejections.Add(new(fileName, row, Column, value, "the customer is already listed in an earlier row")); continue; }
            if (!exists(value)) { rejections.Add(new(fileName, row, Column, value, "no customer with this id")); continue; }
            ids.Add(value);
        }
        return new CustomerList(fileName, ids, rejections);
    }
}
