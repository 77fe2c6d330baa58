using System.Globalization;
using Microsoft.Extensions.Localization;
using Portal.Client.Resources;
using Portal.Core.Campaigns;
using Portal.Client.Components;

namespace Portal.Client.Pages.Campaigns;

/// <summary>Display texts of campaign settings in the current UI language.</summary>
public static class CampaignText
{
    /// <summary>"Once at 2026-01-15 10:00 UTC" or "Cron 0 9 * * 1 (UTC)".</summary>
    /// <param name="l">The localiser.</param>
    /// <param name="c">The campaign.</param>
    public static string Schedule(IStringLocalizer<UiText> l, Campaign c) => c.ScheduleKind == ScheduleKind.Once
        ? l["Campaigns.ScheduleOnceAt", Format.Date(c.RunAt)]
        : l["Campaigns.ScheduleCronIs", c.Cron ?? ""];

    /// <summary>The audience in words: the list's file and size, or the tier criteria ("all customers" without any).</summary>
    /// <param name="l">The localiser.</param>
    /// <param name="a">The audience.</param>
    /// <param name="topicName">Topic id → name.</param>
    public static string Audience(IStringLocalizer<UiText> l, CampaignAudience a, Func<int, string> topicName)
    {
        if (a.Kind == AudienceKind.UploadedList) return l["Campaigns.AudienceListIs", a.ListFileName ?? "", Format.Count(a.CustomerIds.Count)];
        var parts = new List<string>();
        if (a.Segments.Count > 0) parts.Add(l["Campaigns.Segments"] + ": " + string.Join(", ", a.Segments.Select(s => TierText.Name(l, Portal.Core.Tiers.TierLayer.Segment, s))));
        if (a.LifecycleStages.Count > 0) parts.Add(l["Campaigns.Lifecycle"] + ": " + string.Join(", ", a.LifecycleStages.Select(s => TierText.Name(l, Portal.Core.Tiers.TierLayer.Lifecycle, s))));
        if (a.TopicIds.Count > 0) parts.Add(l["Campaigns.Topics"] + ": " + string.Join(", ", a.TopicIds.Select(topicName)));
        if (a.Clusters.Count > 0) parts.Add(l["Campaigns.Clusters"] + ": " + string.Join(", ", a.Clusters.Select(c => c.ToString(CultureInfo.InvariantCulture))));
        return parts.Count == 0 ? l["Campaigns.AudienceAll"] : string.Join(" · ", parts);
    }

    /// <summary>The product scope in words ("all products" without lists), with the price band.</summary>
    /// <param name="l">The localiser.</param>
    /// <param name="s">The scope.</param>
    /// <param name="currency">Merchant currency.</param>
    /// <param name="topicName">Topic id → name.</param>
    /// <param name="categoryName">Category id → path.</param>
    public static string Scope(IStringLocalizer<UiText> l, CampaignProductScope s, string currency, Func<int, string> topicName, Func<int, string> categoryName)
    {
        var parts = new List<string>();
        if (s.CategoryIds.Count > 0) parts.Add(l["Campaigns.Categories"] + ": " + string.Join(", ", s.CategoryIds.Select(categoryName)));
        if (s.TopicIds.Count > 0) parts.Add(l["Campaigns.ProductTopics"] + ": " + string.Join(", ", s.TopicIds.Select(topicName)));
        if (s.ProductIds.Count > 0) parts.Add(l["Campaigns.ProductIds"] + ": " + string.Join(", ", s.ProductIds));
        if (parts.Count == 0) parts.Add(l["Campaigns.ScopeAll"]);
        if (s.PriceMin is not null || s.PriceMax is not null)
            parts.Add(l["Campaigns.PriceBand", s.PriceMin?.ToString("0.##", CultureInfo.CurrentCulture) ?? "0", s.PriceMax?.ToString("0.##", CultureInfo.CurrentCulture) ?? "∞", currency]);
        return string.Join(" · ", parts);
    }
}
