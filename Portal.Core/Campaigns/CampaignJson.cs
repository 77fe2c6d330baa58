using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Portal.Core.Campaigns;

/// <summary>
/// Stores a campaign's structured settings (<see cref="CampaignAudience"/>, <see cref="CampaignProductScope"/>) as
/// JSON text columns, which both providers (SQLite, SQL Server) hold as plain text.
/// </summary>
public static class CampaignJson
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    /// <summary>Serialises <paramref name="value"/>.</summary>
    /// <param name="value">The settings.</param>
    public static string Write<T>(T value) => JsonSerializer.Serialize(value, Json);

    /// <summary>Reads a stored value.</summary>
    /// <param name="json">Stored JSON.</param>
    /// <exception cref="JsonException">The text is not a <typeparamref name="T"/>.</exception>
    public static T Read<T>(string json) where T : new() => JsonSerializer.Deserialize<T>(json, Json) ?? new T();

    /// <summary>The EF Core value converter (object ⇄ JSON text).</summary>
    public static ValueConverter<T, string> Converter<T>() where T : new() => new(v => Write(v), s => Read<T>(s));

    /// <summary>The EF Core value comparer (equal when the JSON is equal; snapshots are deep copies through JSON).</summary>
    public static ValueComparer<T> Comparer<T>() where T : new() =>
        new((a, b) => Write(a) == Write(b), v => Write(v).GetHashCode(), v => Read<T>(Write(v)));
}
