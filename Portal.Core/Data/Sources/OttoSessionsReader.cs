using System.Globalization;
using System.Text.Json;
using Portal.Core.Behavior;

namespace Portal.Core.Data.Sources;

/// <summary>
/// Reads OTTO session files as published (<c>otto-de/recsys-dataset</c>, JSON lines:
/// <c>{"session": int, "events": [{"aid": int, "ts": Unix epoch milliseconds, "type": "clicks"|"carts"|"orders"}]}</c>).
/// Each event becomes a <see cref="SourceEvent"/> with user = session id, session = session id, item = aid and type
/// click / cart / purchase; its row is the line number. A malformed line is one rejection; a bad event inside a good
/// line is rejected alone (field <c>events[i].aid</c>, <c>events[i].ts</c> or <c>events[i].type</c>).
/// </summary>
public static class OttoSessionsReader
{
    /// <summary>The top-level fields of a session line.</summary>
    public static IReadOnlyList<string> Fields { get; } = ["session", "events"];

    /// <summary>The fields of an event object.</summary>
    public static IReadOnlyList<string> EventFields { get; } = ["aid", "ts", "type"];

    /// <summary>Reads every session line and yields its events (or rejections) in file order.</summary>
    /// <param name="text">The file's text.</param>
    /// <param name="fileName">Name used in error messages.</param>
    /// <exception cref="SourceFormatException">The first line is not an OTTO session object (missing or unknown fields).</exception>
    public static IEnumerable<(SourceEvent? Event, SourceRejection? Rejection)> Read(TextReader text, string fileName)
    {
        foreach (var (row, line) in SourceFields.JsonLines(text, fileName, "OTTO sessions", Fields, Fields))
            foreach (var result in ParseLine(line, row)) yield return result;
    }

    private static List<(SourceEvent?, SourceRejection?)> ParseLine(string line, long row)
    {
        var results = new List<(SourceEvent?, SourceRejection?)>();
        JsonDocument doc;
        try { doc = JsonDocument.Parse(line); }
        catch (JsonException e)
        {
            results.Add((null, new SourceRejection(row, "(line)", SourceFields.Clip(line), $"malformed JSON: {e.Message}")));
            return results;
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                results.Add((null, new SourceRejection(row, "(line)", SourceFields.Clip(line), "a JSON object is expected on each line")));
                return results;
            }
            foreach (var p in root.EnumerateObject())
                if (!Fields.Contains(p.Name))
                {
                    results.Add((null, new SourceRejection(row, p.Name, SourceFields.Clip(p.Value.GetRawText()), "unknown field")));
                    return results;
                }
            if (!root.TryGetProperty("session", out var s) || !SourceFields.TryGetText(s, out var sessionText) || SourceFields.Clean(sessionText) is not { } session)
            {
                results.Add((null, new SourceRejection(row, "session", root.TryGetProperty("session", out var sv) ? SourceFields.Clip(sv.GetRawText()) : null,
                    "required field is empty or not a number/string")));
                return results;
            }
            if (session.Length > GenericEventsReader.MaxIdLength)
            {
                results.Add((null, new SourceRejection(row, "session", SourceFields.Clip(session), $"longer than {GenericEventsReader.MaxIdLength} characters")));
                return results;
            }
            if (!root.TryGetProperty("events", out var events) || events.ValueKind != JsonValueKind.Array)
            {
                results.Add((null, new SourceRejection(row, "events", root.TryGetProperty("events", out var ev) ? SourceFields.Clip(ev.GetRawText()) : null,
                    "required field is missing or not an array")));
                return results;
            }
            var i = 0;
            foreach (var e in events.EnumerateArray())
            {
                results.Add(ParseEvent(e, row, i, session));
                i++;
            }
        }
        return results;
    }

    private static (SourceEvent?, SourceRejection?) ParseEvent(JsonElement e, long row, int i, string session)
    {
        var prefix = $"events[{i}]";
        if (e.ValueKind != JsonValueKind.Object)
            return (null, new SourceRejection(row, prefix, SourceFields.Clip(e.GetRawText()), "an event object is expected"));
        string? Raw(string name) => e.TryGetProperty(name, out var v) ? SourceFields.Clip(v.GetRawText()) : null;
        if (!e.TryGetProperty("aid", out var aidEl) || !SourceFields.TryGetText(aidEl, out var aidText) || SourceFields.Clean(aidText) is not { } aid)
            return (null, new SourceRejection(row, prefix + ".aid", Raw("aid"), "required field is empty or not a number/string"));
        if (aid.Length > GenericEventsReader.MaxIdLength)
            return (null, new SourceRejection(row, prefix + ".aid", SourceFields.Clip(aid), $"longer than {GenericEventsReader.MaxIdLength} characters"));
        if (!e.TryGetProperty("ts", out var tsEl) || tsEl.ValueKind != JsonValueKind.Number || !tsEl.TryGetInt64(out var ms)
            || ms < 0 || ms > DateTimeOffset.MaxValue.ToUnixTimeMilliseconds())
            return (null, new SourceRejection(row, prefix + ".ts", Raw("ts"), "unparsable timestamp (expected Unix epoch milliseconds)"));
        var typeText = e.TryGetProperty("type", out var tEl) && tEl.ValueKind == JsonValueKind.String ? tEl.GetString() : null;
        EventType type;
        switch (typeText)
        {
            case "clicks": type = EventType.Click; break;
            case "carts": type = EventType.Cart; break;
            case "orders": type = EventType.Purchase; break;
            default:
                return (null, new SourceRejection(row, prefix + ".type", Raw("type"), "unknown event type (expected clicks, carts or orders)"));
        }
        var ts = DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime;
        return (new SourceEvent(row, session, aid, ts, type, 1, null, session), null);
    }

    /// <summary>Formats an OTTO timestamp the way the dedup key uses it (milliseconds since the epoch).</summary>
    internal static string EpochMilliseconds(DateTime utc) =>
        new DateTimeOffset(DateTime.SpecifyKind(utc, DateTimeKind.Utc)).ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
}
