using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Portal.Client;
using Portal.Core.Dashboards;
using Portal.Core.Data;

namespace Portal.Server.Apis;

/// <summary>CSV export of the online CTR figures shown on the trends page (the same queries as the page: <see cref="OnlineCtrQueries"/>).</summary>
public static class OnlineCtrApi
{
    /// <summary>The breakdowns the export offers.</summary>
    public static readonly IReadOnlyList<string> Breakdowns = ["day", "campaign", "batch", "tier"];

    /// <summary>
    /// Maps <c>GET /api/trends/online.csv?by=day|campaign|batch|tier&amp;from=yyyy-MM-dd&amp;to=yyyy-MM-dd</c>. Columns:
    /// <c>day</c>: day, campaign_id (empty: no campaign), impressions, clicks, conversions, ctr; the others: the bucket's
    /// key (campaign_id, batch_id or tier; <c>none</c> / <c>anonymous</c> buckets), name, impressions, clicks, conversions,
    /// ctr. CTR is clicks / impressions (empty when there were no impressions). A bad date or breakdown answers 400 with
    /// a problem naming the parameter.
    /// </summary>
    /// <param name="app">The endpoint builder.</param>
    public static IEndpointRouteBuilder MapOnlineCtrApi(this IEndpointRouteBuilder app)
    {
        app.MapGet(PortalUrls.OnlineCsvRoute, async (string? by, string? from, string? to, IDbContextFactory<PortalDbContext> contexts, CancellationToken ct) =>
        {
            by ??= "day";
            if (!Breakdowns.Contains(by)) return Results.Problem($"Parameter 'by': '{by}' is not one of {string.Join(", ", Breakdowns)}.", statusCode: 400);
            if (!TrendsApi.TryDate(from, out var f)) return Results.Problem($"Parameter 'from': '{from}' is not a date (yyyy-MM-dd).", statusCode: 400);
            if (!TrendsApi.TryDate(to, out var t)) return Results.Problem($"Parameter 'to': '{to}' is not a date (yyyy-MM-dd).", statusCode: 400);
            await using var db = await contexts.CreateDbContextAsync(ct);
            if (by == "day")
            {
                var days = await OnlineCtrQueries.DailyAsync(db, f, t, null, ct);
                return TrendsApi.Csv("online-ctr-by-day.csv", csv =>
                {
                    foreach (var h in new[] { "day", "campaign_id", "impressions", "clicks", "conversions", "ctr" }) csv.WriteField(h);
                    csv.NextRecord();
                    foreach (var d in days)
                    {
                        csv.WriteField(d.Day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)); csv.WriteField(d.CampaignId);
                        Counts(csv, d.Counts);
                    }
                });
            }
            var buckets = by switch
            {
                "campaign" => await OnlineCtrQueries.ByCampaignAsync(db, f, t, null, ct),
                "batch" => await OnlineCtrQueries.ByBatchAsync(db, f, t, null, ct),
                _ => await OnlineCtrQueries.ByTierAsync(db, f, t, null, ct),
            };
            return TrendsApi.Csv($"online-ctr-by-{by}.csv", csv =>
            {
                foreach (var h in new[] { by == "tier" ? "tier" : by + "_id", "name", "impressions", "clicks", "conversions", "ctr" }) csv.WriteField(h);
                csv.NextRecord();
                foreach (var b in buckets)
                {
                    csv.WriteField(b.Key); csv.WriteField(b.Name);
                    Counts(csv, b.Counts);
                }
            });
        }).WithName("ExportOnlineCtr");
        return app;
    }

    private static void Counts(CsvHelper.CsvWriter csv, OnlineCounts c)
    {
        csv.WriteField(c.Impressions); csv.WriteField(c.Clicks); csv.WriteField(c.Conversions);
        csv.WriteField(c.Ctr?.ToString("R", CultureInfo.InvariantCulture));
        csv.NextRecord();
    }
}
