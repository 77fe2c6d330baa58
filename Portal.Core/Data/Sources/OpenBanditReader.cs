using System.Globalization;
using System.Text.RegularExpressions;
using CsvHelper;
using CsvHelper.Configuration;

namespace Portal.Core.Data.Sources;

/// <summary>
/// One impression of an Open Bandit log (Saito, Aihara, Matsutani &amp; Narita, "Open Bandit Dataset and Pipeline:
/// Towards Realistic and Reproducible Off-Policy Evaluation", arXiv:2008.07146, NeurIPS 2021 Datasets and Benchmarks):
/// one item shown at one slot of ZOZOTOWN's 3-slot widget, with its click label.
/// </summary>
/// <param name="Row">Row number in the file (1 = the header).</param>
/// <param name="Timestamp">When the item was shown, UTC.</param>
/// <param name="ItemId">The item's id as written (<c>0</c> to <c>33</c> for the men's campaign).</param>
/// <param name="Position">Slot, 1 (left), 2 (centre) or 3 (right).</param>
/// <param name="Click">True when the user clicked the item.</param>
/// <param name="Propensity">Probability that the logging policy showed this item at this position, in (0, 1].</param>
/// <param name="UserFeatures">Hashed categorical user features by column name (<c>user_feature_0</c> → hash), in header order.</param>
/// <param name="Affinities">User-item affinity scores by column name (<c>user-item_affinity_3</c> → value), in header order.</param>
public sealed record OpenBanditImpression(long Row, DateTime Timestamp, string ItemId, int Position, bool Click, double Propensity,
    IReadOnlyList<KeyValuePair<string, string>> UserFeatures, IReadOnlyList<KeyValuePair<string, double>> Affinities);

/// <summary>One row of an Open Bandit <c>item_context.csv</c>: an item's context features.</summary>
/// <param name="Row">Row number in the file (1 = the header).</param>
/// <param name="ItemId">The item's id, as in the impression log.</param>
/// <param name="Numeric">Numeric features by column name (<c>item_feature_0</c>, a standardised price-like value).</param>
/// <param name="Categorical">Hashed categorical features by column name (<c>item_feature_1</c> to <c>item_feature_3</c>).</param>
public sealed record OpenBanditItem(long Row, string ItemId, IReadOnlyList<KeyValuePair<string, double>> Numeric,
    IReadOnlyList<KeyValuePair<string, string>> Categorical);

/// <summary>
/// Reads the Open Bandit Dataset's files as published (<c>st-tech/zr-obp</c>, <c>obd/{random,bts}/{men,women}/</c>;
/// shared/FORMATS.md): the impression log <c>,timestamp,item_id,position,click,propensity_score,user_feature_0..k,
/// user-item_affinity_0..n-1</c> and the item context <c>,item_id,item_feature_0..m</c>. The first, unnamed column is a
/// pandas row index and is ignored. A header that lacks a column, holds an unknown one or has gaps in the numbered
/// columns refuses the whole file (<see cref="SourceFormatException"/>); a bad field rejects its row, naming row,
/// column, value and reason.
/// </summary>
public static partial class OpenBanditReader
{
    /// <summary>The fixed columns of an impression log (after the unnamed index).</summary>
    public static IReadOnlyList<string> ImpressionColumns { get; } = ["timestamp", "item_id", "position", "click", "propensity_score"];

    /// <summary>The fixed columns of an item context file (after the unnamed index).</summary>
    public static IReadOnlyList<string> ItemColumns { get; } = ["item_id"];

    /// <summary>The item-context columns read as numbers (the others are hashed categories), as documented with the dataset.</summary>
    public static IReadOnlyList<string> NumericItemFeatures { get; } = ["item_feature_0"];

    /// <summary>Prefix of the hashed user feature columns.</summary>
    public const string UserFeaturePrefix = "user_feature_";

    /// <summary>Prefix of the user-item affinity columns (one per item id).</summary>
    public const string AffinityPrefix = "user-item_affinity_";

    /// <summary>Prefix of the item context feature columns.</summary>
    public const string ItemFeaturePrefix = "item_feature_";

    /// <summary>The merchant code Open Bandit items and feedback are stored under.</summary>
    public const string MerchantCode = "zozotown";

    [GeneratedRegex(@"^(user_feature_|user-item_affinity_|item_feature_)(\d+)$", RegexOptions.CultureInvariant)]
    private static partial Regex NumberedColumn();

    /// <summary>True when the header row is an Open Bandit impression log (it has <c>propensity_score</c>, or <c>position</c> and <c>click</c>).</summary>
    /// <param name="header">The header fields.</param>
    public static bool IsImpressionHeader(IReadOnlyList<string> header) =>
        Has(header, "propensity_score") || Has(header, "position") && Has(header, "click");

    /// <summary>True when the header row is an Open Bandit item context file (it has <c>item_id</c> and <c>item_feature_0</c>).</summary>
    /// <param name="header">The header fields.</param>
    public static bool IsItemContextHeader(IReadOnlyList<string> header) => Has(header, "item_id") && Has(header, "item_feature_0");

    /// <summary>Streams the impressions of a log (or rejections of bad rows), in file order.</summary>
    /// <param name="text">The file's text (gzip already undone, see <see cref="SourceFile.OpenText(string)"/>).</param>
    /// <param name="fileName">Name used in messages.</param>
    /// <exception cref="SourceFormatException">The file is empty or its header is not an Open Bandit impression header
    /// (thrown on the first enumeration step, before any row is returned).</exception>
    public static IEnumerable<(OpenBanditImpression? Impression, SourceRejection? Rejection)> ReadImpressions(TextReader text, string fileName)
    {
        using var parser = new CsvParser(text, new CsvConfiguration(CultureInfo.InvariantCulture) { BadDataFound = null, DetectDelimiter = false });
        if (!parser.Read()) throw new SourceFormatException(fileName, "the file is empty; a header row is required.");
        var header = parser.Record!.Select(h => h.Trim().TrimStart('\uFEFF')).ToArray();
        var map = MapHeader(fileName, "Open Bandit impression log", header, ImpressionColumns, [UserFeaturePrefix, AffinityPrefix]);
        var users = map.Numbered[UserFeaturePrefix];
        var affinities = map.Numbered[AffinityPrefix];
        while (parser.Read())
        {
            var r = parser.Record!;
            if (r.Length == 1 && r[0].Length == 0) continue;
            yield return ParseImpression(parser.Row, r, map, users, affinities);
        }
    }

    /// <summary>Streams the items of an item context file (or rejections of bad rows), in file order.</summary>
    /// <param name="text">The file's text.</param>
    /// <param name="fileName">Name used in messages.</param>
    /// <exception cref="SourceFormatException">The file is empty or its header is not an item context header.</exception>
    public static IEnumerable<(OpenBanditItem? Item, SourceRejection? Rejection)> ReadItems(TextReader text, string fileName)
    {
        using var parser = new CsvParser(text, new CsvConfiguration(CultureInfo.InvariantCulture) { BadDataFound = null, DetectDelimiter = false });
        if (!parser.Read()) throw new SourceFormatException(fileName, "the file is empty; a header row is required.");
        var header = parser.Record!.Select(h => h.Trim().TrimStart('\uFEFF')).ToArray();
        var map = MapHeader(fileName, "Open Bandit item context", header, ItemColumns, [ItemFeaturePrefix]);
        var features = map.Numbered[ItemFeaturePrefix];
        if (features.Count == 0)
            throw new SourceFormatException(fileName, "the header is not a valid Open Bandit item context header: no item_feature_ columns.", ["item_feature_0"]);
        while (parser.Read())
        {
            var r = parser.Record!;
            if (r.Length == 1 && r[0].Length == 0) continue;
            var row = parser.Row;
            string? Get(int i) => i >= 0 && i < r.Length ? r[i] : null;
            var item = SourceFields.Clean(Get(map.Fixed["item_id"]));
            if (item is null) { yield return (null, new SourceRejection(row, "item_id", Get(map.Fixed["item_id"]), "required field is empty")); continue; }
            if (!IsItemId(item)) { yield return (null, new SourceRejection(row, "item_id", SourceFields.Clip(item), "not a non-negative integer")); continue; }
            var numeric = new List<KeyValuePair<string, double>>();
            var categorical = new List<KeyValuePair<string, string>>();
            SourceRejection? rejection = null;
            foreach (var (name, index) in features)
            {
                var value = SourceFields.Clean(Get(index));
                if (value is null) { rejection = new SourceRejection(row, name, Get(index), "required field is empty"); break; }
                if (NumericItemFeatures.Contains(name))
                {
                    if (!SourceFields.TryParseDouble(value, out var x)) { rejection = new SourceRejection(row, name, SourceFields.Clip(value), "not a number"); break; }
                    numeric.Add(new(name, x));
                }
                else if (value.Length > 64) { rejection = new SourceRejection(row, name, SourceFields.Clip(value), "longer than 64 characters"); break; }
                else categorical.Add(new(name, value));
            }
            yield return rejection is null ? (new OpenBanditItem(row, item, numeric, categorical), null) : (null, rejection);
        }
    }

    private static (OpenBanditImpression?, SourceRejection?) ParseImpression(long row, string[] r, HeaderMap map,
        IReadOnlyList<(string Name, int Index)> users, IReadOnlyList<(string Name, int Index)> affinities)
    {
        string? Get(int i) => i >= 0 && i < r.Length ? r[i] : null;
        string? Field(string name) => Get(map.Fixed[name]);
        SourceRejection Reject(string column, string? value, string reason) => new(row, column, SourceFields.Clip(value), reason);

        var tsText = SourceFields.Clean(Field("timestamp"));
        if (tsText is null) return (null, Reject("timestamp", Field("timestamp"), "required field is empty"));
        if (!SourceFields.TryParseTimestamp(tsText, out var ts))
            return (null, Reject("timestamp", tsText, "unparsable timestamp (expected ISO 8601, e.g. 2019-11-24 00:01:03.979311+00:00)"));
        var item = SourceFields.Clean(Field("item_id"));
        if (item is null) return (null, Reject("item_id", Field("item_id"), "required field is empty"));
        if (!IsItemId(item)) return (null, Reject("item_id", item, "not a non-negative integer"));
        var posText = SourceFields.Clean(Field("position"));
        if (posText is null) return (null, Reject("position", Field("position"), "required field is empty"));
        if (!int.TryParse(posText, NumberStyles.None, CultureInfo.InvariantCulture, out var position) || position < 1)
            return (null, Reject("position", posText, "not a slot position (an integer of 1 or more)"));
        var clickText = SourceFields.Clean(Field("click"));
        if (clickText is not ("0" or "1")) return (null, Reject("click", Field("click"), "click must be 0 or 1"));
        var pText = SourceFields.Clean(Field("propensity_score"));
        if (pText is null) return (null, Reject("propensity_score", Field("propensity_score"), "required field is empty"));
        if (!SourceFields.TryParseDouble(pText, out var propensity) || propensity <= 0 || propensity > 1)
            return (null, Reject("propensity_score", pText, "not a probability in (0, 1]"));
        var userFeatures = new List<KeyValuePair<string, string>>(users.Count);
        foreach (var (name, index) in users)
        {
            var v = SourceFields.Clean(Get(index));
            if (v is null) return (null, Reject(name, Get(index), "required field is empty"));
            if (v.Length > 64) return (null, Reject(name, v, "longer than 64 characters"));
            userFeatures.Add(new(name, v));
        }
        var affinity = new List<KeyValuePair<string, double>>(affinities.Count);
        foreach (var (name, index) in affinities)
        {
            var v = SourceFields.Clean(Get(index));
            if (v is null) return (null, Reject(name, Get(index), "required field is empty"));
            if (!SourceFields.TryParseDouble(v, out var x)) return (null, Reject(name, v, "not a number"));
            affinity.Add(new(name, x));
        }
        return (new OpenBanditImpression(row, ts, item, position, clickText == "1", propensity, userFeatures, affinity), null);
    }

    private static bool IsItemId(string text) => text.Length <= 9 && text.All(char.IsAsciiDigit);

    private sealed record HeaderMap(Dictionary<string, int> Fixed, Dictionary<string, List<(string Name, int Index)>> Numbered);

    /// <summary>
    /// Checks the header: an optional unnamed first column (the pandas index), every fixed column once, numbered
    /// columns of the given prefixes numbered 0..n-1 without gaps, nothing else.
    /// </summary>
    private static HeaderMap MapHeader(string fileName, string formatName, string[] header, IReadOnlyList<string> fixedColumns, string[] prefixes)
    {
        var fixedIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        var numbered = prefixes.ToDictionary(p => p, _ => new List<(string Name, int Index, int Number)>(), StringComparer.Ordinal);
        var unknown = new List<string>();
        var duplicate = new List<string>();
        for (var i = 0; i < header.Length; i++)
        {
            var h = header[i];
            if (h.Length == 0 && i == 0) continue; // the pandas row index
            var known = fixedColumns.FirstOrDefault(c => c.Equals(h, StringComparison.OrdinalIgnoreCase));
            if (known is not null)
            {
                if (!fixedIndex.TryAdd(known, i)) duplicate.Add(h);
                continue;
            }
            var m = NumberedColumn().Match(h.ToLowerInvariant());
            if (m.Success && numbered.TryGetValue(m.Groups[1].Value, out var list)
                && int.TryParse(m.Groups[2].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
            {
                if (list.Any(x => x.Number == number)) duplicate.Add(h);
                else list.Add((h.ToLowerInvariant(), i, number));
                continue;
            }
            unknown.Add(h.Length == 0 ? "(empty)" : h);
        }
        var missing = fixedColumns.Where(c => !fixedIndex.ContainsKey(c)).ToList();
        foreach (var (prefix, list) in numbered)
        {
            var numbers = list.Select(x => x.Number).ToHashSet();
            for (var n = 0; n < list.Count; n++)
                if (!numbers.Contains(n)) missing.Add(prefix + n.ToString(CultureInfo.InvariantCulture));
        }
        if (missing.Count > 0 || unknown.Count > 0 || duplicate.Count > 0)
        {
            var parts = new List<string>();
            if (missing.Count > 0) parts.Add($"missing column(s) {string.Join(", ", missing)}");
            if (unknown.Count > 0) parts.Add($"unknown column(s) {string.Join(", ", unknown)}");
            if (duplicate.Count > 0) parts.Add($"duplicate column(s) {string.Join(", ", duplicate)}");
            throw new SourceFormatException(fileName,
                $"the header is not a valid {formatName} header: {string.Join("; ", parts)} " +
                $"(expected an unnamed index column, {string.Join(",", fixedColumns)}, then {string.Join(", ", prefixes.Select(p => p + "0.."))}).",
                missing, unknown);
        }
        return new HeaderMap(fixedIndex, numbered.ToDictionary(kv => kv.Key,
            kv => kv.Value.OrderBy(x => x.Number).Select(x => (x.Name, x.Index)).ToList(), StringComparer.Ordinal));
    }

    private static bool Has(IReadOnlyList<string> header, string column) =>
        header.Any(h => h.Trim().Equals(column, StringComparison.OrdinalIgnoreCase));
}
