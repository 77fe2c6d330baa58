using System.Globalization;
using Microsoft.Extensions.Localization;
using Portal.Client.Resources;
using Portal.Core.Tiers;

namespace Portal.Client.Components;

/// <summary>Display names of tier codes in the current UI language.</summary>
public static class TierText
{
    /// <summary>The name of tier <paramref name="code"/> of <paramref name="layer"/> (<c>none</c>: "no tier").</summary>
    /// <param name="l">The localiser.</param>
    /// <param name="layer">The layer.</param>
    /// <param name="code">Segment or lifecycle code, or cluster number as text.</param>
    public static string Name(IStringLocalizer<UiText> l, TierLayer layer, string? code) =>
        code is null or SegmentationService.None ? l["Tiers.NoTier"]
        : layer switch
        {
            TierLayer.Segment => l["Segment." + code],
            TierLayer.Lifecycle => l["Lifecycle." + code],
            _ => l["Tiers.ClusterN", code],
        };

    /// <summary>The codes of <paramref name="layer"/> in display order (clusters: 1..<paramref name="clusters"/>).</summary>
    public static IReadOnlyList<string> Codes(TierLayer layer, int clusters = 0) => layer switch
    {
        TierLayer.Segment => RfmSegments.All,
        TierLayer.Lifecycle => LifecycleStages.All,
        _ => Enumerable.Range(1, clusters).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToList(),
    };
}
