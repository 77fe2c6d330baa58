using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Portal.Core.Evaluation;

/// <summary>
/// One model's result on the offline protocol, serialised exactly as the <c>evaluate --json</c> object of
/// shared/FORMATS.md (keys and order: dataset{name, sha256, events}, split{T, train_events, test_events,
/// catalogue_items, evaluated_users_all, evaluated_users_novel}, model, version, params, seed, train_seconds, all, novel).
/// </summary>
public sealed class EvaluationReport
{
    /// <summary>Dataset name (file name without extensions, or <c>store</c>).</summary>
    public required string DatasetName { get; init; }
    /// <summary>SHA-256 of the dataset (lower-case hex).</summary>
    public required string DatasetSha256 { get; init; }
    /// <summary>Number of events after cleaning.</summary>
    public required int DatasetEvents { get; init; }
    /// <summary>The cut T (UTC).</summary>
    public required DateTime T { get; init; }
    /// <summary>Train events.</summary>
    public required int TrainEvents { get; init; }
    /// <summary>Test events.</summary>
    public required int TestEvents { get; init; }
    /// <summary>Catalogue size.</summary>
    public required int CatalogueItems { get; init; }
    /// <summary>Evaluated users, task "all".</summary>
    public required int EvaluatedUsersAll { get; init; }
    /// <summary>Evaluated users, task "novel".</summary>
    public required int EvaluatedUsersNovel { get; init; }
    /// <summary>Model name.</summary>
    public required string Model { get; init; }
    /// <summary>Model version label.</summary>
    public required string Version { get; init; }
    /// <summary>Chosen hyper-parameters per task (<c>all</c>, <c>novel</c>).</summary>
    public required IReadOnlyDictionary<string, double> ParamsAll { get; init; }
    /// <summary>Chosen hyper-parameters of the "novel" task.</summary>
    public required IReadOnlyDictionary<string, double> ParamsNovel { get; init; }
    /// <summary>Random seed.</summary>
    public required int Seed { get; init; }
    /// <summary>Wall time of the final fit(s) on the train part, seconds.</summary>
    public required double TrainSeconds { get; init; }
    /// <summary>Test metrics, task "all".</summary>
    public required TaskMetrics All { get; init; }
    /// <summary>Test metrics, task "novel".</summary>
    public required TaskMetrics Novel { get; init; }

    /// <summary>The JSON object of shared/FORMATS.md.</summary>
    public string ToJson(bool indented = false)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = indented })) WriteTo(w);
        return Encoding.UTF8.GetString(ms.ToArray());
    }

    /// <summary>A JSON array of the reports' objects (the <c>--model all</c> output).</summary>
    public static string ToJsonArray(IEnumerable<EvaluationReport> reports, bool indented = false)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = indented }))
        {
            w.WriteStartArray();
            foreach (var r in reports) r.WriteTo(w);
            w.WriteEndArray();
        }
        return Encoding.UTF8.GetString(ms.ToArray());
    }

    /// <summary>The parameters as the JSON <c>params</c> object: <c>{"all": {...}, "novel": {...}}</c>.</summary>
    public string ParamsJson()
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms)) WriteParams(w);
        return Encoding.UTF8.GetString(ms.ToArray());
    }

    /// <summary>Writes the object to <paramref name="w"/>.</summary>
    public void WriteTo(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteStartObject("dataset");
        w.WriteString("name", DatasetName);
        w.WriteString("sha256", DatasetSha256);
        w.WriteNumber("events", DatasetEvents);
        w.WriteEndObject();
        w.WriteStartObject("split");
        w.WriteString("T", T.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture));
        w.WriteNumber("train_events", TrainEvents);
        w.WriteNumber("test_events", TestEvents);
        w.WriteNumber("catalogue_items", CatalogueItems);
        w.WriteNumber("evaluated_users_all", EvaluatedUsersAll);
        w.WriteNumber("evaluated_users_novel", EvaluatedUsersNovel);
        w.WriteEndObject();
        w.WriteString("model", Model);
        w.WriteString("version", Version);
        w.WritePropertyName("params");
        WriteParams(w);
        w.WriteNumber("seed", Seed);
        w.WriteNumber("train_seconds", Math.Round(TrainSeconds, 3));
        WriteMetrics(w, "all", All);
        WriteMetrics(w, "novel", Novel);
        w.WriteEndObject();
    }

    private void WriteParams(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        foreach (var (task, ps) in new[] { ("all", ParamsAll), ("novel", ParamsNovel) })
        {
            w.WriteStartObject(task);
            foreach (var (k, v) in ps.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                if (v == Math.Floor(v) && Math.Abs(v) < 1e15) w.WriteNumber(k, (long)v);
                else w.WriteNumber(k, v);
            }
            w.WriteEndObject();
        }
        w.WriteEndObject();
    }

    private static void WriteMetrics(Utf8JsonWriter w, string name, TaskMetrics m)
    {
        w.WriteStartObject(name);
        foreach (var (k, v) in m.Named()) w.WriteNumber(k, v);
        w.WriteEndObject();
    }
}
