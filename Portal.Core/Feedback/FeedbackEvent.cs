using Portal.Core.Access;
using Portal.Core.Catalog;
using Portal.Core.Customers;

namespace Portal.Core.Feedback;

/// <summary>What a feedback event records about one shown item (the labels of CTR models).</summary>
public enum FeedbackKind
{
    /// <summary>The item was shown to a user at a slot position (one row per item shown).</summary>
    Impression,
    /// <summary>The user clicked a shown item (stored beside its impression, with the same position and context).</summary>
    Click,
    /// <summary>The user bought after the click (attributed to the impression).</summary>
    Conversion,
}

/// <summary>
/// One impression, click or conversion of a recommended item: the feedback loop of the push pipeline and the labelled
/// data of CTR models (click-through rate = clicks / impressions). A logged click is stored as two rows, the
/// <see cref="FeedbackKind.Impression"/> and the <see cref="FeedbackKind.Click"/>, so that impressions alone count
/// exposures. Imported from Open Bandit logs (<see cref="Portal.Core.Data.Sources.OpenBanditReader"/>) or written by
/// delivery later.
/// </summary>
public class FeedbackEvent : IMerchantOwned
{
    /// <summary>Database key.</summary>
    public long Id { get; set; }
    /// <summary>Impression, click or conversion.</summary>
    public FeedbackKind Kind { get; set; }
    /// <summary>The merchant whose item was shown (Open Bandit: <c>zozotown</c>).</summary>
    public int MerchantId { get; set; }
    /// <summary>The merchant (navigation).</summary>
    public Merchant? Merchant { get; set; }
    /// <summary>The customer, when known; null for anonymous logs (Open Bandit has only hashed user features, kept in <see cref="ContextJson"/>).</summary>
    public int? CustomerId { get; set; }
    /// <summary>The customer (navigation).</summary>
    public Customer? Customer { get; set; }
    /// <summary>The item shown.</summary>
    public int ProductId { get; set; }
    /// <summary>The item (navigation).</summary>
    public Product? Product { get; set; }
    /// <summary>Slot position in the shown list, 1-based (Open Bandit: 1 left, 2 centre, 3 right); null when unknown.</summary>
    public int? Position { get; set; }
    /// <summary>When the item was shown (or clicked), UTC.</summary>
    public DateTime Timestamp { get; set; }
    /// <summary>Probability that the logging policy chose this item at this position (Open Bandit <c>propensity_score</c>), for off-policy evaluation; null when unknown.</summary>
    public double? Propensity { get; set; }
    /// <summary>The campaign that caused the impression, when any (filled by the campaigns work).</summary>
    public int? CampaignId { get; set; }
    /// <summary>The push batch that caused the impression, when any.</summary>
    public int? BatchId { get; set; }
    /// <summary>
    /// Logged context as a JSON object of feature name to value (strings for categorical features, numbers for numeric
    /// ones), for example <c>{"user_feature_0":"81ce…","user-item_affinity_3":0.0}</c>; null when none was logged.
    /// </summary>
    public string? ContextJson { get; set; }
    /// <summary>
    /// The <see cref="DedupKey"/> of the impression this event belongs to: its own key for an impression, the shown
    /// impression's key for a click or conversion (the CTR label join: an impression is positive when a click shares its key).
    /// </summary>
    public required string ImpressionKey { get; set; }
    /// <summary>The import that stored this event, null for events written by the portal itself.</summary>
    public int? ImportRunId { get; set; }
    /// <summary>Row of the source file (1 = header), ordering events of equal timestamp.</summary>
    public long SourceLine { get; set; }
    /// <summary>Identity of the event in its source, unique: a second import of the same file adds nothing.</summary>
    public required string DedupKey { get; set; }
}
