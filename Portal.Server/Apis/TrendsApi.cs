using System.Globalization;
using System.Text;
using CsvHelper;
using Microsoft.EntityFrameworkCore;
using Portal.Client;
using Portal.Core.Dashboards;
using Portal.Core.Data;

namespace Portal.Server.Apis;

/// <summary>CSV exports of the data behind the trends page's charts (the same queries as the page).</summary>
public static class TrendsApi
{
    /// <summary>
    /// Maps <c>GET /api/trends/replayed.csv?from=yyyy-MM-dd&amp;to=yyyy-MM-dd&amp;models=a,b</c> (weekly replayed figures of
    /// the latest backtest; columns model, week_start, replayed_ctr, recall_at_k, pushes, replayed_clicks, buyers,
    /// pushed_customers, train_events) and <c>GET /api/trends/offline.csv?task=all&amp;metric=ndcg@20</c> (one metric of
    /// every succeeded training run; columns model, version, finished_at_utc, task, metric, value). A bad date or an
    /// unknown task answers 400 with a problem naming the parameter.
    /// </summary>
    /// <param name="app">The endpoint builder.</param>
    public static IEndpointRouteBuilder MapTrendsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet(PortalUrls.ReplayedCsvRoute, async (string? from, string? to, string? models, IDbContextFactory<PortalDbContext> contexts, CancellationToken ct) =>
        {
            if (!TryDate(from, out var f)) return Results.Problem($"Parameter 'from': '{from}' is not a date (yyyy-MM-dd).", statusCode: 400);
            if (!TryDate(to, out var t)) return Results.Problem($"Parameter 'to': '{to}' is not a date (yyyy-MM-dd).", statusCode: 400);
            var names = models?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            await using var db = await contexts.CreateDbContextAsync(ct);
            var weeks = await TrendQueries.ReplayedWeeksAsync(db, f, t, names, ct);
            return Csv("replayed-backtest.csv", csv =>
            {
                foreach (var h in new[] { "model", "week_start", "replayed_ctr", "recall_at_k", "pushes", "replayed_clicks", "buyers", "pushed_customers", "train_events" }) csv.WriteField(h);
                csv.NextRecord();
                foreach (var w in weeks)
                {
                    csv.WriteField(w.Model); csv.WriteField(w.WeekStart.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
                    csv.WriteField(w.ReplayedCtr); csv.WriteField(w.RecallAtK); csv.WriteField(w.Pushes); csv.WriteField(w.ReplayedClicks);
                    csv.WriteField(w.Buyers); csv.WriteField(w.PushedCustomers); csv.WriteField(w.TrainEvents);
                    csv.NextRecord();
                }
            });
        }).WithName("ExportReplayedBacktest");

        app.MapGet(PortalUrls.OfflineCsvRoute, async (string? task, string? metric, IDbContextFactory<PortalDbContext> contexts, CancellationToken ct) =>
        {
            task ??= "all";
            metric ??= "ndcg@20";
            if (task is not ("all" or "novel")) return Results.Problem($"Parameter 'task': '{task}' is not 'all' or 'novel'.", statusCode: 400);
            if (!TrendQueries.OfflineMetrics.Contains(metric))
                return Results.Problem($"Parameter 'metric': '{metric}' is not one of {string.Join(", ", TrendQueries.OfflineMetrics)}.", statusCode: 400);
            await using var db = await contexts.CreateDbContextAsync(ct);
            var points = await TrendQueries.OfflineHistoryAsync(db, task, metric, ct);
            return Csv($"offline-{task}-{metric.Replace('@', '-')}.csv", csv =>
            {
                foreach (var h in new[] { "model", "version", "finished_at_utc", "task", "metric", "value" }) csv.WriteField(h);
                csv.NextRecord();
                foreach (var p in points)
                {
                    csv.WriteField(p.Model); csv.WriteField(p.Version); csv.WriteField(p.FinishedAt.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture));
                    csv.WriteField(p.Task); csv.WriteField(p.Metric); csv.WriteField(p.Value);
                    csv.NextRecord();
                }
            });
        }).WithName("ExportOfflineMetrics");
        return app;
    }

    /// <summary>Parses an optional <c>yyyy-MM-dd</c> query value as a UTC date (empty: null); false when it is not a date.</summary>
    internal static bool TryDate(string? text, out DateTime? date)
    {
        date = null;
        if (string.IsNullOrEmpty(text)) return true;
        if (!DateTime.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var d)) return false;
        date = DateTime.SpecifyKind(d, DateTimeKind.Utc);
        return true;
    }

    /// <summary>A UTF-8 (with BOM) CSV download written by <paramref name="write"/>.</summary>
    internal static IResult Csv(string fileName, Action<CsvWriter> write)
    {
        using var text = new StringWriter(CultureInfo.InvariantCulture);
        using (var csv = new CsvWriter(text, CultureInfo.InvariantCulture)) write(csv);
        return Results.File(new UTF8Encoding(true).GetBytes(text.ToString()), "text/csv; charset=utf-8", fileName);
    }
}
