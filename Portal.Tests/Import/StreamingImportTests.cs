using Microsoft.EntityFrameworkCore;
using Portal.Core.Data.Import;

namespace Portal.Tests.Import;

/// <summary>
/// Large event files are imported in two passes (events streamed from the file into the database); the result must be
/// the same as the in-memory import's: counts, rejections, duplicates and every stored event.
/// </summary>
public sealed class StreamingImportTests
{
    private sealed record Outcome(ImportRun Run, List<string> Events, List<(long Row, string Column)> Rejections);

    private static async Task<Outcome> ImportAsync(ImportFixture f, string path)
    {
        var run = await f.ImportAsync(path);
        await using var db = f.Db.CreateContext();
        var events = await db.Events.AsNoTracking().OrderBy(e => e.SourceLine).ThenBy(e => e.DedupKey)
            .Select(e => $"{e.SourceLine}|{e.Customer!.ExternalId}|{e.Product!.ExternalId}|{e.Timestamp:O}|{e.Type}|{e.Quantity}|{e.Price}|{e.SessionId}|{e.DedupKey}")
            .ToListAsync();
        return new Outcome(run, events, run.Rejections.OrderBy(r => r.Row).Select(r => (r.Row, r.Column)).ToList());
    }

    private static void AssertSame(Outcome expected, Outcome actual)
    {
        Assert.Equal(ImportStatus.Succeeded, actual.Run.Status);
        Assert.Equal(expected.Run.RowsRead, actual.Run.RowsRead);
        Assert.Equal(expected.Run.EventsAdded, actual.Run.EventsAdded);
        Assert.Equal(expected.Run.DuplicateEvents, actual.Run.DuplicateEvents);
        Assert.Equal(expected.Run.RowsRejected, actual.Run.RowsRejected);
        Assert.Equal(expected.Run.ProductsAdded, actual.Run.ProductsAdded);
        Assert.Equal(expected.Run.CustomersAdded, actual.Run.CustomersAdded);
        Assert.Equal(expected.Rejections, actual.Rejections);
        Assert.Equal(expected.Events, actual.Events);
    }

    [Theory]
    [InlineData(ImportWriteMode.AdoNet)]
    [InlineData(ImportWriteMode.EntityFramework)]
    public async Task Streaming_csv_with_bad_rows_and_in_file_duplicates_stores_the_same_as_in_memory(ImportWriteMode mode)
    {
        using var memory = new ImportFixture(mode);
        using var streaming = new ImportFixture(mode, streamingThresholdBytes: 0);
        // events_mixed.csv (7 good rows, 5 bad) plus two of its rows again: in-file duplicates.
        var lines = File.ReadAllLines(TestFiles.TestData("events_mixed.csv"));
        var content = string.Join('\n', lines.Concat([lines[1], lines[3]])) + "\n";

        var expected = await ImportAsync(memory, memory.WriteFile("e.csv", content));
        var actual = await ImportAsync(streaming, streaming.WriteFile("e.csv", content));

        Assert.Equal(7, expected.Run.EventsAdded);
        Assert.Equal(2, expected.Run.DuplicateEvents);
        AssertSame(expected, actual);
    }

    [Fact]
    public async Task Streaming_otto_sessions_then_the_same_file_again_matches_in_memory()
    {
        using var memory = new ImportFixture();
        using var streaming = new ImportFixture(streamingThresholdBytes: 0);
        var path = TestFiles.TestData("otto", "train_sample.jsonl");

        AssertSame(await ImportAsync(memory, path), await ImportAsync(streaming, path));
        // Second import: everything is already stored (the duplicate lookup runs per streamed chunk).
        var again = await ImportAsync(streaming, path);
        Assert.Equal(0, again.Run.EventsAdded);
        Assert.Equal(862, again.Run.DuplicateEvents);
        Assert.Equal(862, again.Events.Count);
    }
}
