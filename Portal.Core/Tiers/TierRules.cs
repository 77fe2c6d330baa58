using System.Text.Json;
using System.Text.Json.Serialization;
using Portal.Core.Behavior;

namespace Portal.Core.Tiers;

/// <summary>The standard RFM segment codes (stored in <see cref="CustomerTier.Segment"/>, shown through UiText <c>Segment.{code}</c>).</summary>
public static class RfmSegments
{
    /// <summary>Bought recently, often and spent the most.</summary>
    public const string Champions = "champions";
    /// <summary>Buy regularly and spend well.</summary>
    public const string Loyal = "loyal";
    /// <summary>Recent customers with average frequency and spend.</summary>
    public const string PotentialLoyalist = "potential_loyalist";
    /// <summary>Bought very recently, once and little.</summary>
    public const string New = "new";
    /// <summary>Recent shoppers who have not spent much yet.</summary>
    public const string Promising = "promising";
    /// <summary>Average recency, frequency and spend.</summary>
    public const string NeedAttention = "need_attention";
    /// <summary>Below-average recency and frequency: will be lost unless reactivated.</summary>
    public const string AboutToSleep = "about_to_sleep";
    /// <summary>Spent and bought often, but long ago.</summary>
    public const string AtRisk = "at_risk";
    /// <summary>Were among the best customers, have not come back for a long time.</summary>
    public const string CantLose = "cant_lose";
    /// <summary>Last purchase long ago, few orders, little spend.</summary>
    public const string Hibernating = "hibernating";
    /// <summary>Lowest recency, frequency and spend.</summary>
    public const string Lost = "lost";

    /// <summary>The eleven codes, best first (the order of charts and tables).</summary>
    public static IReadOnlyList<string> All { get; } =
        [Champions, Loyal, PotentialLoyalist, New, Promising, NeedAttention, AboutToSleep, AtRisk, CantLose, Hibernating, Lost];

    /// <summary>The position of <paramref name="code"/> in <see cref="All"/>, or -1 for an unknown code.</summary>
    public static int IndexOf(string code)
    {
        for (var i = 0; i < All.Count; i++) if (All[i] == code) return i;
        return -1;
    }
}

/// <summary>Lifecycle stage codes (stored in <see cref="CustomerTier.Lifecycle"/>, shown through UiText <c>Lifecycle.{code}</c>).</summary>
public static class LifecycleStages
{
    /// <summary>First event at most <see cref="LifecycleRules.NewDays"/> days before the as-of time.</summary>
    public const string New = "new";
    /// <summary>Last event within the active window.</summary>
    public const string Active = "active";
    /// <summary>Last event beyond the active window but within the at-risk window.</summary>
    public const string AtRisk = "at_risk";
    /// <summary>Last event beyond the at-risk window, within <see cref="LifecycleRules.DormantDays"/>.</summary>
    public const string Dormant = "dormant";
    /// <summary>No event for more than <see cref="LifecycleRules.DormantDays"/> days.</summary>
    public const string Churned = "churned";

    /// <summary>The five codes in life order.</summary>
    public static IReadOnlyList<string> All { get; } = [New, Active, AtRisk, Dormant, Churned];
}

/// <summary>
/// Lifecycle thresholds, in days (editable). Rules, first match wins, with d = days since the customer's last event
/// and c = the customer's purchase cadence (mean days between distinct purchase days; none with fewer than two):
/// new when the first event is at most <see cref="NewDays"/> old; active when d ≤ max(<see cref="ActiveDays"/>,
/// c × <see cref="ActiveCadenceFactor"/>); at risk when d ≤ max(<see cref="AtRiskDays"/>, c × <see cref="AtRiskCadenceFactor"/>);
/// dormant when d ≤ <see cref="DormantDays"/>; churned otherwise.
/// </summary>
public sealed record LifecycleRules
{
    /// <summary>Days since the first event within which a customer is new (default 30).</summary>
    public double NewDays { get; init; } = 30;
    /// <summary>Minimum active window, days (default 30).</summary>
    public double ActiveDays { get; init; } = 30;
    /// <summary>Active while d ≤ cadence × this factor (default 1.5).</summary>
    public double ActiveCadenceFactor { get; init; } = 1.5;
    /// <summary>Minimum at-risk window, days (default 90).</summary>
    public double AtRiskDays { get; init; } = 90;
    /// <summary>At risk while d ≤ cadence × this factor (default 3).</summary>
    public double AtRiskCadenceFactor { get; init; } = 3;
    /// <summary>Dormant up to this many days without an event, churned after (default 180).</summary>
    public double DormantDays { get; init; } = 180;
}

/// <summary>Category interest settings (editable): exponential time decay and per-event-type weights.</summary>
public sealed record InterestRules
{
    /// <summary>Half-life of an event's weight, days (default 90): weight × 0.5^(age / half-life).</summary>
    public double HalfLifeDays { get; init; } = 90;
    /// <summary>Weight per event type (file names of <see cref="EventType"/>); a missing type weighs 0.</summary>
    public Dictionary<string, double> TypeWeights { get; init; } = new(StringComparer.Ordinal)
    {
        ["view"] = 1, ["click"] = 1, ["cart"] = 3, ["favorite"] = 3, ["purchase"] = 5, ["comment"] = 2, ["return"] = 0,
    };

    /// <summary>The weight of <paramref name="type"/> (0 when not listed).</summary>
    public double Weight(EventType type) => TypeWeights.TryGetValue(type.ToFileName(), out var w) ? w : 0;
}

/// <summary>Interest topic and interest cluster settings (editable).</summary>
public sealed record ClusterRules
{
    /// <summary>Number of interest topics (k of the k-means over product text vectors), 2 to 64 (default 16).</summary>
    public int TopicCount { get; init; } = 16;
    /// <summary>Smallest k tried for interest clusters (default 3).</summary>
    public int MinClusters { get; init; } = 3;
    /// <summary>Largest k tried for interest clusters (default 8); k is chosen by the mean silhouette on a sample.</summary>
    public int MaxClusters { get; init; } = 8;
    /// <summary>Customers in the silhouette sample (default 1000; every n-th by id, deterministic).</summary>
    public int SilhouetteSample { get; init; } = 1000;
}

/// <summary>
/// One version of the tier definitions, stored as JSON in <see cref="TierDefinition.RulesJson"/>: the RFM grid
/// (R score × FM score → segment), lifecycle thresholds, interest decay and weights, topic and cluster settings.
/// </summary>
/// <remarks>
/// The default grid resolves the segment table of R and FM score ranges published by Putler ("RFM Analysis For
/// Successful Customer Segmentation", https://www.putler.com/rfm-analysis/) into one segment per cell, taking the
/// most specific range where ranges overlap. FM is the mean of the F and M scores rounded half up. RFM quintile
/// scoring follows Hughes, <i>Strategic Database Marketing</i> (1994).
/// </remarks>
public sealed record TierRules
{
    /// <summary>
    /// The RFM grid: <c>RfmGrid[r - 1][fm - 1]</c> is the segment code of R score r and FM score fm (5 × 5 codes of
    /// <see cref="RfmSegments.All"/>).
    /// </summary>
    public string[][] RfmGrid { get; init; } = DefaultGrid();
    /// <summary>Lifecycle thresholds.</summary>
    public LifecycleRules Lifecycle { get; init; } = new();
    /// <summary>Interest decay and weights.</summary>
    public InterestRules Interests { get; init; } = new();
    /// <summary>Topic and cluster settings.</summary>
    public ClusterRules Clusters { get; init; } = new();

    /// <summary>The segment of scores (r, fm), both 1 to 5.</summary>
    public string Segment(int r, int fm) => RfmGrid[r - 1][fm - 1];

    /// <summary>The seeded grid (rows R = 1..5, columns FM = 1..5).</summary>
    public static string[][] DefaultGrid() =>
    [
        [RfmSegments.Lost, RfmSegments.Hibernating, RfmSegments.AtRisk, RfmSegments.CantLose, RfmSegments.CantLose],
        [RfmSegments.AboutToSleep, RfmSegments.Hibernating, RfmSegments.AtRisk, RfmSegments.AtRisk, RfmSegments.AtRisk],
        [RfmSegments.Promising, RfmSegments.AboutToSleep, RfmSegments.NeedAttention, RfmSegments.Loyal, RfmSegments.Loyal],
        [RfmSegments.Promising, RfmSegments.PotentialLoyalist, RfmSegments.PotentialLoyalist, RfmSegments.Champions, RfmSegments.Champions],
        [RfmSegments.New, RfmSegments.PotentialLoyalist, RfmSegments.Loyal, RfmSegments.Champions, RfmSegments.Champions],
    ];

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = false, DefaultIgnoreCondition = JsonIgnoreCondition.Never };

    /// <summary>The JSON stored in <see cref="TierDefinition.RulesJson"/>.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Reads and validates stored JSON.</summary>
    /// <exception cref="ArgumentException">Invalid JSON or rules (the message names the field).</exception>
    public static TierRules FromJson(string json)
    {
        TierRules? rules;
        try { rules = JsonSerializer.Deserialize<TierRules>(json, Json); }
        catch (JsonException e) { throw new ArgumentException($"Tier definitions: invalid JSON at {e.Path}: {e.Message}", nameof(json), e); }
        if (rules is null) throw new ArgumentException("Tier definitions: the JSON is null.", nameof(json));
        rules.Validate();
        return rules;
    }

    /// <summary>A deep copy (the editor changes the copy, never the stored rules).</summary>
    public TierRules Copy() => FromJson(ToJson());

    /// <summary>Checks every field.</summary>
    /// <exception cref="ArgumentException">The first invalid field, named (<c>RfmGrid[R=3][FM=2]</c>, <c>Lifecycle.ActiveDays</c>...).</exception>
    public void Validate()
    {
        if (RfmGrid is not { Length: 5 } || RfmGrid.Any(row => row is not { Length: 5 }))
            throw new ArgumentException("Tier definitions: RfmGrid must have 5 rows (R = 1..5) of 5 cells (FM = 1..5).");
        for (var r = 0; r < 5; r++)
            for (var f = 0; f < 5; f++)
                if (!RfmSegments.All.Contains(RfmGrid[r][f]))
                    throw new ArgumentException($"Tier definitions: RfmGrid[R={r + 1}][FM={f + 1}] is '{RfmGrid[r][f]}', not one of {string.Join(", ", RfmSegments.All)}.");
        Positive(Lifecycle.NewDays, "Lifecycle.NewDays");
        Positive(Lifecycle.ActiveDays, "Lifecycle.ActiveDays");
        Positive(Lifecycle.ActiveCadenceFactor, "Lifecycle.ActiveCadenceFactor");
        Positive(Lifecycle.AtRiskDays, "Lifecycle.AtRiskDays");
        Positive(Lifecycle.AtRiskCadenceFactor, "Lifecycle.AtRiskCadenceFactor");
        Positive(Lifecycle.DormantDays, "Lifecycle.DormantDays");
        if (Lifecycle.AtRiskDays < Lifecycle.ActiveDays)
            throw new ArgumentException($"Tier definitions: Lifecycle.AtRiskDays ({Lifecycle.AtRiskDays}) is below Lifecycle.ActiveDays ({Lifecycle.ActiveDays}).");
        if (Lifecycle.DormantDays < Lifecycle.AtRiskDays)
            throw new ArgumentException($"Tier definitions: Lifecycle.DormantDays ({Lifecycle.DormantDays}) is below Lifecycle.AtRiskDays ({Lifecycle.AtRiskDays}).");
        Positive(Interests.HalfLifeDays, "Interests.HalfLifeDays");
        foreach (var (type, w) in Interests.TypeWeights)
        {
            if (!EventTypes.FileNames.Contains(type))
                throw new ArgumentException($"Tier definitions: Interests.TypeWeights has the unknown event type '{type}' (known: {string.Join(", ", EventTypes.FileNames)}).");
            if (!double.IsFinite(w) || w < 0)
                throw new ArgumentException($"Tier definitions: Interests.TypeWeights[{type}] is {w}; weights are finite and ≥ 0.");
        }
        if (Clusters.TopicCount is < 2 or > 64)
            throw new ArgumentException($"Tier definitions: Clusters.TopicCount is {Clusters.TopicCount}; it must be 2 to 64.");
        if (Clusters.MinClusters < 2 || Clusters.MaxClusters < Clusters.MinClusters || Clusters.MaxClusters > 20)
            throw new ArgumentException($"Tier definitions: Clusters.MinClusters ({Clusters.MinClusters}) and Clusters.MaxClusters ({Clusters.MaxClusters}) must satisfy 2 ≤ min ≤ max ≤ 20.");
        if (Clusters.SilhouetteSample is < 50 or > 5000)
            throw new ArgumentException($"Tier definitions: Clusters.SilhouetteSample is {Clusters.SilhouetteSample}; it must be 50 to 5000.");
    }

    private static void Positive(double value, string field)
    {
        if (!double.IsFinite(value) || value <= 0)
            throw new ArgumentException($"Tier definitions: {field} is {value}; it must be a positive number.");
    }
}
