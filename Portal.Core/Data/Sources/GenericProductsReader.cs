using System.Globalization;
using CsvHelper;
using CsvHelper.Configuration;
using Portal.Core.Catalog;

namespace Portal.Core.Data.Sources;

/// <summary>
/// Reads generic catalogue files (shared/FORMATS.md, <c>products.csv</c> / <c>products.jsonl</c>): columns
/// <c>item_id, name</c> (required) and <c>description, category, brand, price, merchant</c> (optional). The category is a
/// path whose levels are separated by <c> &gt; </c>. Rows are streamed; each result is a product or a rejection.
/// </summary>
public static class GenericProductsReader
{
    /// <summary>Every column the format knows, in the documented order.</summary>
    public static IReadOnlyList<string> Columns { get; } = ["item_id", "name", "description", "category", "brand", "price", "merchant"];

    /// <summary>Columns a file must have.</summary>
    public static IReadOnlyList<string> RequiredColumns { get; } = ["item_id", "name"];

    /// <summary>Maximum lengths in characters (the database's column sizes).</summary>
    public const int MaxIdLength = 64, MaxNameLength = 400, MaxBrandLength = 200, MaxCategoryLevelLength = 200, MaxCategoryPathLength = 800, MaxMerchantLength = 64;

    /// <summary>Reads a products CSV (header row required; row numbers count the header as 1).</summary>
    /// <param name="text">The file's text.</param>
    /// <param name="fileName">Name used in error messages.</param>
    /// <exception cref="SourceFormatException">The file is empty, or the header lacks a required column or holds an unknown one.</exception>
    public static IEnumerable<(SourceProduct? Product, SourceRejection? Rejection)> ReadCsv(TextReader text, string fileName) =>
        SourceFields.ReadCsvRows<SourceProduct>(text, fileName, "products CSV", Columns, RequiredColumns, Parse);

    /// <summary>Reads products as JSON lines (one object per line with the CSV's field names; blank lines are ignored).</summary>
    /// <param name="text">The file's text.</param>
    /// <param name="fileName">Name used in error messages.</param>
    /// <exception cref="SourceFormatException">The first object lacks a required field or holds an unknown one.</exception>
    public static IEnumerable<(SourceProduct? Product, SourceRejection? Rejection)> ReadJsonLines(TextReader text, string fileName) =>
        SourceFields.ReadJsonLineRows<SourceProduct>(text, fileName, "products JSON lines", Columns, RequiredColumns, Parse);

    /// <summary>Splits a category path at <c> &gt; </c> into trimmed, non-empty levels.</summary>
    public static IReadOnlyList<string> SplitCategoryPath(string? path) =>
        string.IsNullOrWhiteSpace(path)
            ? []
            : path.Split(Category.PathSeparator.Trim(), StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

    internal static (SourceProduct?, SourceRejection?) Parse(long row, Func<string, string?> get)
    {
        var item = SourceFields.Clean(get("item_id"));
        if (item is null) return (null, new SourceRejection(row, "item_id", get("item_id"), "required field is empty"));
        if (item.Length > MaxIdLength) return (null, new SourceRejection(row, "item_id", SourceFields.Clip(item), $"longer than {MaxIdLength} characters"));
        var name = SourceFields.Clean(get("name"));
        if (name is null) return (null, new SourceRejection(row, "name", get("name"), "required field is empty"));
        if (name.Length > MaxNameLength) return (null, new SourceRejection(row, "name", SourceFields.Clip(name), $"longer than {MaxNameLength} characters"));
        var description = SourceFields.Clean(get("description"));
        var categoryText = SourceFields.Clean(get("category"));
        var levels = SplitCategoryPath(categoryText);
        if (levels.Any(l => l.Length > MaxCategoryLevelLength) || string.Join(Category.PathSeparator, levels).Length > MaxCategoryPathLength)
            return (null, new SourceRejection(row, "category", SourceFields.Clip(categoryText),
                $"category level longer than {MaxCategoryLevelLength} or path longer than {MaxCategoryPathLength} characters"));
        var brand = SourceFields.Clean(get("brand"));
        if (brand is { Length: > MaxBrandLength }) return (null, new SourceRejection(row, "brand", SourceFields.Clip(brand), $"longer than {MaxBrandLength} characters"));
        decimal? price = null;
        var pText = SourceFields.Clean(get("price"));
        if (pText is not null)
        {
            if (!SourceFields.TryParseDecimal(pText, out var p))
                return (null, new SourceRejection(row, "price", SourceFields.Clip(pText), "not a number"));
            if (p < 0) return (null, new SourceRejection(row, "price", pText, "negative price is not allowed"));
            price = p;
        }
        var merchant = SourceFields.Clean(get("merchant"));
        if (merchant is { Length: > MaxMerchantLength })
            return (null, new SourceRejection(row, "merchant", SourceFields.Clip(merchant), $"longer than {MaxMerchantLength} characters"));
        return (new SourceProduct(row, item, name, description, levels, brand, price, merchant), null);
    }
}
