using System.Text;
using Portal.Client;
using Portal.Core.Tiers;

namespace Portal.Server.Apis;

/// <summary>Endpoints of the tiers and customers pages that return files.</summary>
public static class TiersApi
{
    /// <summary>
    /// Maps <c>GET /api/tiers/audience.csv?segment=&amp;lifecycle=&amp;topic=&amp;cluster=</c>: the customers of the
    /// latest tiers run that the filters select, as CSV (UTF-8 with BOM), written by
    /// <see cref="SegmentationService.WriteAudienceCsvAsync"/>. 400 for an unknown segment or lifecycle code.
    /// </summary>
    /// <param name="app">The endpoint builder.</param>
    public static IEndpointRouteBuilder MapTiersApi(this IEndpointRouteBuilder app)
    {
        app.MapGet(PortalUrls.AudienceCsvRoute, (string? segment, string? lifecycle, int? topic, int? cluster, SegmentationService service, CancellationToken ct) =>
        {
            if (segment is not null && segment != SegmentationService.None && !RfmSegments.All.Contains(segment))
                return Results.BadRequest($"Query parameter segment: '{segment}' is not one of {string.Join(", ", RfmSegments.All)}, none.");
            if (lifecycle is not null && !LifecycleStages.All.Contains(lifecycle))
                return Results.BadRequest($"Query parameter lifecycle: '{lifecycle}' is not one of {string.Join(", ", LifecycleStages.All)}.");
            var filter = new AudienceFilter(segment, lifecycle, topic, cluster);
            return Results.Stream(async body =>
            {
                await using var writer = new StreamWriter(body, new UTF8Encoding(encoderShouldEmitUTF8Identifier: true));
                await service.WriteAudienceCsvAsync(filter, writer, ct);
            }, "text/csv; charset=utf-8", "audience.csv");
        }).WithName("DownloadAudience");
        return app;
    }
}
