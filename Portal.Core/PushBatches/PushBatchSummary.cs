namespace Portal.Core.PushBatches;

/// <summary>
/// What an approver sees of a batch before approving it; stored as <see cref="PushBatch.SummaryJson"/>.
/// </summary>
public sealed record PushBatchSummary
{
    /// <summary>Customers in the campaign's target audience at build time.</summary>
    public int AudienceSize { get; init; }

    /// <summary>Customers who get a push (audience minus capped, opted-out and empty lists).</summary>
    public int Pushes { get; init; }

    /// <summary>Items over all pushes.</summary>
    public int ItemsPushed { get; init; }

    /// <summary>Customers left out by the per-day or per-week frequency cap.</summary>
    public int CappedCustomers { get; init; }

    /// <summary>Pushes whose delivery was moved past the customer's local quiet hours.</summary>
    public int DeferredByQuietHours { get; init; }

    /// <summary>Mean predicted click probability of the pushed items under the active CTR model; null when no CTR model is active.</summary>
    public double? PredictedCtr { get; init; }

    /// <summary>Catalogue coverage: distinct pushed items ÷ items in the campaign's product scope (0–1).</summary>
    public double Coverage { get; init; }

    /// <summary>Mean intra-list diversity (mean pairwise 1 − cosine of item vectors within a list, 0–1).</summary>
    public double IntraListDiversity { get; init; }

    /// <summary>Pushes per RFM segment (segment name → count).</summary>
    public IReadOnlyDictionary<string, int> PushesBySegment { get; init; } = new Dictionary<string, int>();

    /// <summary>A few customers' lists, for a look before approval.</summary>
    public IReadOnlyList<PushBatchSampleList> SampleLists { get; init; } = [];
}

/// <summary>One sample customer's list in a <see cref="PushBatchSummary"/>.</summary>
/// <param name="CustomerExternalId">The customer's id in the merchant's data.</param>
/// <param name="Items">The list in rank order.</param>
public sealed record PushBatchSampleList(string CustomerExternalId, IReadOnlyList<PushBatchSampleItem> Items);

/// <summary>One item of a <see cref="PushBatchSampleList"/>.</summary>
/// <param name="ProductExternalId">Product id in the merchant's data.</param>
/// <param name="Name">Product name.</param>
/// <param name="Score">Final ranking score (CTR probability where a ranker is active).</param>
/// <param name="Reason">One-line reason in English (the UI localises from the channel).</param>
public sealed record PushBatchSampleItem(string ProductExternalId, string Name, double Score, string Reason);
