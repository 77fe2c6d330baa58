namespace Portal.Core.PushLists;

/// <summary>
/// Business rules applied to a push list before ranking: every excluded item is removed from the candidates, so the
/// list is filled from what remains. Item ids are the model's item ids (for store data <c>merchant/StockCode</c>).
/// </summary>
public sealed record PushRules
{
    /// <summary>Rules that exclude nothing.</summary>
    public static PushRules None { get; } = new();

    /// <summary>Items that may be pushed at all (a campaign's product scope); null = every item.</summary>
    public IReadOnlySet<string>? CampaignScope { get; init; }
    /// <summary>Items that must not be pushed to this user (per-user exclusions).</summary>
    public IReadOnlySet<string> UserExclusions { get; init; } = new HashSet<string>();
    /// <summary>Items not available (out of stock, withdrawn, or charges such as postage).</summary>
    public IReadOnlySet<string> Unavailable { get; init; } = new HashSet<string>();
    /// <summary>Items pushed to this user within the last <see cref="RecentlyPushedDays"/> days (from <see cref="IRecentlyPushed"/>).</summary>
    public IReadOnlySet<string> RecentlyPushed { get; init; } = new HashSet<string>();
    /// <summary>The window of <see cref="RecentlyPushed"/>, days (recorded; the set is already for that window).</summary>
    public int RecentlyPushedDays { get; init; } = 14;
    /// <summary>Lowest unit price that may be pushed (inclusive); null = no floor.</summary>
    public decimal? PriceFloor { get; init; }
    /// <summary>Highest unit price that may be pushed (inclusive); null = no ceiling.</summary>
    public decimal? PriceCeiling { get; init; }
    /// <summary>Unit price per item for the price rules; an item without a price passes them.</summary>
    public IReadOnlyDictionary<string, decimal>? Prices { get; init; }

    /// <summary>Why <paramref name="itemId"/> may not be pushed, or null when it may.</summary>
    /// <returns><c>scope</c>, <c>excluded</c>, <c>unavailable</c>, <c>recently-pushed</c>, <c>price-floor</c>, <c>price-ceiling</c>, or null.</returns>
    public string? Violation(string itemId)
    {
        if (CampaignScope is not null && !CampaignScope.Contains(itemId)) return "scope";
        if (UserExclusions.Contains(itemId)) return "excluded";
        if (Unavailable.Contains(itemId)) return "unavailable";
        if (RecentlyPushed.Contains(itemId)) return "recently-pushed";
        if (Prices is not null && Prices.TryGetValue(itemId, out var price))
        {
            if (PriceFloor is { } floor && price < floor) return "price-floor";
            if (PriceCeiling is { } ceiling && price > ceiling) return "price-ceiling";
        }
        return null;
    }

    /// <summary>The mask of allowed items over <paramref name="items"/> (dense item id order), or null when nothing is excluded.</summary>
    /// <param name="items">Item ids by dense id.</param>
    /// <exception cref="ArgumentException">The floor is above the ceiling.</exception>
    public bool[]? AllowedMask(IReadOnlyList<string> items)
    {
        if (PriceFloor is { } f && PriceCeiling is { } c && f > c) throw new ArgumentException($"Price floor {f} is above the price ceiling {c}.");
        if (CampaignScope is null && UserExclusions.Count == 0 && Unavailable.Count == 0 && RecentlyPushed.Count == 0 && PriceFloor is null && PriceCeiling is null) return null;
        var mask = new bool[items.Count];
        for (var i = 0; i < mask.Length; i++) mask[i] = Violation(items[i]) is null;
        return mask;
    }
}

/// <summary>
/// Which items a customer was pushed recently (the "already pushed in the last N days" rule). Registered:
/// <see cref="PushBatches.RecentlyPushedItems"/>, which reads the delivered pushes of the outbox.
/// </summary>
public interface IRecentlyPushed
{
    /// <summary>The item ids pushed to <paramref name="customerId"/> within the last <paramref name="days"/> days.</summary>
    /// <param name="customerId">The customer's source id.</param>
    /// <param name="days">Window in days (≥ 0).</param>
    /// <param name="ct">Cancellation.</param>
    Task<IReadOnlySet<string>> ItemsPushedAsync(string customerId, int days, CancellationToken ct = default);
}
