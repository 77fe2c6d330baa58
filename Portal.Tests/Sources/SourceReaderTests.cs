using Portal.Core.Behavior;
using Portal.Core.Data.Import;
using Portal.Core.Data.Sources;

namespace Portal.Tests.Sources;

/// <summary>The readers of generic events, generic products and OTTO sessions, and format detection.</summary>
public sealed class SourceReaderTests
{
    [Fact]
    public void Events_csv_header_missing_and_unknown_columns_are_named()
    {
        var csv = "user_id,item_id,when,event_type\nu1,i1,2024-01-01,view\n";

        var e = Assert.Throws<SourceFormatException>(() => GenericEventsReader.ReadCsv(new StringReader(csv), "events.csv").ToList());

        Assert.Equal("events.csv", e.FileName);
        Assert.Equal(["timestamp"], e.MissingColumns);
        Assert.Equal(["when"], e.UnknownColumns);
        Assert.StartsWith("events.csv:", e.Message);
        Assert.Contains("timestamp", e.Message);
        Assert.Contains("when", e.Message);
    }

    [Fact]
    public void Events_csv_header_is_case_insensitive_and_optional_columns_may_be_absent()
    {
        var csv = "\uFEFFUser_ID,Item_ID,Timestamp,Event_Type\nu1,i1,2024-01-01T00:00:00+02:00,Purchase\n";

        var rows = GenericEventsReader.ReadCsv(new StringReader(csv.TrimStart('\uFEFF')), "events.csv").ToList();

        var (e, r) = Assert.Single(rows);
        Assert.Null(r);
        Assert.Equal(2, e!.Row);
        Assert.Equal(new DateTime(2023, 12, 31, 22, 0, 0, DateTimeKind.Utc), e.Timestamp);
        Assert.Equal(DateTimeKind.Utc, e.Timestamp.Kind);
        Assert.Equal(EventType.Purchase, e.Type);
        Assert.Equal(1, e.Quantity);
        Assert.Null(e.Price);
        Assert.Null(e.SessionId);
    }

    [Theory]
    [InlineData("u1,i1,2024-13-01T00:00:00Z,view,,,", "timestamp")]
    [InlineData("u1,i1,01/02/2024,view,,,", "timestamp")]
    [InlineData("u1,i1,2024-01-01T00:00:00Z,teleport,,,", "event_type")]
    [InlineData("u1,,2024-01-01T00:00:00Z,view,,,", "item_id")]
    [InlineData("u1,i1,2024-01-01T00:00:00Z,purchase,0,,", "quantity")]
    [InlineData("u1,i1,2024-01-01T00:00:00Z,purchase,two,,", "quantity")]
    [InlineData("u1,i1,2024-01-01T00:00:00Z,purchase,1,-0.01,", "price")]
    public void Events_csv_bad_rows_are_rejected_with_row_and_column(string line, string column)
    {
        var csv = "user_id,item_id,timestamp,event_type,quantity,price,session_id\nu0,i0,2024-01-01T00:00:00Z,view,,,\n" + line + "\n";

        var rows = GenericEventsReader.ReadCsv(new StringReader(csv), "events.csv").ToList();

        Assert.Equal(2, rows.Count);
        Assert.NotNull(rows[0].Event);
        var rejection = rows[1].Rejection!;
        Assert.Null(rows[1].Event);
        Assert.Equal(3, rejection.Row);
        Assert.Equal(column, rejection.Column);
        Assert.False(string.IsNullOrWhiteSpace(rejection.Reason));
    }

    [Fact]
    public void Events_json_lines_use_line_numbers_and_reject_malformed_lines()
    {
        var text = """
            {"user_id":"u1","item_id":"i1","timestamp":"2024-01-01T00:00:00Z","event_type":"view"}
            {"user_id":"u1","item_id":"i1","timestamp":"2024-01-01T00:00:00Z","event_type":
            {"user_id":"u1","item_id":"i1","timestamp":"2024-01-01T00:00:00Z","event_type":"view","colour":"red"}
            {"user_id":"u1","item_id":"i1","timestamp":"2024-01-01T00:00:00Z","event_type":"view","price":true}
            {"user_id":7,"item_id":8,"timestamp":"2024-01-01","event_type":"cart","quantity":2.5,"price":"3.20","session_id":null}
            """;

        var rows = GenericEventsReader.ReadJsonLines(new StringReader(text), "e.jsonl").ToList();

        Assert.Equal(5, rows.Count);
        Assert.Equal(1, rows[0].Event!.Row);
        Assert.Equal((2L, "(line)"), (rows[1].Rejection!.Row, rows[1].Rejection!.Column));
        Assert.Contains("malformed JSON", rows[1].Rejection!.Reason);
        Assert.Equal((3L, "colour"), (rows[2].Rejection!.Row, rows[2].Rejection!.Column));
        Assert.Equal((4L, "price"), (rows[3].Rejection!.Row, rows[3].Rejection!.Column));
        var e = rows[4].Event!;
        Assert.Equal(("7", "8", 2.5, 3.20m), (e.UserId, e.ItemId, e.Quantity, e.Price));
        Assert.Equal(new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc), e.Timestamp);
    }

    [Fact]
    public void Events_json_lines_first_object_acts_as_the_header()
    {
        var text = "{\"user\":\"u1\",\"item_id\":\"i1\",\"timestamp\":\"2024-01-01T00:00:00Z\",\"event_type\":\"view\"}\n";

        var e = Assert.Throws<SourceFormatException>(() => GenericEventsReader.ReadJsonLines(new StringReader(text), "e.jsonl").ToList());

        Assert.Equal(["user_id"], e.MissingColumns);
        Assert.Equal(["user"], e.UnknownColumns);
    }

    [Fact]
    public void Products_csv_splits_category_paths_and_keeps_chinese_text()
    {
        var csv = "item_id,name,category,price\nhw-1,华为 Mate 60 Pro 手机,电子产品 > 手机,5999\nx,无类别,,\n";

        var rows = GenericProductsReader.ReadCsv(new StringReader(csv), "products.csv").ToList();

        var p = rows[0].Product!;
        Assert.Equal("华为 Mate 60 Pro 手机", p.Name);
        Assert.Equal(["电子产品", "手机"], p.CategoryPath);
        Assert.Equal(5999m, p.Price);
        Assert.Null(p.Merchant);
        Assert.Empty(rows[1].Product!.CategoryPath);
        Assert.Null(rows[1].Product!.Price);
    }

    [Fact]
    public void Products_csv_refuses_a_header_without_name()
    {
        var e = Assert.Throws<SourceFormatException>(() =>
            GenericProductsReader.ReadCsv(new StringReader("item_id,title\n1,x\n"), "products.csv").ToList());

        Assert.Equal(["name"], e.MissingColumns);
        Assert.Equal(["title"], e.UnknownColumns);
    }

    [Fact]
    public void Otto_sessions_sample_has_862_events_of_the_right_types()
    {
        using var text = SourceFile.OpenText(Portal.Tests.Import.TestFiles.TestData("otto", "train_sample.jsonl"));

        var rows = OttoSessionsReader.Read(text, "train_sample.jsonl").ToList();

        Assert.All(rows, r => Assert.Null(r.Rejection));
        var events = rows.Select(r => r.Event!).ToList();
        Assert.Equal(862, events.Count);
        Assert.Equal(800, events.Count(e => e.Type == EventType.Click));
        Assert.Equal(52, events.Count(e => e.Type == EventType.Cart));
        Assert.Equal(10, events.Count(e => e.Type == EventType.Purchase));
        Assert.Equal(20, events.Select(e => e.UserId).Distinct().Count());
        Assert.Equal(20, events.Select(e => e.Row).Distinct().Count());
        Assert.Equal(510, events.Select(e => e.ItemId).Distinct().Count());
        var first = events[0];
        Assert.Equal(("0", "0", "1517085", 1L), (first.UserId, first.SessionId, first.ItemId, first.Row));
        Assert.Equal(new DateTime(2022, 7, 31, 22, 0, 0, 25, DateTimeKind.Utc), first.Timestamp);
    }

    [Fact]
    public void Otto_bad_events_are_rejected_alone()
    {
        var text = """
            {"session":1,"events":[{"aid":5,"ts":1659304800025,"type":"clicks"},{"aid":6,"ts":"x","type":"clicks"},{"aid":7,"ts":1659304800025,"type":"views"}]}
            not json
            """;

        var rows = OttoSessionsReader.Read(new StringReader(text), "o.jsonl").ToList();

        Assert.Equal(4, rows.Count);
        Assert.NotNull(rows[0].Event);
        Assert.Equal((1L, "events[1].ts"), (rows[1].Rejection!.Row, rows[1].Rejection!.Column));
        Assert.Equal((1L, "events[2].type"), (rows[2].Rejection!.Row, rows[2].Rejection!.Column));
        Assert.Equal((2L, "(line)"), (rows[3].Rejection!.Row, rows[3].Rejection!.Column));
    }

    [Theory]
    [InlineData("InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country", ImportFormat.UciOnlineRetail)]
    [InlineData("user_id,item_id,timestamp,event_type", ImportFormat.EventsCsv)]
    [InlineData("user_id,item_id,event_type", ImportFormat.EventsCsv)]
    [InlineData("item_id,name,category", ImportFormat.ProductsCsv)]
    [InlineData(",timestamp,item_id,position,click,propensity_score,user_feature_0", ImportFormat.OpenBandit)]
    [InlineData(",item_id,item_feature_0,item_feature_1,item_feature_2,item_feature_3", ImportFormat.OpenBanditItemContext)]
    [InlineData("{\"session\":0,\"events\":[]}", ImportFormat.OttoSessions)]
    [InlineData("{\"user_id\":\"u\",\"item_id\":\"i\",\"timestamp\":\"2024-01-01\",\"event_type\":\"view\"}", ImportFormat.EventsJsonLines)]
    [InlineData("{\"item_id\":\"i\",\"name\":\"n\"}", ImportFormat.ProductsJsonLines)]
    public void Formats_are_detected_from_the_first_line(string line, ImportFormat expected) =>
        Assert.Equal(expected, ImportFormatDetector.DetectFromFirstLine(line, "f"));

    [Fact]
    public void Unknown_formats_get_a_clear_error()
    {
        var e = Assert.Throws<SourceFormatException>(() => ImportFormatDetector.DetectFromFirstLine("foo,bar", "data.csv"));
        Assert.Contains("data.csv", e.Message);
        Assert.Contains("foo", e.Message);
        Assert.Contains("not recognised", e.Message);
        Assert.Throws<SourceFormatException>(() => ImportFormatDetector.Detect(new StringReader("\n\n"), "empty.csv"));
        Assert.Throws<SourceFormatException>(() => ImportFormatDetector.DetectFromFirstLine("{\"a\":", "x.jsonl"));
    }

    [Fact]
    public void Uci_header_missing_columns_are_named()
    {
        var e = Assert.Throws<SourceFormatException>(() =>
            UciOnlineRetailReader.Read(new StringReader("InvoiceNo,StockCode,Quantity\n"), "retail.csv").ToList());
        Assert.Contains("retail.csv", e.Message);
        Assert.Contains("Description", e.MissingColumns);

        var extra = Assert.Throws<SourceFormatException>(() => UciOnlineRetailReader.Read(
            new StringReader("InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country,Colour\n"), "retail.csv").ToList());
        Assert.Equal(["Colour"], extra.UnknownColumns);
        Assert.Empty(extra.MissingColumns);
    }
}
