using System.Globalization;

namespace Portal.Client.Components;

/// <summary>Display formatting shared by the pages (dates in UTC, durations, metrics, counts), in the UI culture.</summary>
public static class Format
{
    /// <summary>A UTC time as <c>yyyy-MM-dd HH:mm</c>, or a dash.</summary>
    /// <param name="utc">The time (UTC), if any.</param>
    public static string Date(DateTime? utc) =>
        utc is null ? "—" : utc.Value.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);

    /// <summary>A UTC date as <c>yyyy-MM-dd</c>, or a dash.</summary>
    /// <param name="utc">The date (UTC), if any.</param>
    public static string Day(DateTime? utc) =>
        utc is null ? "—" : utc.Value.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>A duration in seconds as <c>850 ms</c>, <c>12.3 s</c>, <c>4 min 05 s</c> or <c>1 h 02 min</c>, or a dash.</summary>
    /// <param name="seconds">The duration in seconds, if known.</param>
    public static string Seconds(double? seconds)
    {
        if (seconds is not { } s || double.IsNaN(s)) return "—";
        if (s < 1) return $"{s * 1000:0} ms";
        if (s < 60) return $"{s:0.0} s";
        var t = TimeSpan.FromSeconds(s);
        return t.TotalHours >= 1 ? $"{(int)t.TotalHours} h {t.Minutes:00} min" : $"{t.Minutes} min {t.Seconds:00} s";
    }

    /// <summary>The time between two instants (or until now when <paramref name="end"/> is null), or a dash.</summary>
    /// <param name="start">Start (UTC).</param>
    /// <param name="end">End (UTC), null while running.</param>
    public static string Between(DateTime? start, DateTime? end) =>
        start is null ? "—" : Seconds(((end ?? DateTime.UtcNow) - start.Value).TotalSeconds);

    /// <summary>A metric value (a fraction) with four decimals, or a dash.</summary>
    /// <param name="value">The value, if present.</param>
    public static string Metric(double? value) =>
        value is null ? "—" : value.Value.ToString("0.0000", CultureInfo.CurrentCulture);

    /// <summary>A count with group separators.</summary>
    /// <param name="value">The count.</param>
    public static string Count(long value) => value.ToString("N0", CultureInfo.CurrentCulture);

    /// <summary>A money amount with two decimals (no currency sign), or a dash.</summary>
    /// <param name="value">The amount, if known.</param>
    public static string Money(decimal? value) =>
        value is null ? "—" : value.Value.ToString("N2", CultureInfo.CurrentCulture);

    /// <summary>A money amount with two decimals (no currency sign), or a dash.</summary>
    /// <param name="value">The amount, if known.</param>
    public static string Money(double? value) =>
        value is null ? "—" : value.Value.ToString("N2", CultureInfo.CurrentCulture);

    /// <summary>A fraction 0..1 as a whole percentage (<c>42%</c>).</summary>
    /// <param name="fraction">The fraction.</param>
    public static string Percent(double fraction) =>
        (Math.Clamp(fraction, 0, 1) * 100).ToString("0", CultureInfo.InvariantCulture) + "%";

    /// <summary>A quantity: whole numbers without decimals, else up to two.</summary>
    /// <param name="value">The quantity.</param>
    public static string Quantity(double value) => value.ToString("0.##", CultureInfo.CurrentCulture);
}
