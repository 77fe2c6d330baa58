using System.Text;
using System.Text.RegularExpressions;
using JiebaNet.Segmenter;

namespace Portal.Core.Embeddings;

/// <summary>
/// Splits product text (Chinese, English or mixed) into the tokens the text embeddings are trained on.
/// <list type="bullet">
/// <item>Text with Han characters is segmented by jieba.NET (precise mode, HMM for unknown words); its dictionaries
/// are read from the <c>Resources</c> folder beside the assemblies (copied there by Portal.Core.csproj). Latin runs
/// inside such text go through the same rules as Latin-only text.</item>
/// <item>Latin text: word tokens of letters and digits, lower-cased (invariant culture); hyphens, apostrophes and
/// punctuation separate tokens (<c>T-LIGHT</c> → <c>t</c>, <c>light</c>; single letters are then dropped).</item>
/// <item>Numbers and sizes are kept where they carry meaning: a number directly followed by a unit becomes one
/// token (<c>50 ML</c> and <c>50ML</c> → <c>50ml</c>, <c>3.5 mm</c> → <c>3.5mm</c>), letter-digit codes stay
/// whole (<c>P50</c> → <c>p50</c>), numbers of two or more characters are kept (<c>Mate 60</c> → <c>60</c>),
/// single digits are dropped (<c>SET OF 3</c>).</item>
/// <item>Stop words of both languages are dropped (<see cref="StopWords"/>).</item>
/// </list>
/// Deterministic and thread-safe (jieba calls are serialised).
/// </summary>
public static partial class TextTokenizer
{
    private static readonly Lazy<JiebaSegmenter> Jieba = new(CreateJieba, LazyThreadSafetyMode.ExecutionAndPublication);
    private static readonly Lock JiebaLock = new();

    /// <summary>Units that merge with a preceding number into one size token (<c>50</c> + <c>ml</c> → <c>50ml</c>).</summary>
    public static IReadOnlySet<string> Units { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "ml", "l", "cl", "g", "kg", "mg", "cm", "mm", "m", "km", "in", "inch", "ft", "oz", "lb", "gb", "tb", "mb", "w", "kw",
        "v", "mah", "hz", "ghz", "pcs", "pc", "pk", "x",
        "毫升", "升", "克", "千克", "公斤", "厘米", "毫米", "米", "寸", "英寸", "件", "个", "只", "片", "瓶", "包", "盒", "斤",
    };

    /// <summary>English and Chinese stop words (function words that say nothing about the kind of product).</summary>
    public static IReadOnlySet<string> StopWords { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        // English
        "a", "an", "the", "of", "and", "or", "in", "on", "at", "to", "for", "with", "without", "by", "from", "as", "is",
        "are", "be", "it", "its", "this", "that", "these", "those", "your", "our", "my", "you", "we", "not", "no", "but",
        "into", "onto", "over", "under", "up", "down", "out", "off", "so", "if", "than", "too", "very", "can", "will",
        "all", "any", "each", "per", "via", "de", "la", "le", "les", "et", "des", "du",
        // Chinese
        "的", "了", "和", "与", "及", "或", "是", "在", "有", "也", "都", "就", "而", "并", "等", "之", "其", "这", "那",
        "为", "以", "于", "把", "被", "让", "给", "从", "向", "对", "款", "新款", "一个", "一", "不", "很", "最", "更",
        "我", "你", "他", "她", "它", "我们", "您", "着", "过", "吗", "呢", "吧", "啊", "中", "上", "下",
    };

    /// <summary>The tokens of <paramref name="text"/>, in text order (duplicates kept).</summary>
    /// <param name="text">Any product text; null or blank gives an empty list.</param>
    public static IReadOnlyList<string> Tokenize(string? text)
    {
        var result = new List<string>();
        if (string.IsNullOrWhiteSpace(text)) return result;
        text = text.Normalize(NormalizationForm.FormKC); // full-width letters and digits → ASCII
        var pieces = new List<string>();
        if (HanRegex().IsMatch(text))
        {
            IEnumerable<string> cut;
            lock (JiebaLock) cut = Jieba.Value.Cut(text, cutAll: false, hmm: true).ToList();
            foreach (var c in cut)
            {
                if (string.IsNullOrWhiteSpace(c)) continue;
                if (HanRegex().IsMatch(c)) pieces.Add(c.ToLowerInvariant());
                else LatinPieces(c, pieces);
            }
        }
        else LatinPieces(text, pieces);

        for (var i = 0; i < pieces.Count; i++)
        {
            var t = pieces[i];
            // A number followed by a unit: one size token.
            if (IsNumber(t) && i + 1 < pieces.Count && Units.Contains(pieces[i + 1]))
            {
                result.Add(t + pieces[i + 1]);
                i++;
                continue;
            }
            if (StopWords.Contains(t)) continue;
            if (t.Length == 1 && t[0] < 0x80) continue; // single letters and digits
            result.Add(t);
        }
        return result;
    }

    /// <summary>Latin word pieces: runs of letters/digits (with a decimal point inside numbers), lower-cased.</summary>
    private static void LatinPieces(string text, List<string> pieces)
    {
        foreach (Match m in LatinRegex().Matches(text)) pieces.Add(m.Value.ToLowerInvariant());
    }

    private static bool IsNumber(string t)
    {
        if (t.Length == 0 || !char.IsAsciiDigit(t[0])) return false;
        foreach (var c in t) if (!char.IsAsciiDigit(c) && c != '.') return false;
        return true;
    }

    private static JiebaSegmenter CreateJieba()
    {
        var dir = Path.Combine(AppContext.BaseDirectory, "Resources");
        if (!File.Exists(Path.Combine(dir, "dict.txt")))
            throw new FileNotFoundException($"jieba.NET dictionaries not found in {dir} (Portal.Core.csproj copies them to the output's Resources folder).", Path.Combine(dir, "dict.txt"));
        ConfigManager.ConfigFileBaseDir = dir;
        return new JiebaSegmenter();
    }

    [GeneratedRegex(@"\p{IsCJKUnifiedIdeographs}")]
    private static partial Regex HanRegex();

    // Letters/digits (no Han), a decimal part only between digits: "3.5mm", "p50", "50ml".
    [GeneratedRegex(@"(?:[\p{L}\p{N}-[\p{IsCJKUnifiedIdeographs}]])+(?:\.\d+(?:[\p{L}\p{N}-[\p{IsCJKUnifiedIdeographs}]])*)?")]
    private static partial Regex LatinRegex();
}
