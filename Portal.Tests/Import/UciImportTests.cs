using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Portal.Core.Behavior;
using Portal.Core.Data.Import;
using Xunit.Abstractions;

namespace Portal.Tests.Import;

/// <summary>Import of the bundled UCI Online Retail file (541,909 rows) into a real SQLite database.</summary>
public sealed class UciImportTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Bundled_uci_file_is_imported_with_the_protocol_counts_in_under_a_minute()
    {
        using var f = new ImportFixture();
        var clock = Stopwatch.StartNew();
        var lastPhase = "";
        f.Tracker.Changed += p =>
        {
            var phase = p.Phase.Split(' ')[0] + " " + (p.Phase.Split(' ').ElementAtOrDefault(1) ?? "");
            if (phase != lastPhase) output.WriteLine($"{clock.Elapsed.TotalSeconds,6:F1} s  {p.Fraction:P0}  {p.Phase}");
            lastPhase = phase;
        };

        var run = await f.ImportAsync(TestFiles.UciOnlineRetail);

        clock.Stop();
        output.WriteLine($"UCI import: {clock.Elapsed.TotalSeconds:F1} s; {run.Message}");
        Assert.Equal(ImportStatus.Succeeded, run.Status);
        Assert.Equal(ImportFormat.UciOnlineRetail, run.Format);
        Assert.Equal(541_909, run.RowsRead);
        // The two "Adjust bad debt" lines (A563186, A563187) carry a negative UnitPrice.
        Assert.Equal(2, run.RowsRejected);
        Assert.Equal([299_985L, 299_986L], run.Rejections.Select(r => r.Row).Order());
        Assert.All(run.Rejections, r => Assert.Equal("UnitPrice", r.Column));
        Assert.Equal(4_372, run.CustomersAdded);
        Assert.Equal("0f155087d3a0455021f1629f3b995bc05f7dd8a260a7383af1840ef2a38c7bb7", run.Sha256);
        await using var db = f.Db.CreateContext();
        Assert.Equal(387_841, await db.Events.CountAsync(e => e.Type == EventType.Purchase));
        var returns = await db.Events.CountAsync(e => e.Type == EventType.Return);
        Assert.True(returns > 0);
        Assert.Equal(387_841 + returns, run.EventsAdded);
        Assert.Equal(run.ProductsAdded, await db.Products.CountAsync());
        Assert.Equal(3_958, run.ProductsAdded); // 4,070 raw StockCodes, 3,958 once trimmed and upper-cased
        Assert.Equal(4_372, await db.Customers.CountAsync());
        Assert.InRange(clock.Elapsed.TotalSeconds, 0, 60);

        var first = await db.Events.Include(e => e.Customer).Include(e => e.Product).OrderBy(e => e.Timestamp).ThenBy(e => e.SourceLine).FirstAsync();
        Assert.Equal("17850", first.Customer!.ExternalId);
        Assert.Equal("536365", first.SessionId);
        Assert.Equal(2, first.SourceLine);
        Assert.Equal("uci:536365:17850:85123A:purchase", first.DedupKey);
        Assert.Equal(new DateTime(2010, 12, 1, 8, 26, 0), first.Timestamp);
        Assert.Equal("United Kingdom", first.Customer.Country);
        output.WriteLine($"returns: {returns}, products: {run.ProductsAdded}, skipped: {run.RowsSkipped}");

        // A second import of the same file adds nothing.
        clock.Restart();
        var again = await f.ImportAsync(TestFiles.UciOnlineRetail);
        output.WriteLine($"UCI re-import: {clock.Elapsed.TotalSeconds:F1} s; {again.Message}");
        Assert.Equal(0, again.EventsAdded);
        Assert.Equal(run.EventsAdded, again.DuplicateEvents);
        Assert.Equal(0, again.ProductsAdded);
        Assert.Equal(0, again.CustomersAdded);
    }
}
