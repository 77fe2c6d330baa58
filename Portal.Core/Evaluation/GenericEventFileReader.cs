using Portal.Core.Behavior;
using Portal.Core.Data.Import;
using Portal.Core.Data.Sources;
using Portal.Core.Recommendation;

namespace Portal.Core.Evaluation;

/// <summary>
/// The generic events file (CSV or JSON lines, shared/FORMATS.md) and OTTO sessions as protocol input: every event
/// except returns, ordered by (timestamp, row). Rows the readers reject are left out and counted on standard error by
/// the verb; an optional products file gives the names.
/// </summary>
public sealed class GenericEventFileReader : IEventFileReader
{
    /// <inheritdoc />
    public string Format => "events";

    /// <inheritdoc />
    public bool CanRead(string firstLine)
    {
        try
        {
            return ImportFormatDetector.DetectFromFirstLine(firstLine, "events") is ImportFormat.EventsCsv or ImportFormat.EventsJsonLines or ImportFormat.OttoSessions;
        }
        catch (SourceFormatException)
        {
            return false;
        }
    }

    /// <summary>Rows rejected by the last <see cref="Read"/> (bad timestamp, unknown event type, ...).</summary>
    public IReadOnlyList<SourceRejection> LastRejections { get; private set; } = [];

    /// <inheritdoc />
    /// <exception cref="SourceFormatException">The header is unusable (names the file and the columns).</exception>
    public IReadOnlyList<Interaction> Read(string path, string? productsPath, out IReadOnlyDictionary<string, string> productNames)
    {
        var fileName = Path.GetFileName(path);
        var format = ImportFormatDetector.Detect(path);
        var rejections = new List<SourceRejection>();
        var events = new List<SourceEvent>();
        using (var text = SourceFile.OpenText(path))
        {
            var rows = format switch
            {
                ImportFormat.EventsCsv => GenericEventsReader.ReadCsv(text, fileName),
                ImportFormat.EventsJsonLines => GenericEventsReader.ReadJsonLines(text, fileName),
                _ => OttoSessionsReader.Read(text, fileName),
            };
            foreach (var (e, rejection) in rows)
            {
                if (rejection is not null) rejections.Add(rejection);
                else if (e!.Type != EventType.Return) events.Add(e);
            }
        }
        LastRejections = rejections;

        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        if (productsPath is not null)
        {
            using var text = SourceFile.OpenText(productsPath);
            var productFormat = ImportFormatDetector.Detect(productsPath);
            var rows = productFormat == ImportFormat.ProductsJsonLines
                ? GenericProductsReader.ReadJsonLines(text, Path.GetFileName(productsPath))
                : GenericProductsReader.ReadCsv(text, Path.GetFileName(productsPath));
            foreach (var (p, _) in rows)
                if (p is not null) names[p.ItemId] = p.Name;
        }
        productNames = names;
        return events.OrderBy(e => e.Timestamp).ThenBy(e => e.Row)
            .Select(e => new Interaction(e.UserId, e.ItemId, e.Timestamp, e.Type, e.Quantity)).ToList();
    }
}
