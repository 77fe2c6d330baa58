using System.Collections.Frozen;
using System.Globalization;
using NodaTime;
using NodaTime.TimeZones;

namespace Portal.Core.Campaigns;

/// <summary>
/// A customer's local time zone from the free-text country of the behaviour log (<see cref="Customers.Customer.Country"/>):
/// the English country name is mapped to an ISO 3166-1 alpha-2 code through <see cref="RegionInfo"/> over every
/// specific culture of <see cref="CultureInfo"/> (ICU data), plus a small alias table for the UCI file's own spellings
/// (<c>EIRE</c>, <c>RSA</c>, <c>USA</c>, <c>Channel Islands</c>, <c>Czech Republic</c>, <c>Hong Kong</c>); the code is
/// mapped to an IANA zone with NodaTime's TZDB <see cref="TzdbDateTimeZoneSource.ZoneLocations"/> (zone.tab). A country
/// with several zones takes the zone of its most populous region where <see cref="PopulousZones"/> names one (the
/// United States → America/New_York, Australia → Australia/Sydney, ...), else the first zone zone.tab lists for it.
/// Unknown or non-countries (<c>Unspecified</c>, <c>European Community</c>) → null: callers use the merchant's zone.
/// </summary>
public static class CountryTimeZones
{
    /// <summary>UCI spellings that are not an English region name (upper-cased keys).</summary>
    public static readonly IReadOnlyDictionary<string, string> Aliases = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        ["EIRE"] = "IE",
        ["RSA"] = "ZA",
        ["USA"] = "US",
        ["UK"] = "GB",
        // The Channel Islands are Jersey and Guernsey: both on Europe/London time; Jersey stands for them.
        ["Channel Islands"] = "JE",
        ["Czech Republic"] = "CZ",
        ["Hong Kong"] = "HK",
        ["Macau"] = "MO",
        ["Korea"] = "KR",
        ["South Korea"] = "KR",
        ["Russia"] = "RU",
        ["Taiwan"] = "TW",
    }.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);

    /// <summary>The zone of the most populous region for countries with several zones in zone.tab.</summary>
    public static readonly IReadOnlyDictionary<string, string> PopulousZones = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["US"] = "America/New_York",
        ["CA"] = "America/Toronto",
        ["AU"] = "Australia/Sydney",
        ["BR"] = "America/Sao_Paulo",
        ["RU"] = "Europe/Moscow",
        ["MX"] = "America/Mexico_City",
        ["CN"] = "Asia/Shanghai",
        ["ID"] = "Asia/Jakarta",
        ["KZ"] = "Asia/Almaty",
        ["AR"] = "America/Argentina/Buenos_Aires",
        ["ES"] = "Europe/Madrid",
        ["PT"] = "Europe/Lisbon",
        ["DE"] = "Europe/Berlin",
        ["NZ"] = "Pacific/Auckland",
        ["CL"] = "America/Santiago",
        ["EC"] = "America/Guayaquil",
        ["UA"] = "Europe/Kyiv",
        ["MY"] = "Asia/Kuala_Lumpur",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    private static readonly Lazy<FrozenDictionary<string, string>> NameToCode = new(BuildNames);
    private static readonly Lazy<FrozenDictionary<string, string>> CodeToZone = new(BuildZones);

    /// <summary>ISO 3166-1 alpha-2 code of an English country name (case-insensitive), or null when unknown.</summary>
    /// <param name="country">A country as written in the data (<c>United Kingdom</c>, <c>EIRE</c>), or an ISO code.</param>
    public static string? IsoCode(string? country)
    {
        if (string.IsNullOrWhiteSpace(country)) return null;
        var name = country.Trim();
        if (Aliases.TryGetValue(name, out var alias)) return alias;
        if (NameToCode.Value.TryGetValue(name, out var code)) return code;
        return name.Length == 2 && CodeToZone.Value.ContainsKey(name.ToUpperInvariant()) ? name.ToUpperInvariant() : null;
    }

    /// <summary>IANA zone id of an ISO country code (see the class remarks for countries with several zones), or null.</summary>
    /// <param name="isoCode">ISO 3166-1 alpha-2 code.</param>
    public static string? ZoneIdOfCode(string? isoCode) =>
        isoCode is not null && CodeToZone.Value.TryGetValue(isoCode.ToUpperInvariant(), out var z) ? z : null;

    /// <summary>The customer's zone for a country as written in the data, or <paramref name="fallback"/> when the country is unknown.</summary>
    /// <param name="country">Country name (may be null).</param>
    /// <param name="fallback">The merchant's zone.</param>
    public static DateTimeZone ZoneOf(string? country, DateTimeZone fallback) =>
        ZoneIdOfCode(IsoCode(country)) is { } id && DateTimeZoneProviders.Tzdb.GetZoneOrNull(id) is { } zone ? zone : fallback;

    /// <summary>The TZDB zone with id <paramref name="zoneId"/>.</summary>
    /// <param name="zoneId">IANA id such as <c>Europe/London</c>.</param>
    /// <exception cref="ArgumentException">Not a TZDB zone id.</exception>
    public static DateTimeZone Zone(string zoneId) =>
        DateTimeZoneProviders.Tzdb.GetZoneOrNull(zoneId) ?? throw new ArgumentException($"'{zoneId}' is not a time zone id of the TZDB (e.g. Europe/London).", nameof(zoneId));

    private static FrozenDictionary<string, string> BuildNames()
    {
        var map = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var culture in CultureInfo.GetCultures(CultureTypes.SpecificCultures))
        {
            RegionInfo region;
            try { region = new RegionInfo(culture.Name); }
            catch (ArgumentException) { continue; }
            if (region.TwoLetterISORegionName.Length != 2 || !char.IsLetter(region.TwoLetterISORegionName[0])) continue;
            map.TryAdd(region.EnglishName, region.TwoLetterISORegionName);
            // ICU names some regions "Hong Kong SAR", "Macao SAR", "Czechia": the part before a qualifier helps too.
            var bare = region.EnglishName.Replace(" SAR", "", StringComparison.Ordinal).Trim();
            map.TryAdd(bare, region.TwoLetterISORegionName);
        }
        return map.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);
    }

    private static FrozenDictionary<string, string> BuildZones()
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var location in TzdbDateTimeZoneSource.Default.ZoneLocations ?? [])
            map.TryAdd(location.CountryCode, location.ZoneId);
        foreach (var (code, zone) in PopulousZones) map[code] = zone;
        return map.ToFrozenDictionary(StringComparer.Ordinal);
    }
}
