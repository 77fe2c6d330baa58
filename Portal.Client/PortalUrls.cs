namespace Portal.Client;

/// <summary>URLs the pages link to that the server maps as minimal APIs (Portal.Server/Apis), kept in one place.</summary>
public static class PortalUrls
{
    /// <summary>Route template of the culture switch endpoint.</summary>
    public const string CultureSet = "/culture/set";

    /// <summary>Route template of the rejected-rows download of one import.</summary>
    public const string RejectionsCsvTemplate = "/api/imports/{id:int}/rejections.csv";

    /// <summary>The download URL of an import's rejected rows (CSV).</summary>
    /// <param name="importRunId">The import run.</param>
    public static string RejectionsCsv(int importRunId) => $"/api/imports/{importRunId}/rejections.csv";

    /// <summary>The culture switch URL that comes back to <paramref name="redirectUri"/>.</summary>
    /// <param name="culture">Culture name (<c>en</c>, <c>zh-CN</c>).</param>
    /// <param name="redirectUri">Local path to return to.</param>
    public static string SetCulture(string culture, string redirectUri) =>
        $"{CultureSet}?culture={Uri.EscapeDataString(culture)}&redirectUri={Uri.EscapeDataString(redirectUri)}";

    /// <summary>Route of the replayed backtest figures as CSV.</summary>
    public const string ReplayedCsvRoute = "/api/trends/replayed.csv";

    /// <summary>Route of the offline metrics across training runs as CSV.</summary>
    public const string OfflineCsvRoute = "/api/trends/offline.csv";

    /// <summary>The download URL of the replayed weekly figures shown on the trends page.</summary>
    /// <param name="from">Earliest week start (UTC date), or null.</param>
    /// <param name="to">Latest week start (UTC date), or null.</param>
    /// <param name="models">The models shown (empty: all).</param>
    public static string ReplayedCsv(DateTime? from, DateTime? to, IEnumerable<string> models)
    {
        var query = new List<string>();
        if (from is { } f) query.Add("from=" + f.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
        if (to is { } t) query.Add("to=" + t.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
        var m = string.Join(',', models);
        if (m.Length > 0) query.Add("models=" + Uri.EscapeDataString(m));
        return query.Count == 0 ? ReplayedCsvRoute : ReplayedCsvRoute + "?" + string.Join('&', query);
    }

    /// <summary>The download URL of one offline metric across training runs.</summary>
    /// <param name="task"><c>all</c> or <c>novel</c>.</param>
    /// <param name="metric">Metric key (<c>ndcg@20</c>, ...).</param>
    public static string OfflineCsv(string task, string metric) =>
        $"{OfflineCsvRoute}?task={Uri.EscapeDataString(task)}&metric={Uri.EscapeDataString(metric)}";
    /// <summary>Route of the audience CSV export (the customers list's filters as query parameters).</summary>
    public const string AudienceCsvRoute = "/api/tiers/audience.csv";

    /// <summary>The audience CSV URL for the given filters (null: not filtered).</summary>
    /// <param name="segment">RFM segment code.</param>
    /// <param name="lifecycle">Lifecycle stage code.</param>
    /// <param name="topicId">Interest topic id.</param>
    /// <param name="cluster">Interest cluster number.</param>
    public static string AudienceCsv(string? segment, string? lifecycle, int? topicId, int? cluster)
    {
        var q = new List<string>();
        if (segment is not null) q.Add("segment=" + Uri.EscapeDataString(segment));
        if (lifecycle is not null) q.Add("lifecycle=" + Uri.EscapeDataString(lifecycle));
        if (topicId is not null) q.Add("topic=" + topicId.Value.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (cluster is not null) q.Add("cluster=" + cluster.Value.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return q.Count == 0 ? AudienceCsvRoute : AudienceCsvRoute + "?" + string.Join('&', q);
    }

    /// <summary>Route of the login page (static server rendering).</summary>
    public const string LoginRoute = "/Account/Login";

    /// <summary>Route of the logout endpoint (form POST with an antiforgery token).</summary>
    public const string LogoutRoute = "/Account/Logout";

    /// <summary>The login page URL that returns to <paramref name="returnUrl"/> (a local path) after signing in.</summary>
    /// <param name="returnUrl">Local path to return to; null or <c>/</c> for the dashboard.</param>
    public static string Login(string? returnUrl) =>
        string.IsNullOrEmpty(returnUrl) || returnUrl == "/" ? LoginRoute : $"{LoginRoute}?ReturnUrl={Uri.EscapeDataString(returnUrl)}";

    /// <summary>True when <paramref name="uri"/> is a local path (starts with one <c>/</c>, not <c>//</c> or <c>/\</c>): safe to redirect to.</summary>
    /// <param name="uri">A candidate return URL.</param>
    public static bool IsLocalPath(string? uri) =>
        !string.IsNullOrEmpty(uri) && uri[0] == '/' && (uri.Length == 1 || (uri[1] != '/' && uri[1] != '\\'))
        // Browsers drop tabs and line breaks, so "/\t/evil.com" would become "//evil.com": no control characters at all.
        && !uri.Any(char.IsControl);

    /// <summary>Route of the audit log page (admins).</summary>
    public const string AuditLogRoute = "/admin/audit";
    /// <summary>Route of the online CTR figures as CSV (<c>by=day|campaign|batch|tier</c>, optional <c>from</c>/<c>to</c>).</summary>
    public const string OnlineCsvRoute = "/api/trends/online.csv";

    /// <summary>The download URL of the online CTR figures behind one chart or table of the trends page.</summary>
    /// <param name="by"><c>day</c> (per day and campaign), <c>campaign</c>, <c>batch</c> or <c>tier</c>.</param>
    /// <param name="from">First day (UTC date), or null.</param>
    /// <param name="to">Last day (UTC date), or null.</param>
    public static string OnlineCsv(string by, DateTime? from, DateTime? to)
    {
        var query = new List<string> { "by=" + Uri.EscapeDataString(by) };
        if (from is { } f) query.Add("from=" + f.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
        if (to is { } t) query.Add("to=" + t.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
        return OnlineCsvRoute + "?" + string.Join('&', query);
    }
}
