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
}
