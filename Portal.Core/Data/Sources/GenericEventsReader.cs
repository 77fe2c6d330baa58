using System.Globalization;
using CsvHelper;
using CsvHelper.Configuration;
using Portal.Core.Behavior;

namespace Portal.Core.Data.Sources;

/// <summary>
/// Reads generic behaviour-event files (shared/FORMATS.md, <c>events.csv</c> / <c>events.jsonl</c>): columns
/// <c>user_id, item_id, timestamp, event_type</c> (required) and <c>quantity, price, session_id</c> (optional).
/// Rows are streamed; each result is either a parsed event or a rejection (never both).
/// </summary>
public static class GenericEventsReader
{
    /// <summary>Every column the format knows, in the documented order.</summary>
    public static IReadOnlyList<string> Columns { get; } = ["user_id", "item_id", "timestamp", "event_type", "quantity", "price", "session_id"];

    /// <summary>Columns a file must have.</summary>
    public static IReadOnlyList<string> RequiredColumns { get; } = ["user_id", "item_id", "timestamp", "event_type"];

    /// <summary>Maximum length of ids (user_id, item_id, session_id), in characters.</summary>
    public const int MaxIdLength = 64;

    /// <summary>Reads an events CSV (header row required; row numbers count the header as 1).</summary>
    /// <param name="text">The file's text (see <see cref="SourceFile.OpenText(string)"/>).</param>
    /// <param name="fileName">Name used in error messages.</param>
    /// <exception cref="SourceFormatException">The file is empty, or the header lacks a required column or holds an unknown one
    /// (thrown on the first enumeration step, before any row is returned).</exception>
    public static IEnumerable<(SourceEvent? Event, SourceRejection? Rejection)> ReadCsv(TextReader text, string fileName) =>
        SourceFields.ReadCsvRows<SourceEvent>(text, fileName, "events CSV", Columns, RequiredColumns, Parse);

    /// <summary>Reads events as JSON lines (one object per line with the CSV's field names; blank lines are ignored).</summary>
    /// <param name="text">The file's text.</param>
    /// <param name="fileName">Name used in error messages.</param>
    /// <exception cref="SourceFormatException">The first object lacks a required field or holds an unknown one.</exception>
    public static IEnumerable<(SourceEvent? Event, SourceRejection? Rejection)> ReadJsonLines(TextReader text, string fileName) =>
        SourceFields.ReadJsonLineRows<SourceEvent>(text, fileName, "events JSON lines", Columns, RequiredColumns, Parse);

    /// <summary>Validates one row given a lookup of raw field texts by column name.</summary>
    internal static (SourceEvent?, SourceRejection?) Parse(long row, Func<string, string?> get)
    {
        var user = SourceFields.Clean(get("user_id"));
        if (user is null) return (null, new SourceRejection(row, "user_id", get("user_id"), "required field is empty"));
        if (user.Length > MaxIdLength) return (null, new SourceRejection(row, "user_id", SourceFields.Clip(user), $"longer than {MaxIdLength} characters"));
        var item = SourceFields.Clean(get("item_id"));
        if (item is null) return (null, new SourceRejection(row, "item_id", get("item_id"), "required field is empty"));
        if (item.Length > MaxIdLength) return (null, new SourceRejection(row, "item_id", SourceFields.Clip(item), $"longer than {MaxIdLength} characters"));
        var tsText = SourceFields.Clean(get("timestamp"));
        if (tsText is null) return (null, new SourceRejection(row, "timestamp", get("timestamp"), "required field is empty"));
        if (!SourceFields.TryParseTimestamp(tsText, out var ts))
            return (null, new SourceRejection(row, "timestamp", SourceFields.Clip(tsText), "unparsable timestamp (expected ISO 8601, e.g. 2024-03-01T12:30:00Z)"));
        var typeText = SourceFields.Clean(get("event_type"));
        if (typeText is null) return (null, new SourceRejection(row, "event_type", get("event_type"), "required field is empty"));
        if (!EventTypes.TryParse(typeText, out var type))
            return (null, new SourceRejection(row, "event_type", SourceFields.Clip(typeText), $"unknown event type (expected one of {string.Join(", ", EventTypes.FileNames)})"));
        double quantity = 1;
        var qText = SourceFields.Clean(get("quantity"));
        if (qText is not null)
        {
            if (!SourceFields.TryParseDouble(qText, out quantity))
                return (null, new SourceRejection(row, "quantity", SourceFields.Clip(qText), "not a number"));
            if (quantity <= 0)
                return (null, new SourceRejection(row, "quantity", qText, "quantity must be greater than 0"));
        }
        decimal? price = null;
        var pText = SourceFields.Clean(get("price"));
        if (pText is not null)
        {
            if (!SourceFields.TryParseDecimal(pText, out var p))
                return (null, new SourceRejection(row, "price", SourceFields.Clip(pText), "not a number"));
            if (p < 0) return (null, new SourceRejection(row, "price", pText, "negative price is not allowed"));
            price = p;
        }
        var session = SourceFields.Clean(get("session_id"));
        if (session is { Length: > MaxIdLength })
            return (null, new SourceRejection(row, "session_id", SourceFields.Clip(session), $"longer than {MaxIdLength} characters"));
        return (new SourceEvent(row, user, item, ts, type, quantity, price, session), null);
    }
}
