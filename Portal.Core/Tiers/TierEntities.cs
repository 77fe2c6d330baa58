namespace Portal.Core.Tiers;

/// <summary>
/// One version of the tier definitions (<see cref="TierRules"/> as JSON). Versions are never edited: saving an edit
/// adds the next version, and every <see cref="SegmentationRun"/> records the version it used.
/// </summary>
public class TierDefinition
{
    /// <summary>Database key.</summary>
    public int Id { get; set; }
    /// <summary>Version number, 1, 2, ... (unique).</summary>
    public int Version { get; set; }
    /// <summary>The rules (<see cref="TierRules.ToJson"/>).</summary>
    public required string RulesJson { get; set; }
    /// <summary>When the version was saved (UTC).</summary>
    public DateTime CreatedAt { get; set; }
    /// <summary>Who saved it (<c>system</c> for the seeded version 1).</summary>
    public string? CreatedBy { get; set; }
    /// <summary>Why it was changed, if given.</summary>
    public string? Note { get; set; }
}

/// <summary>Status of a <see cref="SegmentationRun"/>.</summary>
public enum SegmentationStatus
{
    /// <summary>Computing.</summary>
    Running,
    /// <summary>Finished; its assignments are stored.</summary>
    Succeeded,
    /// <summary>Failed; no assignment is stored (see <see cref="SegmentationRun.Message"/>).</summary>
    Failed,
}

/// <summary>One recomputation of every customer's layers (after an import, a training run, a schedule or an edit).</summary>
public class SegmentationRun
{
    /// <summary>Database key.</summary>
    public int Id { get; set; }
    /// <summary>Started (UTC).</summary>
    public DateTime StartedAt { get; set; }
    /// <summary>Finished (UTC), null while running.</summary>
    public DateTime? FinishedAt { get; set; }
    /// <summary>Status.</summary>
    public SegmentationStatus Status { get; set; }
    /// <summary>What started it: <c>import</c>, <c>training</c>, <c>schedule</c>, <c>definitions</c>, <c>manual</c>.</summary>
    public required string Trigger { get; set; }
    /// <summary>The <see cref="TierDefinition.Version"/> used.</summary>
    public int DefinitionVersion { get; set; }
    /// <summary>The as-of time (UTC): the last stored event; recency and decay are measured from it.</summary>
    public DateTime? AsOf { get; set; }
    /// <summary>Customers assigned.</summary>
    public int Customers { get; set; }
    /// <summary>Where the product text vectors came from: <c>text2vec</c> (active model) or <c>tf-idf</c>.</summary>
    public string? VectorSource { get; set; }
    /// <summary>Where the user interest vectors came from: <c>gru</c> (active model's state) or <c>embedding-mean</c>.</summary>
    public string? UserVectorSource { get; set; }
    /// <summary>Interest topics found.</summary>
    public int TopicCount { get; set; }
    /// <summary>k of the interest clusters (chosen by silhouette).</summary>
    public int ClusterCount { get; set; }
    /// <summary>Mean silhouette of the chosen k on the sample, −1 to 1.</summary>
    public double Silhouette { get; set; }
    /// <summary>Wall time of the computation, seconds.</summary>
    public double Seconds { get; set; }
    /// <summary>Summary or error.</summary>
    public string? Message { get; set; }
}

/// <summary>One customer's layers in one <see cref="SegmentationRun"/>.</summary>
public class CustomerTier
{
    /// <summary>Database key.</summary>
    public long Id { get; set; }
    /// <summary>The run.</summary>
    public int SegmentationRunId { get; set; }
    /// <summary>The customer.</summary>
    public int CustomerId { get; set; }
    /// <summary>Recency: days from the last purchase to the as-of time; null without purchases.</summary>
    public double? RecencyDays { get; set; }
    /// <summary>Frequency: distinct purchase orders (invoices; purchase days where no order id is known).</summary>
    public int Frequency { get; set; }
    /// <summary>Monetary: purchase value net of returns (Σ quantity × unit price), merchant currency.</summary>
    public double Monetary { get; set; }
    /// <summary>R score 1 to 5 (5 = most recent); 0 without purchases.</summary>
    public int R { get; set; }
    /// <summary>F score 1 to 5; 0 without purchases.</summary>
    public int F { get; set; }
    /// <summary>M score 1 to 5; 0 without purchases.</summary>
    public int M { get; set; }
    /// <summary>RFM segment code (<see cref="RfmSegments"/>); null without purchases.</summary>
    public string? Segment { get; set; }
    /// <summary>Lifecycle stage code (<see cref="LifecycleStages"/>).</summary>
    public required string Lifecycle { get; set; }
    /// <summary>Days since the last event of any type.</summary>
    public double DaysSinceLastEvent { get; set; }
    /// <summary>Purchase cadence: mean days between distinct purchase days; null with fewer than two.</summary>
    public double? CadenceDays { get; set; }
    /// <summary>The customer's strongest interest topic (<see cref="InterestTopic.Id"/>), null without weighted events.</summary>
    public int? TopicId { get; set; }
    /// <summary>Interest cluster number 1..k; 0 when the customer has no interest vector.</summary>
    public int Cluster { get; set; }
    /// <summary>Top interests as JSON <c>[{"k":"t:12","s":0.41},...]</c>: key (<c>t:</c> topic id, <c>c:</c> category id) and strength (shares summing to ≤ 1).</summary>
    public string? InterestsJson { get; set; }
}

/// <summary>
/// An interest topic: a k-means cluster of product text vectors, identified by its most characteristic tokens
/// (<see cref="Key"/>) so that an admin's name survives recomputations that find the same topic again.
/// </summary>
public class InterestTopic
{
    /// <summary>Database key.</summary>
    public int Id { get; set; }
    /// <summary>The topic's top three tokens, sorted and joined by spaces (unique).</summary>
    public required string Key { get; set; }
    /// <summary>Generated name: the most characteristic tokens, best first, joined by " · ".</summary>
    public required string AutoName { get; set; }
    /// <summary>The admin's name, null when not renamed.</summary>
    public string? CustomName { get; set; }
    /// <summary>Products in the topic at the last run that found it.</summary>
    public int Products { get; set; }
    /// <summary>Last run that found it.</summary>
    public int LastRunId { get; set; }

    /// <summary>The name to show: the custom name if any, else the generated one.</summary>
    public string DisplayName => string.IsNullOrWhiteSpace(CustomName) ? AutoName : CustomName;
}

/// <summary>A product's interest topic in one run (for the catalogue and the topic filter).</summary>
public class ProductTopic
{
    /// <summary>Database key.</summary>
    public long Id { get; set; }
    /// <summary>The run.</summary>
    public int SegmentationRunId { get; set; }
    /// <summary>The product.</summary>
    public int ProductId { get; set; }
    /// <summary>The topic.</summary>
    public int TopicId { get; set; }
}
