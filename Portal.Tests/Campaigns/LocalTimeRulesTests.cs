using NodaTime;
using Portal.Core.Campaigns;

namespace Portal.Tests.Campaigns;

/// <summary>Country → time zone, quiet hours across zones, midnight and DST, and frequency caps at their edges.</summary>
public class LocalTimeRulesTests
{
    private static readonly DateTimeZone London = CountryTimeZones.Zone("Europe/London");
    private static readonly QuietHours Night = new(new TimeOnly(21, 0), new TimeOnly(8, 0));

    private static DateTime Utc(int y, int mo, int d, int h, int mi = 0) => new(y, mo, d, h, mi, 0, DateTimeKind.Utc);

    [Fact]
    public void Every_country_of_the_uci_file_maps_to_a_zone_except_the_two_that_are_no_country()
    {
        // 36 of the 38 Country values of data/online_retail.csv.gz (the other two follow).
        string[] countries =
        [
            "United Kingdom", "Germany", "France", "EIRE", "Spain", "Netherlands", "Belgium", "Switzerland", "Portugal", "Australia",
            "Norway", "Italy", "Channel Islands", "Finland", "Cyprus", "Sweden", "Austria", "Denmark", "Japan", "Poland", "Israel", "USA",
            "Hong Kong", "Singapore", "Iceland", "Canada", "Greece", "Malta", "United Arab Emirates", "RSA", "Lebanon", "Lithuania", "Brazil",
            "Czech Republic", "Bahrain", "Saudi Arabia",
        ];
        foreach (var c in countries) Assert.True(CountryTimeZones.ZoneIdOfCode(CountryTimeZones.IsoCode(c)) is not null, c);
        Assert.Null(CountryTimeZones.IsoCode("Unspecified"));
        Assert.Null(CountryTimeZones.IsoCode("European Community"));
        Assert.Same(London, CountryTimeZones.ZoneOf("Unspecified", London));
        Assert.Equal("Europe/London", CountryTimeZones.ZoneOf("United Kingdom", London).Id);
        Assert.Equal("Europe/Dublin", CountryTimeZones.ZoneOf("EIRE", London).Id);
        Assert.Equal("Europe/Jersey", CountryTimeZones.ZoneOf("Channel Islands", London).Id);
        Assert.Equal("Africa/Johannesburg", CountryTimeZones.ZoneOf("RSA", London).Id);
        Assert.Equal("Asia/Hong_Kong", CountryTimeZones.ZoneOf("Hong Kong", London).Id);
        Assert.Equal("Europe/Prague", CountryTimeZones.ZoneOf("Czech Republic", London).Id);
        // Several zones: the most populous region's, not zone.tab's first (Lord Howe Island for Australia).
        Assert.Equal("Australia/Sydney", CountryTimeZones.ZoneOf("Australia", London).Id);
        Assert.Equal("America/New_York", CountryTimeZones.ZoneOf("USA", London).Id);
        Assert.Equal("Europe/Berlin", CountryTimeZones.ZoneOf("germany", London).Id);
    }

    [Fact]
    public void Quiet_hours_21_to_08_defer_a_uk_customer_but_not_an_australian_one_at_the_same_instant()
    {
        var sydney = CountryTimeZones.ZoneOf("Australia", London);
        // 15 Jan 22:00 UTC: 22:00 in London (quiet), 09:00 on the 16th in Sydney (UTC+11, summer time: not quiet).
        Assert.Equal(Utc(2026, 1, 16, 8), Night.Defer(Utc(2026, 1, 15, 22), London));
        Assert.Equal(Utc(2026, 1, 15, 22), Night.Defer(Utc(2026, 1, 15, 22), sydney));
        // 15 Jan 12:00 UTC: 23:00 in Sydney (quiet until 08:00 local on the 16th = 21:00 UTC on the 15th), noon in London.
        Assert.Equal(Utc(2026, 1, 15, 21), Night.Defer(Utc(2026, 1, 15, 12), sydney));
        Assert.Equal(Utc(2026, 1, 15, 12), Night.Defer(Utc(2026, 1, 15, 12), London));
    }

    [Fact]
    public void Quiet_hours_edges_and_midnight()
    {
        Assert.Equal(Utc(2026, 1, 15, 20, 59), Night.Defer(Utc(2026, 1, 15, 20, 59), London)); // a minute before: sent
        Assert.Equal(Utc(2026, 1, 16, 8), Night.Defer(Utc(2026, 1, 15, 21), London));         // the start is quiet
        Assert.Equal(Utc(2026, 1, 16, 8), Night.Defer(Utc(2026, 1, 16, 0), London));          // midnight: same day's 08:00
        Assert.Equal(Utc(2026, 1, 16, 8), Night.Defer(Utc(2026, 1, 16, 7, 59), London));
        Assert.Equal(Utc(2026, 1, 16, 8), Night.Defer(Utc(2026, 1, 16, 8), London));           // the end is not quiet
        // A daytime period that does not span midnight.
        var lunch = new QuietHours(new TimeOnly(12, 0), new TimeOnly(14, 0));
        Assert.Equal(Utc(2026, 1, 15, 14), lunch.Defer(Utc(2026, 1, 15, 13), London));
        Assert.Equal(Utc(2026, 1, 15, 23), lunch.Defer(Utc(2026, 1, 15, 23), London));
    }

    [Fact]
    public void Quiet_hours_on_daylight_saving_change_days()
    {
        // UK clocks go forward at 01:00 UTC on 29 March 2026: 08:00 local that morning is 07:00 UTC.
        Assert.Equal(Utc(2026, 3, 29, 7), Night.Defer(Utc(2026, 3, 28, 22), London));
        // UK clocks go back at 01:00 UTC on 25 October 2026: 08:00 local that morning is 08:00 UTC.
        Assert.Equal(Utc(2026, 10, 25, 8), Night.Defer(Utc(2026, 10, 24, 22), London));
        // An end inside the skipped hour (01:30 does not exist on 29 March) moves forward by the gap: 02:30 BST = 01:30 UTC.
        var early = new QuietHours(new TimeOnly(21, 0), new TimeOnly(1, 30));
        Assert.Equal(Utc(2026, 3, 29, 1, 30), early.Defer(Utc(2026, 3, 28, 23), London));
        // Sydney leaves summer time on 5 April 2026 (03:00 AEDT → 02:00 AEST): 08:00 that morning is 22:00 UTC on the 4th.
        var sydney = CountryTimeZones.ZoneOf("Australia", London);
        Assert.Equal(Utc(2026, 4, 4, 22), Night.Defer(Utc(2026, 4, 4, 12), sydney));
    }

    [Fact]
    public void Frequency_caps_count_the_last_24_hours_and_7_days()
    {
        var t = Utc(2026, 1, 15, 10);
        var perDay2 = new FrequencyCap(2, null);
        Assert.False(perDay2.IsCapped(t, [t.AddHours(-1)]));                  // one earlier: this one reaches the cap exactly
        Assert.True(perDay2.IsCapped(t, [t.AddHours(-1), t.AddHours(-23)])); // two earlier: over
        Assert.False(perDay2.IsCapped(t, [t.AddHours(-1), t.AddHours(-24)]));// exactly 24 h ago is outside the window
        Assert.True(perDay2.IsCapped(t, [t.AddHours(-1), t.AddHours(-24).AddSeconds(1)]));
        Assert.False(perDay2.IsCapped(t, [t.AddHours(-1), t.AddHours(5)]));  // later pushes do not count
        var perWeek2 = new FrequencyCap(null, 2);
        Assert.True(perWeek2.IsCapped(t, [t.AddDays(-6), t.AddDays(-3)]));
        Assert.False(perWeek2.IsCapped(t, [t.AddDays(-7), t.AddDays(-3)]));
        Assert.False(new FrequencyCap(null, null).IsCapped(t, Enumerable.Repeat(t, 100)));
        // Local midnight is no boundary: the window is rolling.
        Assert.True(new FrequencyCap(1, null).IsCapped(Utc(2026, 1, 16, 0, 30), [Utc(2026, 1, 15, 23, 30)]));
    }
}
