using System.Globalization;
using CsvHelper;
using Microsoft.EntityFrameworkCore;
using Portal.Core.Behavior;
using Portal.Core.Catalog;
using Portal.Core.Data.Import;

namespace Portal.Tests.Import;

/// <summary>The import job against a real SQLite database: refused files, bad rows, duplicates, formats, rollback.</summary>
public sealed class ImportJobTests
{
    [Fact]
    public async Task Refused_header_names_file_and_columns_and_stores_nothing()
    {
        using var f = new ImportFixture();
        var path = f.WriteFile("events_bad_header.csv", "user_id,item_id,event_type,colour\nu1,i1,view,red\n");

        var run = await f.ImportAsync(path, ImportFormat.EventsCsv);

        Assert.Equal(ImportStatus.Failed, run.Status);
        Assert.Contains("events_bad_header.csv", run.Message);
        Assert.Contains("timestamp", run.Message);
        Assert.Contains("colour", run.Message);
        await using var db = f.Db.CreateContext();
        Assert.Equal(0, await db.Events.CountAsync());
        Assert.Equal(0, await db.Products.CountAsync());
        Assert.Equal(0, await db.Customers.CountAsync());
        Assert.Equal(0, await db.Merchants.CountAsync());
        Assert.Equal(0, await db.ImportRejections.CountAsync());
        Assert.Equal(0, run.EventsAdded);
    }

    [Fact]
    public async Task Auto_detection_failure_is_a_clear_error()
    {
        using var f = new ImportFixture();
        var path = f.WriteFile("mystery.csv", "a,b,c\n1,2,3\n");

        var run = await f.ImportAsync(path);

        Assert.Equal(ImportStatus.Failed, run.Status);
        Assert.Contains("mystery.csv", run.Message);
        Assert.Contains("not recognised", run.Message);
    }

    [Fact]
    public async Task Bad_rows_are_rejected_with_row_column_and_reason_and_good_rows_are_stored()
    {
        using var f = new ImportFixture();

        var run = await f.ImportAsync(TestFiles.TestData("events_mixed.csv"));

        Assert.Equal(ImportStatus.Succeeded, run.Status);
        Assert.Equal(ImportFormat.EventsCsv, run.Format);
        Assert.Equal(12, run.RowsRead);
        Assert.Equal(7, run.EventsAdded);
        Assert.Equal(5, run.RowsRejected);
        Assert.Equal(3, run.CustomersAdded);
        Assert.Equal(3, run.ProductsAdded);
        Assert.Equal(64, run.Sha256!.Length);
        var rejections = run.Rejections.OrderBy(r => r.Row).Select(r => (r.Row, r.Column)).ToList();
        Assert.Equal([(6L, "timestamp"), (7L, "event_type"), (8L, "user_id"), (9L, "quantity"), (10L, "price")], rejections);
        Assert.All(run.Rejections, r => Assert.False(string.IsNullOrWhiteSpace(r.Reason)));
        Assert.Equal("not-a-date", run.Rejections.Single(r => r.Row == 6).Value);

        await using var db = f.Db.CreateContext();
        var events = await db.Events.Include(e => e.Customer).Include(e => e.Product).OrderBy(e => e.SourceLine).ToListAsync();
        Assert.Equal([2L, 3, 4, 5, 11, 12, 13], events.Select(e => e.SourceLine));
        var purchase = events.Single(e => e.SourceLine == 4);
        Assert.Equal(EventType.Purchase, purchase.Type);
        Assert.Equal(new DateTime(2024, 3, 1, 10, 2, 0, DateTimeKind.Utc), purchase.Timestamp); // no offset: UTC
        Assert.Equal(2, purchase.Quantity);
        Assert.Equal(9.90m, purchase.Price);
        Assert.Equal("s1", purchase.SessionId);
        Assert.Equal(new DateTime(2024, 3, 2, 0, 0, 0), events.Single(e => e.SourceLine == 5).Timestamp); // +08:00 converted
        Assert.Equal(1, events.Single(e => e.SourceLine == 2).Quantity); // default quantity
        Assert.All(events, e => Assert.Equal(run.Id, e.ImportRunId));
        var merchant = await db.Merchants.SingleAsync();
        Assert.Equal(Merchant.DefaultCode, merchant.Code);
        Assert.All(await db.Products.ToListAsync(), p => { Assert.Equal(merchant.Id, p.MerchantId); Assert.Equal(p.ExternalId, p.Name); });
        var u1 = await db.Customers.SingleAsync(c => c.ExternalId == "u1");
        Assert.Equal(new DateTime(2024, 3, 1, 10, 0, 0), u1.FirstSeen);
    }

    [Fact]
    public async Task Importing_the_same_file_twice_adds_nothing_the_second_time()
    {
        using var f = new ImportFixture();
        var path = TestFiles.TestData("events_mixed.csv");

        var first = await f.ImportAsync(path);
        var second = await f.ImportAsync(path);

        Assert.Equal(7, first.EventsAdded);
        Assert.Equal(ImportStatus.Succeeded, second.Status);
        Assert.Equal(0, second.EventsAdded);
        Assert.Equal(7, second.DuplicateEvents);
        Assert.Equal(0, second.ProductsAdded);
        Assert.Equal(0, second.CustomersAdded);
        await using var db = f.Db.CreateContext();
        Assert.Equal(7, await db.Events.CountAsync());
        Assert.Equal(3, await db.Products.CountAsync());
        Assert.Equal(1, await db.Merchants.CountAsync());
    }

    [Fact]
    public async Task The_same_events_as_json_lines_after_csv_are_duplicates()
    {
        using var f = new ImportFixture();
        var csv = f.WriteFile("a.csv", "user_id,item_id,timestamp,event_type,quantity,price\nu1,i1,2024-03-01T10:00:00Z,purchase,2,9.90\n");
        var jsonl = f.WriteFile("a.jsonl", "{\"user_id\":\"u1\",\"item_id\":\"i1\",\"timestamp\":\"2024-03-01T10:00:00\",\"event_type\":\"purchase\",\"quantity\":2,\"price\":9.9}\n");

        var first = await f.ImportAsync(csv);
        var second = await f.ImportAsync(jsonl);

        Assert.Equal(1, first.EventsAdded);
        Assert.Equal(ImportFormat.EventsJsonLines, second.Format);
        Assert.Equal(0, second.EventsAdded);
        Assert.Equal(1, second.DuplicateEvents);
    }

    [Fact]
    public async Task Rejections_csv_lists_file_row_column_value_reason()
    {
        using var f = new ImportFixture();
        var run = await f.ImportAsync(TestFiles.TestData("events_mixed.csv"));

        var writer = new StringWriter();
        await f.Service.WriteRejectionsCsvAsync(run.Id, writer);

        using var csv = new CsvReader(new StringReader(writer.ToString()), CultureInfo.InvariantCulture);
        var rows = new List<string[]>();
        while (csv.Read()) rows.Add(Enumerable.Range(0, csv.Parser.Count).Select(i => csv.GetField(i)!).ToArray());
        Assert.Equal(["file", "row", "column", "value", "reason"], rows[0]);
        Assert.Equal(6, rows.Count);
        Assert.Equal(["events_mixed.csv", "6", "timestamp", "not-a-date"], rows[1][..4]);
        Assert.Contains("timestamp", rows[1][4]);
        Assert.Equal(["events_mixed.csv", "7", "event_type", "teleport"], rows[2][..4]);
        await Assert.ThrowsAsync<KeyNotFoundException>(() => f.Service.WriteRejectionsCsvAsync(9999, new StringWriter()));
    }

    [Fact]
    public async Task Events_json_lines_are_imported_with_the_right_counts()
    {
        using var f = new ImportFixture();

        var run = await f.ImportAsync(TestFiles.TestData("events.jsonl"));

        Assert.Equal(ImportStatus.Succeeded, run.Status);
        Assert.Equal(ImportFormat.EventsJsonLines, run.Format);
        Assert.Equal(6, run.RowsRead);
        Assert.Equal(4, run.EventsAdded);
        Assert.Equal(2, run.RowsRejected);
        Assert.Equal(3, run.CustomersAdded);
        Assert.Equal(2, run.ProductsAdded);
        Assert.Contains(run.Rejections, r => r.Row == 6 && r.Column == "(line)" && r.Reason.Contains("malformed JSON"));
        Assert.Contains(run.Rejections, r => r.Row == 7 && r.Column == "event_type");
        await using var db = f.Db.CreateContext();
        var cart = await db.Events.SingleAsync(e => e.Type == EventType.Cart);
        Assert.Equal(3, cart.Quantity);
        Assert.True(await db.Customers.AnyAsync(c => c.ExternalId == "42"));
    }

    [Fact]
    public async Task Otto_sessions_are_imported_with_the_right_counts()
    {
        using var f = new ImportFixture();

        var run = await f.ImportAsync(TestFiles.TestData("otto", "train_sample.jsonl"));

        Assert.Equal(ImportStatus.Succeeded, run.Status);
        Assert.Equal(ImportFormat.OttoSessions, run.Format);
        Assert.Equal(20, run.RowsRead);
        Assert.Equal(862, run.EventsAdded);
        Assert.Equal(0, run.RowsRejected);
        Assert.Equal(20, run.CustomersAdded);
        Assert.Equal(510, run.ProductsAdded);
        await using var db = f.Db.CreateContext();
        var counts = await db.Events.GroupBy(e => e.Type).Select(g => new { g.Key, N = g.Count() }).ToDictionaryAsync(x => x.Key, x => x.N);
        Assert.Equal(800, counts[EventType.Click]);
        Assert.Equal(52, counts[EventType.Cart]);
        Assert.Equal(10, counts[EventType.Purchase]);
        Assert.Equal(new DateTime(2022, 7, 31, 22, 0, 0, 25), await db.Events.MinAsync(e => e.Timestamp));
        var first = await db.Events.Include(e => e.Customer).OrderBy(e => e.Timestamp).FirstAsync();
        Assert.Equal("0", first.Customer!.ExternalId);
        Assert.Equal("0", first.SessionId);
        Assert.Equal(ImportJob.OttoMerchantCode, (await db.Merchants.SingleAsync()).Code);

        var again = await f.ImportAsync(TestFiles.TestData("otto", "train_sample.jsonl"));
        Assert.Equal(0, again.EventsAdded);
        Assert.Equal(862, again.DuplicateEvents);
    }

    [Fact]
    public async Task Chinese_products_round_trip_and_events_attach_to_them()
    {
        using var f = new ImportFixture();

        var products = await f.ImportAsync(TestFiles.TestData("products_zh.csv"));
        var events = await f.ImportAsync(TestFiles.TestData("events.jsonl"));

        Assert.Equal(ImportStatus.Succeeded, products.Status);
        Assert.Equal(ImportFormat.ProductsCsv, products.Format);
        Assert.Equal(5, products.RowsRead);
        Assert.Equal(3, products.ProductsAdded);
        Assert.Equal(2, products.RowsRejected);
        Assert.Contains(products.Rejections, r => r.Row == 5 && r.Column == "name");
        Assert.Contains(products.Rejections, r => r.Row == 6 && r.Column == "price");
        Assert.Equal(1, events.ProductsAdded); // p-2 only: 华为-001 comes from the catalogue

        await using var db = f.Db.CreateContext();
        var huawei = await db.Products.Include(p => p.Category).Include(p => p.Merchant).SingleAsync(p => p.ExternalId == "华为-001");
        Assert.Equal("华为 Mate 60 Pro 手机", huawei.Name);
        Assert.Equal("卫星通话, 12GB+512GB", huawei.Description);
        Assert.Equal("华为", huawei.Brand);
        Assert.Equal(5999m, huawei.Price);
        Assert.Equal("电子产品 > 手机", huawei.Category!.Path);
        Assert.Equal("手机", huawei.Category.Name);
        Assert.Equal(Merchant.DefaultCode, huawei.Merchant!.Code);
        var parent = await db.Categories.SingleAsync(c => c.Id == huawei.Category.ParentId);
        Assert.Equal("电子产品", parent.Path);
        Assert.Null(parent.ParentId);
        var laptop = await db.Products.Include(p => p.Category).Include(p => p.Merchant).SingleAsync(p => p.ExternalId == "lenovo-x1");
        Assert.Equal("数码旗舰店", laptop.Merchant!.Code);
        Assert.Equal("电子产品 > 电脑 > 笔记本", laptop.Category!.Path);
        Assert.Equal(5, await db.Categories.CountAsync());
        Assert.Equal(2, await db.Events.CountAsync(e => e.ProductId == huawei.Id));
        Assert.True(await db.Products.AnyAsync(p => p.Name == "华为 Mate 60 Pro 手机")); // query by Chinese text

        // The same catalogue again adds nothing.
        var again = await f.ImportAsync(TestFiles.TestData("products_zh.csv"));
        Assert.Equal(0, again.ProductsAdded);
        Assert.Equal(5, await db.Categories.CountAsync());
    }

    [Fact]
    public async Task Events_go_to_the_merchant_a_catalogue_names_otherwise_to_the_default_merchant()
    {
        using var f = new ImportFixture();
        var products = f.WriteFile("p.csv", "item_id,name,merchant\nshared,Shop A thing,shop-a\n");
        var events = f.WriteFile("e.csv", "user_id,item_id,timestamp,event_type\nu1,shared,2024-01-01T00:00:00Z,view\nu1,new-item,2024-01-02T00:00:00Z,view\n");

        await f.ImportAsync(products);
        var run = await f.ImportAsync(events);

        Assert.Equal(1, run.ProductsAdded);
        await using var db = f.Db.CreateContext();
        var byItem = await db.Events.Include(e => e.Product!).ThenInclude(p => p.Merchant)
            .ToDictionaryAsync(e => e.Product!.ExternalId, e => e.Product!.Merchant!.Code);
        Assert.Equal("shop-a", byItem["shared"]);
        Assert.Equal(Merchant.DefaultCode, byItem["new-item"]);
        Assert.Equal("new-item", (await db.Products.SingleAsync(p => p.ExternalId == "new-item")).Name);
    }

    [Fact]
    public async Task Entity_framework_write_path_stores_the_same()
    {
        using var f = new ImportFixture(ImportWriteMode.EntityFramework);

        var run = await f.ImportAsync(TestFiles.TestData("otto", "train_sample.jsonl"));

        Assert.Equal(ImportStatus.Succeeded, run.Status);
        Assert.Equal(862, run.EventsAdded);
        await using var db = f.Db.CreateContext();
        Assert.Equal(862, await db.Events.CountAsync());
    }

    [Fact]
    public async Task A_failure_while_storing_leaves_nothing_half_written()
    {
        using var f = new ImportFixture();
        using var cts = new CancellationTokenSource();
        f.Tracker.Changed += p => { if (p.Phase.StartsWith("storing events", StringComparison.Ordinal)) cts.Cancel(); };

        var run = await f.ImportAsync(TestFiles.TestData("otto", "train_sample.jsonl"), ct: cts.Token);

        Assert.Equal(ImportStatus.Failed, run.Status);
        Assert.Contains("cancelled", run.Message);
        await using var db = f.Db.CreateContext();
        Assert.Equal(0, await db.Events.CountAsync());
        Assert.Equal(0, await db.Products.CountAsync());
        Assert.Equal(0, await db.Customers.CountAsync());
        Assert.Equal(0, await db.Merchants.CountAsync());
    }

    [Fact]
    public async Task Progress_is_reported_while_running_and_cleared_at_the_end()
    {
        using var f = new ImportFixture();
        var seen = new List<ImportProgress>();
        f.Tracker.Changed += p => { lock (seen) seen.Add(p); };

        var run = await f.ImportAsync(TestFiles.TestData("otto", "train_sample.jsonl"));

        Assert.Contains(seen, p => p.Phase.StartsWith("reading") && p.Fraction < 0.5);
        Assert.Contains(seen, p => p.Phase.StartsWith("storing events"));
        Assert.Equal(1, seen[^1].Fraction);
        Assert.Null(f.Tracker.Get(run.Id));
        Assert.Equal(1, run.Progress);
    }

    [Fact]
    public async Task EnqueueAsync_stores_the_upload_queues_a_hangfire_job_and_the_job_imports_it()
    {
        using var f = new ImportFixture();
        await using var content = File.OpenRead(TestFiles.TestData("products_zh.csv"));

        var id = await f.Service.EnqueueAsync("products_zh.csv", content, ImportFormat.Auto, "alice");

        var queued = (await f.Service.GetAsync(id))!;
        Assert.Equal(ImportStatus.Queued, queued.Status);
        Assert.Equal("alice", queued.RequestedBy);
        Assert.StartsWith(Path.Combine(f.Db.Directory, "uploads"), queued.StoredPath);
        Assert.True(File.Exists(queued.StoredPath));
        var enqueued = f.Storage.GetMonitoringApi().EnqueuedJobs("default", 0, 10);
        var job = Assert.Single(enqueued).Value.Job;
        Assert.Equal(typeof(ImportJob), job.Type);
        Assert.Equal(nameof(ImportJob.RunAsync), job.Method.Name);
        Assert.Equal(id, job.Args[0]);

        await f.Job.RunAsync(id, CancellationToken.None);
        var done = (await f.Service.GetAsync(id))!;
        Assert.Equal(ImportStatus.Succeeded, done.Status);
        Assert.Equal(3, done.ProductsAdded);
    }

    [Fact]
    public async Task Existing_file_is_imported_once_synchronously_or_as_a_job()
    {
        using var f = new ImportFixture();
        var path = TestFiles.TestData("events_mixed.csv");

        var run = await f.Service.ImportExistingFileAsync(path, ImportFormat.Auto, "system");
        var again = await f.Service.ImportExistingFileAsync(path, ImportFormat.Auto, "system");
        var queued = await f.Service.EnqueueExistingFileAsync(path, ImportFormat.Auto, "system");

        Assert.Equal(ImportStatus.Succeeded, run.Status);
        Assert.Equal(7, run.EventsAdded);
        Assert.Equal(run.Id, again.Id);
        Assert.Equal(run.Id, queued);
        Assert.Empty(f.Storage.GetMonitoringApi().EnqueuedJobs("default", 0, 10));

        var other = f.WriteFile("otto.jsonl", File.ReadAllText(TestFiles.TestData("otto", "train_sample.jsonl")));
        var otherId = await f.Service.EnqueueExistingFileAsync(other, ImportFormat.OttoSessions, "system");
        Assert.NotEqual(run.Id, otherId);
        Assert.Single(f.Storage.GetMonitoringApi().EnqueuedJobs("default", 0, 10));
        await Assert.ThrowsAsync<FileNotFoundException>(() => f.Service.EnqueueExistingFileAsync("/nonexistent/x.csv", ImportFormat.Auto, "system"));
    }

    [Fact]
    public async Task Gzip_files_are_read()
    {
        using var f = new ImportFixture();
        var path = Path.Combine(f.Db.Directory, "events.csv.gz");
        await using (var gz = new System.IO.Compression.GZipStream(File.Create(path), System.IO.Compression.CompressionLevel.Fastest))
            await gz.WriteAsync(await File.ReadAllBytesAsync(TestFiles.TestData("events_mixed.csv")));

        var run = await f.ImportAsync(path);

        Assert.Equal(ImportStatus.Succeeded, run.Status);
        Assert.Equal(7, run.EventsAdded);
    }
}
