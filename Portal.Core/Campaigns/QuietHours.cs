using NodaTime;

namespace Portal.Core.Campaigns;

/// <summary>
/// Quiet hours in the customer's local time: a push due inside them is moved to their end. The period runs from
/// <see cref="Start"/> (inclusive) to <see cref="End"/> (exclusive) local time; when <see cref="End"/> is earlier than
/// <see cref="Start"/> (21:00–08:00) it spans midnight. Local times are resolved in the customer's zone with NodaTime;
/// an end that falls into a daylight-saving gap is moved forward by the gap's length, one in an overlap takes the
/// earlier instant (NodaTime's lenient resolver, <c>DateTimeZone.AtLeniently</c>).
/// </summary>
/// <param name="Start">Local start, e.g. 21:00.</param>
/// <param name="End">Local end, e.g. 08:00.</param>
public readonly record struct QuietHours(TimeOnly Start, TimeOnly End)
{
    /// <summary>True when local time <paramref name="t"/> is inside the quiet period.</summary>
    public bool Contains(TimeOnly t) => Start == End ? false
        : Start < End ? t >= Start && t < End
        : t >= Start || t < End;

    /// <summary>
    /// The earliest delivery time at or after <paramref name="utc"/> outside the quiet hours of <paramref name="zone"/>:
    /// <paramref name="utc"/> itself when its local time is outside them, else the instant the period ends.
    /// </summary>
    /// <param name="utc">Due time (UTC; <see cref="DateTimeKind.Unspecified"/> is read as UTC).</param>
    /// <param name="zone">The customer's zone.</param>
    /// <returns>A UTC time (<see cref="DateTimeKind.Utc"/>).</returns>
    public DateTime Defer(DateTime utc, DateTimeZone zone)
    {
        var instant = Instant.FromDateTimeUtc(DateTime.SpecifyKind(utc, DateTimeKind.Utc));
        var local = instant.InZone(zone).LocalDateTime;
        var time = TimeOnly.FromTimeSpan(TimeSpan.FromTicks(local.TimeOfDay.TickOfDay));
        if (!Contains(time)) return instant.ToDateTimeUtc();
        var endTime = new LocalTime(End.Hour, End.Minute, End.Second);
        // Before midnight in a period that spans it, the period ends tomorrow.
        var endDate = Start > End && time >= Start ? local.Date.PlusDays(1) : local.Date;
        var end = zone.AtLeniently(endDate + endTime).ToInstant();
        return (end > instant ? end : instant).ToDateTimeUtc();
    }
}

/// <summary>
/// Per-customer frequency caps counted across all campaigns: a customer may get a push at time d when the pushes
/// already stored for them (status pending or delivered) with a delivery time in (d − 24 h, d] number fewer than the
/// daily cap, and those in (d − 7 days, d] fewer than the weekly cap (the new push is the one that would reach the cap).
/// </summary>
/// <param name="PerDay">Daily cap (null: none).</param>
/// <param name="PerWeek">Weekly cap (null: none).</param>
public readonly record struct FrequencyCap(int? PerDay, int? PerWeek)
{
    /// <summary>The daily window.</summary>
    public static readonly TimeSpan Day = TimeSpan.FromHours(24);
    /// <summary>The weekly window.</summary>
    public static readonly TimeSpan Week = TimeSpan.FromDays(7);

    /// <summary>True when one more push at <paramref name="deliverAt"/> would exceed a cap.</summary>
    /// <param name="deliverAt">The new push's delivery time (UTC, after quiet hours).</param>
    /// <param name="earlier">Delivery times (NotBefore, UTC) of the customer's pending and delivered pushes, any order.</param>
    public bool IsCapped(DateTime deliverAt, IEnumerable<DateTime> earlier)
    {
        if (PerDay is null && PerWeek is null) return false;
        int day = 0, week = 0;
        foreach (var t in earlier)
        {
            if (t > deliverAt) continue;
            if (t > deliverAt - Day) day++;
            if (t > deliverAt - Week) week++;
        }
        return (PerDay is { } d && day + 1 > d) || (PerWeek is { } w && week + 1 > w);
    }
}
