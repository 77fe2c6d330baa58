using System.Globalization;
using CsvHelper;
using CsvHelper.Configuration;
using Portal.Core.Data.Sources;

namespace Portal.Core.Data.Import;

/// <summary>
/// Recognises a file's format (shared/FORMATS.md) from its CSV header row or its first JSON line. A header with
/// typos is still attributed to the closest format, so that the reader can name the missing and unknown columns.
/// </summary>
public static class ImportFormatDetector
{
    private static readonly string[] EventOnlyColumns = ["user_id", "timestamp", "event_type", "session_id", "quantity"];
    private static readonly string[] ProductOnlyColumns = ["name", "description", "category", "brand", "merchant"];

    /// <summary>Opens <paramref name="path"/> (gzip or plain) and detects its format from the first non-empty line.</summary>
    /// <param name="path">The file.</param>
    /// <param name="fileName">Name used in error messages (defaults to the path's file name).</param>
    /// <returns>A concrete format, never <see cref="ImportFormat.Auto"/>.</returns>
    /// <exception cref="SourceFormatException">The file is empty or its first line matches no known format.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static ImportFormat Detect(string path, string? fileName = null)
    {
        using var text = SourceFile.OpenText(path);
        return Detect(text, fileName ?? Path.GetFileName(path));
    }

    /// <summary>Detects the format from the first non-empty line of <paramref name="text"/> (which it consumes).</summary>
    /// <exception cref="SourceFormatException">The text is empty or its first line matches no known format.</exception>
    public static ImportFormat Detect(TextReader text, string fileName)
    {
        string? line;
        do line = text.ReadLine(); while (line is not null && line.Trim().Length == 0);
        if (line is null) throw new SourceFormatException(fileName, "the file is empty; cannot detect its format.");
        return DetectFromFirstLine(line, fileName);
    }

    /// <summary>Detects the format from a file's first line (a CSV header or a JSON object).</summary>
    /// <exception cref="SourceFormatException">The line matches no known format.</exception>
    public static ImportFormat DetectFromFirstLine(string line, string fileName)
    {
        var trimmed = line.TrimStart('\uFEFF', ' ', '\t');
        if (trimmed.StartsWith('{'))
        {
            var names = SourceFields.JsonPropertyNames(trimmed)
                ?? throw new SourceFormatException(fileName, "the first line starts like JSON but is not a valid JSON object; cannot detect the format.");
            if (Has(names, "session") && Has(names, "events")) return ImportFormat.OttoSessions;
            if (EventOnlyColumns.Any(c => Has(names, c))) return ImportFormat.EventsJsonLines;
            if (ProductOnlyColumns.Any(c => Has(names, c))) return ImportFormat.ProductsJsonLines;
            throw Unrecognised(fileName, "JSON fields", names);
        }

        string[] header;
        using (var parser = new CsvParser(new StringReader(trimmed), new CsvConfiguration(CultureInfo.InvariantCulture) { BadDataFound = null }))
            header = parser.Read() ? parser.Record ?? [] : [];
        var cols = header.Select(h => h.Trim()).ToList();
        if (UciOnlineRetailReader.IsUciHeader(cols) || Has(cols, "InvoiceNo") || Has(cols, "StockCode")) return ImportFormat.UciOnlineRetail;
        if (OpenBanditReader.IsImpressionHeader(cols)) return ImportFormat.OpenBandit;
        if (OpenBanditReader.IsItemContextHeader(cols)) return ImportFormat.OpenBanditItemContext;
        if (EventOnlyColumns.Any(c => Has(cols, c))) return ImportFormat.EventsCsv;
        if (ProductOnlyColumns.Any(c => Has(cols, c))) return ImportFormat.ProductsCsv;
        throw Unrecognised(fileName, "header columns", cols);
    }

    private static bool Has(IEnumerable<string> names, string column) => names.Any(n => n.Trim().Equals(column, StringComparison.OrdinalIgnoreCase));

    private static SourceFormatException Unrecognised(string fileName, string what, IReadOnlyList<string> names) =>
        new(fileName,
            $"format not recognised from its {what} ({string.Join(", ", names.Take(20))}). Expected one of: " +
            $"events ({string.Join(",", GenericEventsReader.Columns)}), products ({string.Join(",", GenericProductsReader.Columns)}), " +
            $"UCI Online Retail ({string.Join(",", UciOnlineRetailReader.Columns)}), OTTO sessions (JSON lines with session, events), " +
            $"Open Bandit logs ({string.Join(",", OpenBanditReader.ImpressionColumns)},user_feature_*,user-item_affinity_*) or item context (item_id,item_feature_*); " +
            "see shared/FORMATS.md.",
            unknownColumns: names.ToList());
}
