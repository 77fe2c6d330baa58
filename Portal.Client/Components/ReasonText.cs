using Microsoft.Extensions.Localization;
using Portal.Client.Resources;
using Portal.Core.Recommendation;

namespace Portal.Client.Components;

/// <summary>Turns a <see cref="PreviewReason"/> into a one-line sentence in the UI language.</summary>
public static class ReasonText
{
    /// <summary>How many past items a similar-items sentence names at most.</summary>
    public const int MaxNamedItems = 2;

    /// <summary>
    /// The sentence for <paramref name="reason"/>: <c>similar-items</c> names up to two past items
    /// ("Because you bought X and Y"), the other kinds have fixed sentences; an unknown kind is shown as is.
    /// </summary>
    /// <param name="reason">The reason from the preview service.</param>
    /// <param name="l">The UI strings.</param>
    public static string For(PreviewReason reason, IStringLocalizer<UiText> l)
    {
        switch (reason.Kind)
        {
            case "similar-items":
                var names = reason.BecauseOf.Select(b => b.ProductName).Where(n => !string.IsNullOrWhiteSpace(n))
                    .Distinct().Take(MaxNamedItems).ToList();
                return names.Count switch
                {
                    0 => l["Reason.SimilarItems.None"],
                    1 => l["Reason.SimilarItems.One", names[0]],
                    _ => l["Reason.SimilarItems.Two", names[0], names[1]],
                };
            case "repeat":
                // "Regularly" only when the customer really bought it more than once.
                var times = reason.Detail?.GetValueOrDefault("times") ?? 0;
                return times >= 2 ? l["Reason.RepeatTimes", (int)times] : l["Reason.Repeat"];
            case "sequence":
                // GRU: the recent purchases that led to the item.
                var recent = reason.BecauseOf.Select(b => b.ProductName).Where(n => !string.IsNullOrWhiteSpace(n)).Distinct().Take(MaxNamedItems).ToList();
                return recent.Count switch
                {
                    0 => l["Reason.Sequence.None"],
                    1 => l["Reason.Sequence.One", recent[0]],
                    _ => l["Reason.Sequence.Two", recent[0], recent[1]],
                };
            case "popular": return l["Reason.Popular"];
            case "popular-segment":
                // The RFM segment travels as its index in RfmSegments.All.
                var index = (int)(reason.Detail?.GetValueOrDefault("segment", -1) ?? -1);
                return index >= 0 && index < Portal.Core.Tiers.RfmSegments.All.Count
                    ? l["Reason.PopularSegment", l["Segment." + Portal.Core.Tiers.RfmSegments.All[index]]]
                    : l["Reason.Popular"];
            case "similar-users": return l["Reason.SimilarUsers"];
            case "linear": return l["Reason.Linear"];
            default: return reason.Kind;
        }
    }
}
