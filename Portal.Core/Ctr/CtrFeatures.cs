using System.Globalization;
using System.Text.Json;
using Portal.Core.Data.Sources;

namespace Portal.Core.Ctr;

/// <summary>
/// The features of one shown item, the input of a CTR model. The fields follow field-aware factorisation machines
/// (Juan et al., RecSys 2016): item id, slot position, user (hashed categorical features), item context (categorical)
/// and numeric features (user-item affinities, item numbers).
/// </summary>
/// <param name="ItemId">The item's id in the source (Open Bandit: <c>0</c>..<c>33</c>).</param>
/// <param name="Position">Slot position, 1-based; 0 when unknown.</param>
/// <param name="User">Categorical user features by name (<c>user_feature_0</c> → hash), any order.</param>
/// <param name="Item">Categorical item features by name (<c>item_feature_1</c> → hash), any order.</param>
/// <param name="Numeric">Numeric features by name (<c>affinity_shown</c>, <c>user-item_affinity_3</c>, <c>item_feature_0</c>), finite values.</param>
public sealed record CtrFeatures(string ItemId, int Position, IReadOnlyDictionary<string, string> User,
    IReadOnlyDictionary<string, string> Item, IReadOnlyDictionary<string, double> Numeric)
{
    /// <summary>Name of the derived numeric feature: the user's affinity to the item shown (the <c>user-item_affinity_{item}</c> column).</summary>
    public const string AffinityShown = "affinity_shown";

    /// <summary>Name of the derived numeric feature: the sum of the user's affinities over all items (the user's past click activity).</summary>
    public const string AffinitySum = "affinity_sum";

    /// <summary>Name of the derived numeric feature: the number of items the user has a positive affinity to.</summary>
    public const string AffinityCount = "affinity_count";

    /// <summary>
    /// Builds the features of one impression from its logged context and the item's attributes, the way both the file
    /// path (<see cref="OpenBanditCtrData"/>) and the feedback table (<see cref="FeedbackCtrData"/>) do: strings of the
    /// context are user features, numbers of the context and of the item are numeric features, strings of the item are
    /// item features, <see cref="AffinityShown"/> is the context's <c>user-item_affinity_{itemId}</c> (0 when absent), and
    /// <see cref="AffinitySum"/> and <see cref="AffinityCount"/> summarise all <c>user-item_affinity_*</c> values: the
    /// user's activity level, a classic CTR feature (users who clicked before click again; He et al., "Practical
    /// Lessons from Predicting Clicks on Ads at Facebook", ADKDD 2014, on historical features).
    /// </summary>
    /// <param name="itemId">The item shown.</param>
    /// <param name="position">Slot, 1-based (0 when unknown).</param>
    /// <param name="contextStrings">Categorical context (hashed user features).</param>
    /// <param name="contextNumbers">Numeric context (affinities).</param>
    /// <param name="itemStrings">Categorical item attributes.</param>
    /// <param name="itemNumbers">Numeric item attributes.</param>
    public static CtrFeatures Build(string itemId, int position,
        IEnumerable<KeyValuePair<string, string>> contextStrings, IEnumerable<KeyValuePair<string, double>> contextNumbers,
        IEnumerable<KeyValuePair<string, string>> itemStrings, IEnumerable<KeyValuePair<string, double>> itemNumbers)
    {
        var numeric = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var (k, v) in contextNumbers) numeric[k] = v;
        foreach (var (k, v) in itemNumbers) numeric[k] = v;
        numeric[AffinityShown] = numeric.TryGetValue(OpenBanditReader.AffinityPrefix + itemId, out var a) ? a : 0;
        double sum = 0, count = 0;
        foreach (var (k, v) in contextNumbers)
            if (k.StartsWith(OpenBanditReader.AffinityPrefix, StringComparison.Ordinal)) { sum += v; if (v > 0) count++; }
        numeric[AffinitySum] = sum;
        numeric[AffinityCount] = count;
        return new CtrFeatures(itemId, position,
            contextStrings.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal),
            itemStrings.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal), numeric);
    }

    /// <summary>Splits a flat JSON object (<see cref="Feedback.FeedbackEvent.ContextJson"/>, <see cref="Catalog.Product.AttributesJson"/>) into string and number properties; other kinds are ignored.</summary>
    /// <param name="json">The object, or null.</param>
    /// <exception cref="JsonException">The text is not valid JSON.</exception>
    public static (List<KeyValuePair<string, string>> Strings, List<KeyValuePair<string, double>> Numbers) SplitJson(string? json)
    {
        var strings = new List<KeyValuePair<string, string>>();
        var numbers = new List<KeyValuePair<string, double>>();
        if (string.IsNullOrWhiteSpace(json)) return (strings, numbers);
        using var doc = JsonDocument.Parse(json);
        if (doc.RootElement.ValueKind != JsonValueKind.Object) return (strings, numbers);
        foreach (var p in doc.RootElement.EnumerateObject())
        {
            if (p.Value.ValueKind == JsonValueKind.String) strings.Add(new(p.Name, p.Value.GetString()!));
            else if (p.Value.ValueKind == JsonValueKind.Number && p.Value.TryGetDouble(out var x) && double.IsFinite(x)) numbers.Add(new(p.Name, x));
        }
        return (strings, numbers);
    }
}

/// <summary>One labelled impression: the features of the shown item, when it was shown, and whether it was clicked.</summary>
/// <param name="Features">The shown item's features.</param>
/// <param name="Timestamp">When it was shown (UTC); the temporal split orders by it.</param>
/// <param name="Order">Tie-breaker for equal timestamps (the source row).</param>
/// <param name="Clicked">The label: true when the item was clicked.</param>
public sealed record CtrImpression(CtrFeatures Features, DateTime Timestamp, long Order, bool Clicked);

/// <summary>
/// The fixed column layout of a trained CTR model: which user, item and numeric feature names fill which slot of the
/// model's input vectors. Built from the training impressions (names in order of first appearance) and saved beside
/// the model, so that prediction fills the same slots; unknown names at prediction time are ignored, missing ones
/// are empty (categorical) or 0 (numeric).
/// </summary>
/// <param name="UserNames">Categorical user feature names (at least one slot: an empty list becomes one constant slot).</param>
/// <param name="ItemNames">Categorical item feature names.</param>
/// <param name="NumericNames">Numeric feature names.</param>
public sealed record CtrFeatureLayout(IReadOnlyList<string> UserNames, IReadOnlyList<string> ItemNames, IReadOnlyList<string> NumericNames)
{
    /// <summary>The layout covering every feature name of <paramref name="impressions"/>.</summary>
    /// <param name="impressions">Training impressions.</param>
    public static CtrFeatureLayout From(IEnumerable<CtrImpression> impressions)
    {
        var user = new List<string>(); var item = new List<string>(); var numeric = new List<string>();
        var seenU = new HashSet<string>(StringComparer.Ordinal); var seenI = new HashSet<string>(StringComparer.Ordinal); var seenN = new HashSet<string>(StringComparer.Ordinal);
        foreach (var imp in impressions)
        {
            foreach (var k in imp.Features.User.Keys.Order(StringComparer.Ordinal)) if (seenU.Add(k)) user.Add(k);
            foreach (var k in imp.Features.Item.Keys.Order(StringComparer.Ordinal)) if (seenI.Add(k)) item.Add(k);
            foreach (var k in imp.Features.Numeric.Keys.Order(StringComparer.Ordinal)) if (seenN.Add(k)) numeric.Add(k);
        }
        return new CtrFeatureLayout(user, item, numeric);
    }

    /// <summary>Slots of the user vector (at least 1).</summary>
    public int UserSlots => Math.Max(1, UserNames.Count);
    /// <summary>Slots of the item-context vector (at least 1).</summary>
    public int ItemSlots => Math.Max(1, ItemNames.Count);
    /// <summary>Slots of the numeric vector (at least 1).</summary>
    public int NumericSlots => Math.Max(1, NumericNames.Count);

    /// <summary>The model's input row for <paramref name="features"/> (label false).</summary>
    internal CtrRow ToRow(CtrFeatures features, bool label = false)
    {
        var user = new string[UserSlots];
        for (var i = 0; i < user.Length; i++)
            user[i] = i < UserNames.Count && features.User.TryGetValue(UserNames[i], out var u) ? UserNames[i] + "=" + u : "";
        var item = new string[ItemSlots];
        for (var i = 0; i < item.Length; i++)
            item[i] = i < ItemNames.Count && features.Item.TryGetValue(ItemNames[i], out var v) ? ItemNames[i] + "=" + v : "";
        var numeric = new float[NumericSlots];
        for (var i = 0; i < NumericNames.Count; i++)
            numeric[i] = features.Numeric.TryGetValue(NumericNames[i], out var x) ? (float)x : 0f;
        return new CtrRow
        {
            Label = label, ItemId = features.ItemId, Position = features.Position.ToString(CultureInfo.InvariantCulture),
            User = user, ItemContext = item, Numeric = numeric,
        };
    }

    /// <summary>The layout as JSON (saved beside the model).</summary>
    public string ToJson() => JsonSerializer.Serialize(this);

    /// <summary>Reads a layout written by <see cref="ToJson"/>.</summary>
    /// <exception cref="InvalidDataException">The text is not a layout.</exception>
    public static CtrFeatureLayout FromJson(string json) =>
        JsonSerializer.Deserialize<CtrFeatureLayout>(json) ?? throw new InvalidDataException("The CTR feature layout file is empty.");
}

/// <summary>ML.NET's input row (vector sizes are set from the <see cref="CtrFeatureLayout"/> at run time).</summary>
internal sealed class CtrRow
{
    public bool Label { get; set; }
    public string ItemId { get; set; } = "";
    public string Position { get; set; } = "";
    public string[] User { get; set; } = [];
    public string[] ItemContext { get; set; } = [];
    public float[] Numeric { get; set; } = [];
}
