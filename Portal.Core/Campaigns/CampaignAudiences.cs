using Microsoft.EntityFrameworkCore;
using Portal.Core.Data;
using Portal.Core.Tiers;

namespace Portal.Core.Campaigns;

/// <summary>A customer of a campaign's audience.</summary>
/// <param name="CustomerId">Customers.Id.</param>
/// <param name="ExternalId">The customer's source id.</param>
/// <param name="Country">Country as stored (for the local time zone), if known.</param>
public sealed record AudienceMember(int CustomerId, string ExternalId, string? Country);

/// <summary>
/// Resolves a <see cref="CampaignAudience"/> to customers. A merchant only reaches customers with at least one event on
/// its products. Tier criteria are read from the latest succeeded <see cref="SegmentationRun"/>'s
/// <see cref="CustomerTier"/> rows: a customer matches when every non-empty criterion holds (any listed value of a
/// criterion); with no criterion every customer of the merchant is in. Without a succeeded run a tier audience with
/// criteria is empty. An uploaded list resolves to its known customers.
/// </summary>
public static class CampaignAudiences
{
    /// <summary>The audience's customers, ordered by <see cref="AudienceMember.CustomerId"/>.</summary>
    /// <param name="db">The database.</param>
    /// <param name="merchantId">The campaign's merchant.</param>
    /// <param name="audience">The audience.</param>
    /// <param name="ct">Cancellation.</param>
    public static async Task<List<AudienceMember>> ResolveAsync(PortalDbContext db, int merchantId, CampaignAudience audience, CancellationToken ct)
    {
        var merchantCustomers = db.Events.Where(e => e.Product!.MerchantId == merchantId).Select(e => e.CustomerId).Distinct();
        var customers = db.Customers.AsNoTracking().Where(c => merchantCustomers.Contains(c.Id));
        if (audience.Kind == AudienceKind.UploadedList)
        {
            var listed = audience.CustomerIds;
            customers = customers.Where(c => listed.Contains(c.ExternalId));
        }
        else if (audience.Segments.Count > 0 || audience.LifecycleStages.Count > 0 || audience.TopicIds.Count > 0 || audience.Clusters.Count > 0)
        {
            var runId = await db.SegmentationRuns.Where(r => r.Status == SegmentationStatus.Succeeded).OrderByDescending(r => r.Id).Select(r => (int?)r.Id).FirstOrDefaultAsync(ct);
            if (runId is null) return [];
            var rows = db.CustomerTiers.Where(t => t.SegmentationRunId == runId);
            if (audience.Segments.Count > 0)
            {
                var segments = audience.Segments;
                var none = segments.Contains(SegmentationService.None);
                rows = rows.Where(t => (t.Segment != null && segments.Contains(t.Segment)) || (none && t.Segment == null));
            }
            if (audience.LifecycleStages.Count > 0) { var stages = audience.LifecycleStages; rows = rows.Where(t => stages.Contains(t.Lifecycle)); }
            if (audience.TopicIds.Count > 0) { var topics = audience.TopicIds; rows = rows.Where(t => t.TopicId != null && topics.Contains(t.TopicId.Value)); }
            if (audience.Clusters.Count > 0) { var clusters = audience.Clusters; rows = rows.Where(t => clusters.Contains(t.Cluster)); }
            var ids = rows.Select(t => t.CustomerId);
            customers = customers.Where(c => ids.Contains(c.Id));
        }
        return await customers.OrderBy(c => c.Id).Select(c => new AudienceMember(c.Id, c.ExternalId, c.Country)).ToListAsync(ct);
    }
}
