using System.Globalization;
using CsvHelper;
using CsvHelper.Configuration;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Portal.Core.Data.Sources;

/// <summary>Parsing helpers shared by the readers: header checks, ISO 8601 timestamps, numbers, JSON field values.</summary>
internal static partial class SourceFields
{
    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?)?(Z|[+-]\d{2}(:?\d{2})?)?$", RegexOptions.CultureInvariant)]
    private static partial Regex IsoTimestamp();

    /// <summary>Parses an ISO 8601 timestamp; without an offset it is UTC. The result has kind UTC.</summary>
    public static bool TryParseTimestamp(string text, out DateTime utc)
    {
        utc = default;
        if (!IsoTimestamp().IsMatch(text)) return false;
        if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var dto)) return false;
        utc = dto.UtcDateTime;
        return true;
    }

    /// <summary>Parses an invariant-culture decimal (no thousands separators).</summary>
    public static bool TryParseDecimal(string text, out decimal value) =>
        decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value);

    /// <summary>Parses an invariant-culture finite double.</summary>
    public static bool TryParseDouble(string text, out double value) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && double.IsFinite(value);

    /// <summary>
    /// Reads a CSV with a header: maps the header to <paramref name="columns"/> (refusing missing required or unknown
    /// columns), skips blank lines, and hands each row to <paramref name="parse"/> with its row number (header = 1)
    /// and a lookup of raw field texts by column name.
    /// </summary>
    /// <exception cref="SourceFormatException">The file is empty or its header is unusable (on the first enumeration step).</exception>
    public static IEnumerable<(T?, SourceRejection?)> ReadCsvRows<T>(TextReader text, string fileName, string formatName,
        IReadOnlyList<string> columns, IReadOnlyList<string> requiredColumns, Func<long, Func<string, string?>, (T?, SourceRejection?)> parse)
        where T : class
    {
        var config = new CsvConfiguration(CultureInfo.InvariantCulture) { HasHeaderRecord = true, BadDataFound = null, DetectDelimiter = false };
        using var parser = new CsvParser(text, config);
        if (!parser.Read())
            throw new SourceFormatException(fileName, "the file is empty; a header row is required.");
        var index = MapHeader(fileName, formatName, parser.Record ?? [], columns, requiredColumns);
        var position = columns.Select((name, i) => (name, i)).ToDictionary(x => x.name, x => x.i, StringComparer.Ordinal);
        while (parser.Read())
        {
            var r = parser.Record!;
            if (r.Length == 1 && r[0].Length == 0) continue; // blank line
            yield return parse(parser.Row, name =>
            {
                var i = index[position[name]];
                return i >= 0 && i < r.Length ? r[i] : null;
            });
        }
    }

    /// <summary>
    /// The non-blank lines of a JSON-lines file with their line numbers; the first object's field names are checked
    /// like a CSV header before the first line is returned.
    /// </summary>
    /// <exception cref="SourceFormatException">The first object lacks a required field or holds an unknown one.</exception>
    public static IEnumerable<(long Row, string Line)> JsonLines(TextReader text, string fileName, string formatName,
        IReadOnlyList<string> columns, IReadOnlyList<string> requiredColumns)
    {
        long row = 0;
        var first = true;
        while (text.ReadLine() is { } line)
        {
            row++;
            if (line.Trim().Length == 0) continue;
            if (first)
            {
                first = false;
                var names = JsonPropertyNames(line);
                if (names is not null) MapHeader(fileName, formatName, names, columns, requiredColumns);
            }
            yield return (row, line);
        }
    }

    /// <summary>
    /// Reads JSON lines (one object per line, blank lines ignored) through <see cref="JsonLines"/>: each line goes to
    /// <paramref name="parse"/> with its line number; a malformed line is a rejection.
    /// </summary>
    /// <exception cref="SourceFormatException">The first object lacks a required field or holds an unknown one.</exception>
    public static IEnumerable<(T?, SourceRejection?)> ReadJsonLineRows<T>(TextReader text, string fileName, string formatName,
        IReadOnlyList<string> columns, IReadOnlyList<string> requiredColumns, Func<long, Func<string, string?>, (T?, SourceRejection?)> parse)
        where T : class
    {
        foreach (var (row, line) in JsonLines(text, fileName, formatName, columns, requiredColumns))
        {
            var (fields, rejection) = ReadJsonObject(line, row, columns);
            if (rejection is not null) { yield return (null, rejection); continue; }
            yield return parse(row, name => fields!.GetValueOrDefault(name));
        }
    }

    /// <summary>
    /// Checks a header against the format's columns (case-insensitive, trimmed) and returns each known column's index
    /// (-1 when absent).
    /// </summary>
    /// <exception cref="SourceFormatException">A required column is missing or an unknown column is present.</exception>
    public static int[] MapHeader(string fileName, string formatName, IReadOnlyList<string> header,
        IReadOnlyList<string> columns, IReadOnlyList<string> required)
    {
        var index = new int[columns.Count];
        var names = header.Select(h => h.Trim()).ToList();
        for (var c = 0; c < columns.Count; c++)
            index[c] = names.FindIndex(h => h.Equals(columns[c], StringComparison.OrdinalIgnoreCase));
        var missing = required.Where(r => !names.Contains(r, StringComparer.OrdinalIgnoreCase)).ToList();
        var unknown = names.Where(h => !columns.Contains(h, StringComparer.OrdinalIgnoreCase)).Select(h => h.Length == 0 ? "(empty)" : h).ToList();
        var duplicate = names.GroupBy(h => h, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        if (missing.Count == 0 && unknown.Count == 0 && duplicate.Count == 0) return index;
        var parts = new List<string>();
        if (missing.Count > 0) parts.Add($"missing required column(s) {string.Join(", ", missing)}");
        if (unknown.Count > 0) parts.Add($"unknown column(s) {string.Join(", ", unknown)}");
        if (duplicate.Count > 0) parts.Add($"duplicate column(s) {string.Join(", ", duplicate)}");
        throw new SourceFormatException(fileName,
            $"the header is not a valid {formatName} header: {string.Join("; ", parts)} (expected {string.Join(",", columns)}; required {string.Join(",", required)}).",
            missing, unknown);
    }

    /// <summary>
    /// The text of a JSON property: strings as they are, numbers as written, null and absent as null.
    /// </summary>
    /// <returns>False for booleans, objects and arrays.</returns>
    public static bool TryGetText(JsonElement element, out string? text)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String: text = element.GetString(); return true;
            case JsonValueKind.Number: text = element.GetRawText(); return true;
            case JsonValueKind.Null: case JsonValueKind.Undefined: text = null; return true;
            default: text = null; return false;
        }
    }

    /// <summary>
    /// Reads the properties of a JSON line object into a case-insensitive map of field texts, or a rejection.
    /// Unknown fields and non-scalar values are rejected.
    /// </summary>
    public static (Dictionary<string, string?>? Fields, SourceRejection? Rejection) ReadJsonObject(string line, long row, IReadOnlyList<string> columns)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(line); }
        catch (JsonException e) { return (null, new SourceRejection(row, "(line)", Clip(line), $"malformed JSON: {e.Message}")); }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                return (null, new SourceRejection(row, "(line)", Clip(line), "a JSON object is expected on each line"));
            var fields = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
            foreach (var p in doc.RootElement.EnumerateObject())
            {
                if (!columns.Contains(p.Name, StringComparer.OrdinalIgnoreCase))
                    return (null, new SourceRejection(row, p.Name, Clip(p.Value.GetRawText()), "unknown field"));
                if (!TryGetText(p.Value, out var text))
                    return (null, new SourceRejection(row, p.Name, Clip(p.Value.GetRawText()), "expected a string or a number"));
                fields[p.Name] = text;
            }
            return (fields, null);
        }
    }

    /// <summary>The property names of the first JSON object line, or null when the line is not a JSON object.</summary>
    public static IReadOnlyList<string>? JsonPropertyNames(string line)
    {
        try
        {
            using var doc = JsonDocument.Parse(line);
            return doc.RootElement.ValueKind == JsonValueKind.Object ? doc.RootElement.EnumerateObject().Select(p => p.Name).ToList() : null;
        }
        catch (JsonException) { return null; }
    }

    /// <summary>Shortens a value for a rejection record (200 characters at most).</summary>
    public static string? Clip(string? value) => value is null ? null : value.Length <= 200 ? value : value[..197] + "...";

    /// <summary>Trims a field; empty becomes null.</summary>
    public static string? Clean(string? value)
    {
        var t = value?.Trim();
        return string.IsNullOrEmpty(t) ? null : t;
    }
}
