using System.Text.Json;
using Portal.Core.PushLists;

namespace Portal.Core.PushBatches;

/// <summary>
/// Computes a <see cref="PushBatchSummary"/> from a batch's stored pushes (never from the ranking's intermediate
/// numbers), and reads and writes <see cref="PushBatch.SummaryJson"/>.
/// </summary>
public static class PushBatchSummaries
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Pushes shown in <see cref="PushBatchSummary.SampleLists"/>.</summary>
    public const int SampleSize = 5;

    /// <summary>Segment name used for customers without an RFM segment (no purchases, or no segmentation run).</summary>
    public const string NoSegment = "none";

    /// <summary>The summary of a batch.</summary>
    /// <param name="batch">The batch (its <see cref="PushBatch.ScheduledFor"/> tells deferred pushes).</param>
    /// <param name="pushes">Its stored pushes with each customer's external id and RFM segment (null: none).</param>
    /// <param name="audienceSize">Customers in the audience at build time.</param>
    /// <param name="cappedCustomers">Customers left out by the frequency caps.</param>
    /// <param name="scopeSize">Available products in the campaign's scope (the coverage denominator).</param>
    /// <param name="similarity">Similarity (cosine of item vectors, or 1/0 for the same/another interest topic) of two pushed products by external id.</param>
    /// <param name="predictedCtr">Mean click probability of the pushed items under the active CTR model, null without one.</param>
    /// <remarks>
    /// Coverage = distinct pushed products ÷ <paramref name="scopeSize"/> (Ge, Delgado-Battenfeld and Jannach, RecSys 2010);
    /// intra-list diversity = mean over lists of the mean pairwise 1 − similarity within the list (Ziegler et al., WWW 2005),
    /// lists of one item left out; deferred = pushes whose NotBefore is after the scheduled time.
    /// </remarks>
    public static PushBatchSummary Compute(PushBatch batch, IReadOnlyList<(PushMessage Push, string CustomerExternalId, string? Segment)> pushes,
        int audienceSize, int cappedCustomers, int scopeSize, Func<string, string, double> similarity, double? predictedCtr)
    {
        var lists = pushes.Select(p => (p.Push, p.CustomerExternalId, p.Segment, Items: PushMessageItem.FromJson(p.Push.ItemsJson))).ToList();
        var distinct = lists.SelectMany(l => l.Items.Select(i => i.ExternalId)).ToHashSet(StringComparer.Ordinal).Count;
        var diversities = lists.Where(l => l.Items.Count > 1)
            .Select(l => Mmr.IntraListDiversity(l.Items.Count, (a, b) => similarity(l.Items[a].ExternalId, l.Items[b].ExternalId))).ToList();
        return new PushBatchSummary
        {
            AudienceSize = audienceSize,
            Pushes = lists.Count,
            ItemsPushed = lists.Sum(l => l.Items.Count),
            CappedCustomers = cappedCustomers,
            DeferredByQuietHours = lists.Count(l => l.Push.NotBefore > batch.ScheduledFor),
            PredictedCtr = predictedCtr,
            Coverage = scopeSize == 0 ? 0 : Math.Min(1, (double)distinct / scopeSize),
            IntraListDiversity = diversities.Count == 0 ? 0 : diversities.Average(),
            PushesBySegment = lists.GroupBy(l => l.Segment ?? NoSegment).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => g.Count()),
            SampleLists = lists.OrderBy(l => l.Push.CustomerId).Take(SampleSize)
                .Select(l => new PushBatchSampleList(l.CustomerExternalId, l.Items.Select(i => new PushBatchSampleItem(i.ExternalId, i.Name, i.Score, i.Reason)).ToList()))
                .ToList(),
        };
    }

    /// <summary>The JSON of <see cref="PushBatch.SummaryJson"/>.</summary>
    /// <param name="summary">The summary.</param>
    public static string ToJson(PushBatchSummary summary) => JsonSerializer.Serialize(summary, Json);

    /// <summary>Reads <see cref="PushBatch.SummaryJson"/>; null for null.</summary>
    /// <param name="json">The stored JSON.</param>
    /// <exception cref="JsonException">Not a summary.</exception>
    public static PushBatchSummary? FromJson(string? json) => json is null ? null : JsonSerializer.Deserialize<PushBatchSummary>(json, Json);
}
