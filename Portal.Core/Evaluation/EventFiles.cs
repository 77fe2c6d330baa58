using Portal.Core.Behavior;
using Portal.Core.Data.Sources;
using Portal.Core.Recommendation;

namespace Portal.Core.Evaluation;

/// <summary>Events read from a file for the offline protocol.</summary>
/// <param name="Name">Dataset name (the file name without <c>.gz</c>, <c>.csv</c>, <c>.jsonl</c>).</param>
/// <param name="Sha256">SHA-256 of the file's bytes (lower-case hex).</param>
/// <param name="Events">Cleaned interactions in protocol order.</param>
/// <param name="ProductNames">Item id to product name, when the source has names (may be empty).</param>
public sealed record LoadedEvents(string Name, string Sha256, IReadOnlyList<Interaction> Events, IReadOnlyDictionary<string, string> ProductNames)
{
    /// <summary>Item id to unit price (the source's currency), when the source has prices (may be empty).</summary>
    public IReadOnlyDictionary<string, double> ProductPrices { get; init; } = new Dictionary<string, double>();
}

/// <summary>A reader of one behaviour-file format, recognised by the file's first line.</summary>
public interface IEventFileReader
{
    /// <summary>Short format name (<c>uci</c>, <c>events-csv</c>, ...).</summary>
    string Format { get; }
    /// <summary>True when <paramref name="firstLine"/> (the header of a CSV, or the first JSON line) is this format's.</summary>
    bool CanRead(string firstLine);
    /// <summary>Reads and cleans the file into interactions in protocol order.</summary>
    /// <param name="path">The file (gzip allowed).</param>
    /// <param name="productsPath">An optional catalogue file for names.</param>
    /// <param name="productNames">Item id to product name (empty when the source has none).</param>
    IReadOnlyList<Interaction> Read(string path, string? productsPath, out IReadOnlyDictionary<string, string> productNames);

    /// <summary>Reads like <see cref="Read(string, string?, out IReadOnlyDictionary{string, string})"/> and also returns unit prices where the source has them (default: none).</summary>
    /// <param name="path">The file (gzip allowed).</param>
    /// <param name="productsPath">An optional catalogue file.</param>
    /// <param name="productNames">Item id to product name.</param>
    /// <param name="productPrices">Item id to unit price (empty when the source has none).</param>
    IReadOnlyList<Interaction> Read(string path, string? productsPath, out IReadOnlyDictionary<string, string> productNames, out IReadOnlyDictionary<string, double> productPrices)
    {
        productPrices = new Dictionary<string, double>();
        return Read(path, productsPath, out productNames);
    }
}

/// <summary>UCI Online Retail (header <c>InvoiceNo,StockCode,...</c>): purchases cleaned by <see cref="UciOnlineRetailDataset"/>.</summary>
public sealed class UciEventFileReader : IEventFileReader
{
    /// <inheritdoc />
    public string Format => "uci";
    /// <inheritdoc />
    public bool CanRead(string firstLine) => firstLine.TrimStart('\uFEFF').StartsWith("InvoiceNo,StockCode,", StringComparison.OrdinalIgnoreCase);
    /// <inheritdoc />
    public IReadOnlyList<Interaction> Read(string path, string? productsPath, out IReadOnlyDictionary<string, string> productNames) =>
        Read(path, productsPath, out productNames, out _);

    /// <inheritdoc />
    /// <remarks>
    /// Prices: each product's unit price at its first purchase (GBP). The first, not the latest: a latest price would
    /// come from the test window for many items and leak it into price features (shared/EVALUATION.md); every catalogue
    /// item of a split has its first purchase in the train part.
    /// </remarks>
    public IReadOnlyList<Interaction> Read(string path, string? productsPath, out IReadOnlyDictionary<string, string> productNames, out IReadOnlyDictionary<string, double> productPrices)
    {
        var ds = UciOnlineRetailDataset.Load(path);
        productNames = ds.Products.ToDictionary(p => p.Key, p => p.Value.Name, StringComparer.Ordinal);
        var prices = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var e in ds.Purchases)
            if (e.UnitPrice > 0) prices.TryAdd(e.ItemId, (double)e.UnitPrice);
        productPrices = prices;
        return FromUci(ds);
    }

    /// <summary>The dataset's purchases as interactions (same order).</summary>
    public static IReadOnlyList<Interaction> FromUci(UciOnlineRetailDataset dataset) =>
        dataset.Purchases.Select(e => new Interaction(e.UserId, e.ItemId, e.Timestamp, EventType.Purchase, e.Quantity)).ToList();
}

/// <summary>Picks a reader by the file's first line and loads events; more readers can be registered with <see cref="Readers"/>.</summary>
public static class EventFiles
{
    /// <summary>The known readers, tried in order: UCI Online Retail, then the generic events CSV/JSONL and OTTO sessions.</summary>
    public static List<IEventFileReader> Readers { get; } = [new UciEventFileReader(), new GenericEventFileReader()];

    /// <summary>Loads <paramref name="path"/> with the first reader that recognises its first line.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="NotSupportedException">No reader recognises the file.</exception>
    public static LoadedEvents Load(string path, string? productsPath = null)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Events file not found: {path}", path);
        string first;
        using (var text = SourceFile.OpenText(path)) first = text.ReadLine() ?? "";
        var reader = Readers.FirstOrDefault(r => r.CanRead(first))
            ?? throw new NotSupportedException($"Unrecognised events file '{path}' (first line: {Truncate(first)}). Supported: {string.Join(", ", Readers.Select(r => r.Format))}.");
        var events = reader.Read(path, productsPath, out var names, out var prices);
        return new LoadedEvents(DatasetName(path), SourceFile.Sha256(path), events, names) { ProductPrices = prices };
    }

    /// <summary>The file name without the <c>.gz</c>, <c>.csv</c>, <c>.jsonl</c>, <c>.json</c> extensions.</summary>
    public static string DatasetName(string path)
    {
        var name = Path.GetFileName(path);
        foreach (var ext in new[] { ".gz", ".csv", ".jsonl", ".json" })
            if (name.EndsWith(ext, StringComparison.OrdinalIgnoreCase)) name = name[..^ext.Length];
        return name;
    }

    private static string Truncate(string s) => s.Length <= 80 ? s : s[..80] + "…";
}
