using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Portal.Core.Behavior;
using Portal.Core.Catalog;
using Portal.Core.Customers;
using Portal.Core.Data.Sources;
using Portal.Core.Feedback;

namespace Portal.Core.Data.Import;

/// <summary>
/// The Hangfire job that imports one stored file (<see cref="ImportRun.StoredPath"/>): it reads and checks every row,
/// then stores merchants, categories, products, customers, events, the rejected rows and the run's counts in ONE
/// database transaction, so that a failure leaves nothing half-written (the run is then <see cref="ImportStatus.Failed"/>
/// with the reason). Live progress goes to <see cref="ImportProgressTracker"/>. Events already stored (same
/// <see cref="BehaviorEvent.DedupKey"/>) are counted as duplicates and not added again.
/// </summary>
public sealed class ImportJob(
    IDbContextFactory<PortalDbContext> dbFactory,
    ImportProgressTracker progress,
    ImportJobOptions? options = null,
    ILogger<ImportJob>? logger = null)
{
    /// <summary>Merchant code of OTTO session data (article ids would otherwise clash with other shops' item ids).</summary>
    public const string OttoMerchantCode = "otto";

    private readonly ImportJobOptions _options = options ?? new ImportJobOptions();
    private readonly ILogger _log = (ILogger?)logger ?? NullLogger.Instance;

    /// <summary>
    /// Runs the import of <paramref name="importRunId"/>. Never throws for bad input: a refused file, a missing file or
    /// a database error ends with the run <see cref="ImportStatus.Failed"/> and the reason in <see cref="ImportRun.Message"/>.
    /// A run that already succeeded is left alone (Hangfire may run a job twice).
    /// </summary>
    /// <param name="importRunId">Id of a queued <see cref="ImportRun"/>.</param>
    /// <param name="ct">Cancellation (Hangfire passes its shutdown token); a cancelled run is Failed and stores nothing.</param>
    /// <exception cref="KeyNotFoundException">There is no import run with that id.</exception>
    [Queue("default")]
    [AutomaticRetry(Attempts = 0)]
    [DisableConcurrentExecution(timeoutInSeconds: 3600)]
    public async Task RunAsync(int importRunId, CancellationToken ct)
    {
        ImportRun run;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            run = await db.ImportRuns.SingleOrDefaultAsync(r => r.Id == importRunId, ct)
                ?? throw new KeyNotFoundException($"Import run {importRunId} does not exist.");
            if (run.Status == ImportStatus.Succeeded) return;
            run.Status = ImportStatus.Running;
            run.StartedAt = DateTime.UtcNow;
            run.FinishedAt = null;
            run.Progress = 0;
            run.Message = null;
            await db.SaveChangesAsync(ct);
        }

        var clock = Stopwatch.StartNew();
        progress.Report(importRunId, 0, "starting");
        try
        {
            var path = run.StoredPath;
            if (string.IsNullOrEmpty(path) || !File.Exists(path))
                throw new SourceFormatException(run.FileName, $"the stored file '{path}' does not exist.");
            var sha = SourceFile.Sha256(path);
            var format = run.Format == ImportFormat.Auto ? ImportFormatDetector.Detect(path, run.FileName) : run.Format;
            progress.Report(importRunId, 0.01, $"reading ({format})");
            var data = Read(path, run.FileName, format, f => progress.Report(importRunId, 0.01 + 0.49 * f, $"reading ({format})"), ct);
            var outcome = await StoreAsync(importRunId, data, sha, format, clock, ct);
            progress.Complete(importRunId, "succeeded");
            _log.LogInformation("Import {Id} of {File} succeeded in {Seconds:F1} s: {Message}", importRunId, run.FileName, clock.Elapsed.TotalSeconds, outcome);
        }
        catch (Exception e)
        {
            var reason = e switch
            {
                SourceFormatException => e.Message,
                OperationCanceledException => $"{run.FileName}: the import was cancelled; nothing was stored.",
                _ => $"{run.FileName}: the import failed and nothing was stored: {e.GetBaseException().Message}",
            };
            if (e is not SourceFormatException and not OperationCanceledException)
                _log.LogError(e, "Import {Id} of {File} failed", importRunId, run.FileName);
            else
                _log.LogWarning("Import {Id} refused: {Reason}", importRunId, reason);
            await using var db = await dbFactory.CreateDbContextAsync(CancellationToken.None);
            var failed = await db.ImportRuns.SingleAsync(r => r.Id == importRunId, CancellationToken.None);
            failed.Status = ImportStatus.Failed;
            failed.Message = Clip(reason, 4000);
            failed.FinishedAt = DateTime.UtcNow;
            failed.EventsAdded = failed.DuplicateEvents = failed.RowsRead = failed.RowsSkipped = failed.RowsRejected = 0;
            failed.ProductsAdded = failed.CustomersAdded = 0;
            await db.SaveChangesAsync(CancellationToken.None);
            progress.Complete(importRunId, "failed");
        }
    }

    // ---------------------------------------------------------------- reading

    private sealed class ProductSpec
    {
        public required string? MerchantCode { get; init; }   // null: resolve by item id (generic events)
        public required string ExternalId { get; init; }
        public required string Name { get; set; }
        public string? Description { get; set; }
        public IReadOnlyList<string> Category { get; set; } = [];
        public string? Brand { get; set; }
        public decimal? Price { get; set; }
        public DateTime FirstSeen { get; set; }
        public bool FromCatalogue { get; init; }
        public bool IsAvailable { get; init; } = true;
        public string? AttributesJson { get; set; }
    }

    private sealed record EventSpec(string UserId, string? MerchantCode, string ItemId, DateTime Timestamp, EventType Type,
        double Quantity, decimal? Price, string? SessionId, long Line, string DedupKey);

    private sealed record FeedbackSpec(FeedbackKind Kind, string MerchantCode, string ItemId, int? Position, DateTime Timestamp,
        double? Propensity, string? ContextJson, long Line, string ImpressionKey, string DedupKey);

    private sealed class ImportData
    {
        public List<FeedbackSpec> Feedback { get; } = [];
        public HashSet<string> FeedbackKeys { get; } = new(StringComparer.Ordinal);

        public void AddFeedback(FeedbackSpec f)
        {
            if (FeedbackKeys.Add(f.DedupKey)) Feedback.Add(f);
            else InFileDuplicates++;
        }

        public long RowsRead, RowsSkipped, InFileDuplicates;
        public List<SourceRejection> Rejections { get; } = [];
        public Dictionary<(string? Merchant, string Item), ProductSpec> Products { get; } = [];
        public Dictionary<string, (string? Country, DateTime FirstSeen)> Customers { get; } = new(StringComparer.Ordinal);
        public List<EventSpec> Events { get; } = [];
        public HashSet<string> Keys { get; } = new(StringComparer.Ordinal);

        /// <summary>
        /// Streaming mode (large event files): the first pass keeps products, customers and rejections but only counts
        /// events; the events are read again from the file while they are stored (<see cref="ReadEventStream"/>).
        /// </summary>
        public bool StreamEvents { get; init; }

        /// <summary>Events seen in streaming mode's first pass (in-file duplicates included).</summary>
        public long StreamedEvents;

        /// <summary>The file and format a streaming import reads again for its events.</summary>
        public (string Path, string FileName, ImportFormat Format)? Source { get; init; }

        public void AddEvent(EventSpec e)
        {
            if (StreamEvents) StreamedEvents++;
            else if (Keys.Add(e.DedupKey)) Events.Add(e);
            else InFileDuplicates++;
        }
    }

    /// <summary>Formats whose events can be read a second time in file order while they are stored (no whole-file pass like UCI's).</summary>
    private static bool CanStream(ImportFormat format) =>
        format is ImportFormat.EventsCsv or ImportFormat.EventsJsonLines or ImportFormat.OttoSessions;

    private ImportData Read(string path, string fileName, ImportFormat format, Action<double> onProgress, CancellationToken ct)
    {
        var streaming = CanStream(format) && new FileInfo(path).Length >= _options.StreamingThresholdBytes;
        var data0 = new ImportData { StreamEvents = streaming, Source = streaming ? (path, fileName, format) : null };
        if (format == ImportFormat.OpenBandit)
        {
            // The published layout keeps item_context.csv beside the log: its items become the products' attributes.
            var context = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".", "item_context.csv");
            if (File.Exists(context))
            {
                using var itemText = SourceFile.OpenText(context);
                ReadOpenBanditItems(OpenBanditReader.ReadItems(itemText, "item_context.csv"), data0, ct, countRows: false);
            }
        }
        using var stream = new ProgressStream(File.OpenRead(path), onProgress);
        using var text = SourceFile.OpenText(stream);
        var data = data0;
        switch (format)
        {
            case ImportFormat.UciOnlineRetail:
                ReadUci(text, fileName, data, ct);
                break;
            case ImportFormat.EventsCsv:
                ReadEvents(GenericEventsReader.ReadCsv(text, fileName), data, ct, otto: false);
                break;
            case ImportFormat.EventsJsonLines:
                ReadEvents(GenericEventsReader.ReadJsonLines(text, fileName), data, ct, otto: false);
                break;
            case ImportFormat.OttoSessions:
                ReadEvents(OttoSessionsReader.Read(text, fileName), data, ct, otto: true);
                break;
            case ImportFormat.ProductsCsv:
                ReadProducts(GenericProductsReader.ReadCsv(text, fileName), data, ct);
                break;
            case ImportFormat.ProductsJsonLines:
                ReadProducts(GenericProductsReader.ReadJsonLines(text, fileName), data, ct);
                break;
            case ImportFormat.OpenBandit:
                ReadOpenBandit(OpenBanditReader.ReadImpressions(text, fileName), data, ct);
                break;
            case ImportFormat.OpenBanditItemContext:
                ReadOpenBanditItems(OpenBanditReader.ReadItems(text, fileName), data, ct, countRows: true);
                break;
            default:
                throw new SourceFormatException(fileName, $"format {format} cannot be imported.");
        }
        return data;
    }

    private static void ReadUci(TextReader text, string fileName, ImportData data, CancellationToken ct)
    {
        var lines = UciOnlineRetailReader.Read(text, fileName);
        var ds = UciOnlineRetailDataset.Build(Cancellable(lines, ct));
        data.RowsRead = ds.RowsRead;
        data.Rejections.AddRange(ds.Rejections);
        foreach (var (code, p) in ds.Products)
            data.Products[(Merchant.DefaultCode, code)] = new ProductSpec
            {
                MerchantCode = Merchant.DefaultCode, ExternalId = code, Name = Clip(p.Name, 400), Price = p.Price, FirstSeen = p.FirstSeen,
                IsAvailable = !UciOnlineRetailDataset.ServiceCodes.Contains(code),
            };
        foreach (var (id, c) in ds.Customers) data.Customers[id] = (c.Country, c.FirstSeen);
        foreach (var e in ds.Purchases.Concat(ds.Returns).OrderBy(e => e.Timestamp).ThenBy(e => e.FirstRow))
        {
            var type = e.IsReturn ? EventType.Return : EventType.Purchase;
            data.AddEvent(new EventSpec(e.UserId, Merchant.DefaultCode, e.ItemId, e.Timestamp, type, e.Quantity, e.UnitPrice,
                e.InvoiceNo, e.FirstRow, $"uci:{e.InvoiceNo}:{e.UserId}:{e.ItemId}:{type.ToFileName()}"));
        }
        // Rows that are neither events nor rejections: guest lines (no CustomerID), stock adjustments and free lines.
        data.RowsSkipped = ds.RowsWithoutCustomer + ds.RowsNotSales;
    }

    private static void ReadEvents(IEnumerable<(SourceEvent? Event, SourceRejection? Rejection)> rows, ImportData data, CancellationToken ct, bool otto)
    {
        var lastRow = -1L;
        foreach (var (result, rejection) in Cancellable(rows, ct))
        {
            var row = result?.Row ?? rejection!.Row;
            if (row != lastRow) { data.RowsRead++; lastRow = row; }
            if (rejection is not null || result is not { } e) { data.Rejections.Add(rejection!); continue; }
            var merchant = otto ? OttoMerchantCode : null;
            data.AddEvent(ToEventSpec(e, otto));
            var pk = (merchant, e.ItemId);
            if (data.Products.TryGetValue(pk, out var p)) { if (e.Timestamp < p.FirstSeen) p.FirstSeen = e.Timestamp; }
            else data.Products[pk] = new ProductSpec { MerchantCode = merchant, ExternalId = e.ItemId, Name = e.ItemId, FirstSeen = e.Timestamp };
            data.Customers[e.UserId] = data.Customers.TryGetValue(e.UserId, out var c)
                ? (null, e.Timestamp < c.FirstSeen ? e.Timestamp : c.FirstSeen)
                : (null, e.Timestamp);
        }
    }

    private static EventSpec ToEventSpec(SourceEvent e, bool otto)
    {
        var key = otto
            ? $"otto:{e.UserId}:{e.ItemId}:{OttoSessionsReader.EpochMilliseconds(e.Timestamp)}:{e.Type.ToFileName()}"
            : GenericKey(e);
        return new EventSpec(e.UserId, otto ? OttoMerchantCode : null, e.ItemId, e.Timestamp, e.Type, e.Quantity, e.Price, e.SessionId, e.Row, key);
    }

    /// <summary>
    /// The second pass of a streaming import: the file's valid events again, in file order, without the ones seen before
    /// in the file (<paramref name="inFileDuplicates"/> counts them). Duplicates are found by a 128-bit hash of the key, so
    /// memory grows by about 40 bytes per event instead of holding every event (the first pass already checked every row).
    /// </summary>
    private static IEnumerable<EventSpec> ReadEventStream((string Path, string FileName, ImportFormat Format) source, StrongBox<long> inFileDuplicates,
        CancellationToken ct)
    {
        var (path, fileName, format) = source;
        using var text = SourceFile.OpenText(File.OpenRead(path));
        var rows = format switch
        {
            ImportFormat.EventsCsv => GenericEventsReader.ReadCsv(text, fileName),
            ImportFormat.EventsJsonLines => GenericEventsReader.ReadJsonLines(text, fileName),
            ImportFormat.OttoSessions => OttoSessionsReader.Read(text, fileName),
            _ => throw new InvalidOperationException($"{format} is not a streaming format."),
        };
        var seen = new HashSet<UInt128>();
        var hash = new byte[32];
        foreach (var (result, _) in Cancellable(rows, ct))
        {
            if (result is null) continue;
            var spec = ToEventSpec(result, format == ImportFormat.OttoSessions);
            SHA256.HashData(Encoding.UTF8.GetBytes(spec.DedupKey), hash);
            if (seen.Add(System.Buffers.Binary.BinaryPrimitives.ReadUInt128LittleEndian(hash))) yield return spec;
            else inFileDuplicates.Value++;
        }
    }

    private static void ReadProducts(IEnumerable<(SourceProduct? Product, SourceRejection? Rejection)> rows, ImportData data, CancellationToken ct)
    {
        var now = DateTime.UtcNow;
        foreach (var (p, rejection) in Cancellable(rows, ct))
        {
            data.RowsRead++;
            if (rejection is not null) { data.Rejections.Add(rejection); continue; }
            var merchant = p!.Merchant ?? Merchant.DefaultCode;
            // A later row of the same item wins.
            data.Products[(merchant, p.ItemId)] = new ProductSpec
            {
                MerchantCode = merchant, ExternalId = p.ItemId, Name = p.Name, Description = p.Description, Category = p.CategoryPath,
                Brand = p.Brand, Price = p.Price, FirstSeen = now, FromCatalogue = true,
            };
        }
    }

    /// <summary>
    /// Open Bandit impressions become feedback events of merchant <see cref="OpenBanditReader.MerchantCode"/>: one
    /// impression per row and, for a row with click 1, one click beside it (same position, time and context). The
    /// hashed user features and the user-item affinities are the logged context (<see cref="FeedbackEvent.ContextJson"/>);
    /// the key is a SHA-256 of every field but the pandas row index, so the same log imported again adds nothing.
    /// </summary>
    private static void ReadOpenBandit(IEnumerable<(OpenBanditImpression? Impression, SourceRejection? Rejection)> rows, ImportData data, CancellationToken ct)
    {
        const string merchant = OpenBanditReader.MerchantCode;
        foreach (var (imp, rejection) in Cancellable(rows, ct))
        {
            data.RowsRead++;
            if (rejection is not null || imp is null) { data.Rejections.Add(rejection!); continue; }
            var context = OpenBanditContextJson(imp);
            var identity = string.Join('\u001f', imp.Timestamp.ToString("O", CultureInfo.InvariantCulture), imp.ItemId,
                imp.Position.ToString(CultureInfo.InvariantCulture), imp.Click ? "1" : "0", imp.Propensity.ToString("R", CultureInfo.InvariantCulture), context);
            var key = "obd:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(identity)));
            data.AddFeedback(new FeedbackSpec(FeedbackKind.Impression, merchant, imp.ItemId, imp.Position, imp.Timestamp, imp.Propensity, context, imp.Row, key, key + ":impression"));
            if (imp.Click)
                data.AddFeedback(new FeedbackSpec(FeedbackKind.Click, merchant, imp.ItemId, imp.Position, imp.Timestamp, imp.Propensity, context, imp.Row, key, key + ":click"));
            var pk = ((string?)merchant, imp.ItemId);
            if (data.Products.TryGetValue(pk, out var p)) { if (imp.Timestamp < p.FirstSeen) p.FirstSeen = imp.Timestamp; }
            else data.Products[pk] = new ProductSpec { MerchantCode = merchant, ExternalId = imp.ItemId, Name = OpenBanditItemName(imp.ItemId), FirstSeen = imp.Timestamp };
        }
    }

    /// <summary>Open Bandit item context rows become products of <see cref="OpenBanditReader.MerchantCode"/> with their features as attributes.</summary>
    private static void ReadOpenBanditItems(IEnumerable<(OpenBanditItem? Item, SourceRejection? Rejection)> rows, ImportData data, CancellationToken ct, bool countRows)
    {
        const string merchant = OpenBanditReader.MerchantCode;
        var now = DateTime.UtcNow;
        foreach (var (item, rejection) in Cancellable(rows, ct))
        {
            if (countRows) data.RowsRead++;
            if (rejection is not null || item is null)
            {
                // A sibling item_context.csv is a companion file: its bad rows are reported under its own name.
                data.Rejections.Add(countRows ? rejection! : rejection! with { Column = "item_context.csv:" + rejection!.Column });
                continue;
            }
            using var buffer = new MemoryStream();
            using (var w = new System.Text.Json.Utf8JsonWriter(buffer))
            {
                w.WriteStartObject();
                foreach (var (name, value) in item.Numeric) w.WriteNumber(name, value);
                foreach (var (name, value) in item.Categorical) w.WriteString(name, value);
                w.WriteEndObject();
            }
            data.Products[(merchant, item.ItemId)] = new ProductSpec
            {
                MerchantCode = merchant, ExternalId = item.ItemId, Name = OpenBanditItemName(item.ItemId), FirstSeen = now, FromCatalogue = true,
                AttributesJson = Encoding.UTF8.GetString(buffer.ToArray()),
            };
        }
    }

    private static string OpenBanditItemName(string itemId) => $"ZOZOTOWN item {itemId}";

    /// <summary>The logged context of an impression: <c>{"user_feature_0":"…",…,"user-item_affinity_0":0.0,…}</c>.</summary>
    private static string OpenBanditContextJson(OpenBanditImpression imp)
    {
        using var buffer = new MemoryStream();
        using (var w = new System.Text.Json.Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            foreach (var (name, value) in imp.UserFeatures) w.WriteString(name, value);
            foreach (var (name, value) in imp.Affinities) w.WriteNumber(name, value);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>A stable identity of a generic event from all its fields (so that the same row imported again is recognised).</summary>
    private static string GenericKey(SourceEvent e)
    {
        var text = string.Join('\u001f', e.UserId, e.ItemId, e.Timestamp.ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ", CultureInfo.InvariantCulture),
            e.Type.ToFileName(), e.Quantity.ToString("R", CultureInfo.InvariantCulture),
            e.Price?.ToString("0.############################", CultureInfo.InvariantCulture) ?? "", e.SessionId ?? "");
        return "evt:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }

    private static IEnumerable<T> Cancellable<T>(IEnumerable<T> items, CancellationToken ct)
    {
        var n = 0;
        foreach (var item in items)
        {
            if (++n % 10_000 == 0) ct.ThrowIfCancellationRequested();
            yield return item;
        }
    }

    // ---------------------------------------------------------------- storing

    private async Task<string> StoreAsync(int runId, ImportData data, string sha, ImportFormat format, Stopwatch clock, CancellationToken ct)
    {
        // A retrying execution strategy (SQL Server's EnableRetryOnFailure) refuses user transactions unless the whole unit
        // runs inside it; each attempt uses a fresh context, and a failed attempt's transaction is rolled back.
        await using var probe = await dbFactory.CreateDbContextAsync(ct);
        return await probe.Database.CreateExecutionStrategy().ExecuteAsync(async token =>
        {
            await using var db = await dbFactory.CreateDbContextAsync(token);
            return await StoreOnceAsync(db, runId, data, sha, format, clock, token);
        }, ct);
    }

    private async Task<string> StoreOnceAsync(PortalDbContext db, int runId, ImportData data, string sha, ImportFormat format, Stopwatch clock, CancellationToken ct)
    {
        var mode = BulkInsert.Resolve(db, _options.WriteMode);
        var batch = Math.Max(100, _options.BatchSize);
        await db.Database.OpenConnectionAsync(ct);
        if (BulkInsert.IsSqlite(db))
            // A larger page cache for this connection only: the write transaction does not spill pages to the file
            // before the commit (which also keeps readers unblocked longer). The pragma is reset below.
            await db.Database.ExecuteSqlRawAsync("PRAGMA cache_size = -262144", ct);
        try
        {
            return await StoreInTransactionAsync(db, mode, batch, runId, data, sha, format, clock, ct);
        }
        finally
        {
            if (BulkInsert.IsSqlite(db))
                await db.Database.ExecuteSqlRawAsync("PRAGMA cache_size = -2000", CancellationToken.None);
            await db.Database.CloseConnectionAsync();
        }
    }

    private async Task<string> StoreInTransactionAsync(PortalDbContext db, ImportWriteMode mode, int batch, int runId, ImportData data,
        string sha, ImportFormat format, Stopwatch clock, CancellationToken ct)
    {
        await using var tx = await db.Database.BeginTransactionAsync(ct);

        progress.Report(runId, 0.5, "storing merchants and categories");
        var merchants = await db.Merchants.ToListAsync(ct);
        Merchant MerchantFor(string code)
        {
            var m = merchants.FirstOrDefault(x => x.Code.Equals(code, StringComparison.OrdinalIgnoreCase))
                ?? merchants.FirstOrDefault(x => x.Name.Equals(code, StringComparison.OrdinalIgnoreCase));
            if (m is not null) return m;
            m = code == Merchant.DefaultCode ? new Merchant { Code = code, Name = "Default merchant" }
                : code == OttoMerchantCode ? new Merchant { Code = code, Name = "OTTO", Currency = "EUR" }
                : code == OpenBanditReader.MerchantCode ? new Merchant { Code = code, Name = "ZOZOTOWN", Currency = "JPY" }
                : new Merchant { Code = code, Name = code };
            merchants.Add(m);
            db.Merchants.Add(m);
            return m;
        }
        // The default merchant is created when generic events need it (their items go there unless a catalogue put them elsewhere).
        var defaultMerchant = data.Products.Values.Any(p => p.MerchantCode is null) ? MerchantFor(Merchant.DefaultCode) : null;
        foreach (var code in data.Products.Values.Select(p => p.MerchantCode).OfType<string>().Distinct()) MerchantFor(code);
        await db.SaveChangesAsync(ct);

        // Categories: the whole path tree of every catalogue row.
        var categories = new Dictionary<(int, string), Category>();
        var catalogueMerchants = data.Products.Values.Where(p => p.Category.Count > 0).Select(p => MerchantFor(p.MerchantCode!).Id).Distinct().ToList();
        if (catalogueMerchants.Count > 0)
            foreach (var c in await db.Categories.Where(c => catalogueMerchants.Contains(c.MerchantId)).ToListAsync(ct))
                categories[(c.MerchantId, c.Path)] = c;
        Category? CategoryFor(int merchantId, IReadOnlyList<string> levels)
        {
            Category? parent = null;
            for (var i = 0; i < levels.Count; i++)
            {
                var path = string.Join(Category.PathSeparator, levels.Take(i + 1));
                if (!categories.TryGetValue((merchantId, path), out var c))
                {
                    c = new Category { MerchantId = merchantId, Name = levels[i], Path = path, Parent = parent };
                    db.Categories.Add(c);
                    categories[(merchantId, path)] = c;
                }
                parent = c;
            }
            return parent;
        }

        // Products: existing ones by external id (any merchant), then new ones.
        progress.Report(runId, 0.52, "storing products");
        var existing = new List<Product>();
        foreach (var chunk in data.Products.Values.Select(p => p.ExternalId).Distinct().Chunk(batch))
            existing.AddRange(await db.Products.Where(p => chunk.Contains(p.ExternalId)).ToListAsync(ct));
        var byMerchantAndId = existing.ToDictionary(p => (p.MerchantId, p.ExternalId));
        var byId = existing.ToLookup(p => p.ExternalId);
        var productOf = new Dictionary<(string?, string), Product>();
        var productsAdded = 0;
        var productsUpdated = 0;
        foreach (var (key, spec) in data.Products)
        {
            Product? product;
            if (spec.MerchantCode is null)
            {
                // Generic events: the product a catalogue put anywhere, preferring the default merchant's.
                var candidates = byId[spec.ExternalId].ToList();
                product = candidates.FirstOrDefault(p => p.MerchantId == defaultMerchant!.Id) ?? candidates.OrderBy(p => p.Id).FirstOrDefault();
            }
            else
                byMerchantAndId.TryGetValue((MerchantFor(spec.MerchantCode).Id, spec.ExternalId), out product);

            var merchantId = spec.MerchantCode is null ? defaultMerchant!.Id : MerchantFor(spec.MerchantCode).Id;
            if (product is null)
            {
                product = new Product
                {
                    MerchantId = merchantId, ExternalId = spec.ExternalId, Name = spec.Name, Description = spec.Description,
                    Category = CategoryFor(merchantId, spec.Category), Brand = spec.Brand, Price = spec.Price, FirstSeen = spec.FirstSeen,
                    IsAvailable = spec.IsAvailable, AttributesJson = spec.AttributesJson,
                };
                db.Products.Add(product);
                byMerchantAndId[(merchantId, spec.ExternalId)] = product;
                productsAdded++;
            }
            else if (spec.FromCatalogue)
            {
                product.Name = spec.Name;
                product.Description = spec.Description ?? product.Description;
                if (spec.Category.Count > 0) product.Category = CategoryFor(product.MerchantId, spec.Category);
                product.Brand = spec.Brand ?? product.Brand;
                product.Price = spec.Price ?? product.Price;
                product.AttributesJson = spec.AttributesJson ?? product.AttributesJson;
                productsUpdated++;
            }
            else if (spec.FirstSeen < product.FirstSeen && spec.FirstSeen != default)
                product.FirstSeen = spec.FirstSeen;
            productOf[key] = product;
        }
        await db.SaveChangesAsync(ct);

        // Customers.
        progress.Report(runId, 0.54, "storing customers");
        var customers = new Dictionary<string, Customer>(StringComparer.Ordinal);
        foreach (var chunk in data.Customers.Keys.Chunk(batch))
            foreach (var c in await db.Customers.Where(c => chunk.Contains(c.ExternalId)).ToListAsync(ct))
                customers[c.ExternalId] = c;
        var customersAdded = 0;
        foreach (var (id, info) in data.Customers)
        {
            if (customers.TryGetValue(id, out var c))
            {
                if (info.FirstSeen < c.FirstSeen) c.FirstSeen = info.FirstSeen;
                c.Country ??= info.Country;
                continue;
            }
            c = new Customer { ExternalId = id, Country = info.Country is null ? null : Clip(info.Country, 100), FirstSeen = info.FirstSeen };
            db.Customers.Add(c);
            customers[id] = c;
            customersAdded++;
        }
        await db.SaveChangesAsync(ct);

        // Events: drop those already stored, then bulk insert (a streaming import reads them from the file again here).
        progress.Report(runId, 0.56, "checking for events already stored");
        var anyStored = await db.Events.AnyAsync(ct);
        var inFileDuplicates = new StrongBox<long>(0);
        var expected = data.StreamEvents ? data.StreamedEvents : data.Events.Count;
        var storedCount = 0L;
        async IAsyncEnumerable<EventSpec> NotStored(IEnumerable<EventSpec> specs)
        {
            foreach (var chunk in specs.Chunk(batch))
            {
                var stored = new HashSet<string>(StringComparer.Ordinal);
                if (anyStored)
                {
                    var keys = chunk.Select(e => e.DedupKey).ToList();
                    stored.UnionWith(await db.Events.Where(e => keys.Contains(e.DedupKey)).Select(e => e.DedupKey).ToListAsync(ct));
                }
                storedCount += stored.Count;
                foreach (var e in chunk)
                    if (!stored.Contains(e.DedupKey)) yield return e;
            }
        }
        var specs = data.StreamEvents ? ReadEventStream(data.Source!.Value, inFileDuplicates, ct) : data.Events;
        var eventsAdded = 0L;
        async IAsyncEnumerable<BehaviorEvent> ToRows()
        {
            await foreach (var e in NotStored(specs))
            {
                eventsAdded++;
                yield return new BehaviorEvent
                {
                CustomerId = customers[e.UserId].Id,
                ProductId = productOf[(e.MerchantCode, e.ItemId)].Id,
                Timestamp = e.Timestamp,
                Type = e.Type,
                Quantity = e.Quantity,
                Price = e.Price,
                SessionId = e.SessionId,
                ImportRunId = runId,
                SourceLine = e.Line,
                DedupKey = e.DedupKey,
                };
            }
        }
        db.ChangeTracker.Clear();
        await BulkInsert.InsertAsync(db, ToRows(), mode, batch,
            n => progress.Report(runId, 0.58 + 0.37 * Math.Min(1, (double)n / Math.Max(1, expected)), $"storing events {n:N0} / {expected:N0}"), ct);
        data.InFileDuplicates += inFileDuplicates.Value;

        // Feedback (impressions, clicks): drop those already stored, then bulk insert.
        var storedFeedback = new HashSet<string>(StringComparer.Ordinal);
        if (data.Feedback.Count > 0 && await db.FeedbackEvents.AnyAsync(ct))
            foreach (var chunk in data.Feedback.Select(f => f.DedupKey).Chunk(batch))
                storedFeedback.UnionWith(await db.FeedbackEvents.Where(f => chunk.Contains(f.DedupKey)).Select(f => f.DedupKey).ToListAsync(ct));
        var merchantIds = merchants.ToDictionary(m => m.Code, m => m.Id, StringComparer.OrdinalIgnoreCase);
        var feedback = data.Feedback.Where(f => !storedFeedback.Contains(f.DedupKey)).Select(f => new FeedbackEvent
        {
            Kind = f.Kind, MerchantId = merchantIds[f.MerchantCode], ProductId = productOf[(f.MerchantCode, f.ItemId)].Id, Position = f.Position,
            Timestamp = f.Timestamp, Propensity = f.Propensity, ContextJson = f.ContextJson, ImportRunId = runId, SourceLine = f.Line,
            ImpressionKey = f.ImpressionKey, DedupKey = f.DedupKey,
        }).ToList();
        await BulkInsert.InsertAsync(db, feedback, mode, batch,
            n => progress.Report(runId, 0.90 + 0.05 * n / Math.Max(1, feedback.Count), $"storing feedback {n:N0} / {feedback.Count:N0}"), ct);
        var impressionsAdded = feedback.Count(f => f.Kind == FeedbackKind.Impression);
        var clicksAdded = feedback.Count(f => f.Kind == FeedbackKind.Click);

        progress.Report(runId, 0.96, "storing rejected rows");
        var rejections = data.Rejections.Select(r => new ImportRejection
        {
            ImportRunId = runId, Row = r.Row, Column = Clip(r.Column, 100), Value = r.Value is null ? null : Clip(r.Value, 200), Reason = Clip(r.Reason, 400),
        }).ToList();
        await BulkInsert.InsertAsync(db, rejections, mode, batch, null, ct);

        progress.Report(runId, 0.98, "committing");
        var run = await db.ImportRuns.SingleAsync(r => r.Id == runId, ct);
        run.Format = format;
        run.Sha256 = sha;
        run.RowsRead = data.RowsRead;
        run.RowsRejected = data.Rejections.Count;
        run.RowsSkipped = data.RowsSkipped;
        run.EventsAdded = eventsAdded + feedback.Count;
        run.DuplicateEvents = storedCount + storedFeedback.Count + data.InFileDuplicates;
        run.ProductsAdded = productsAdded;
        run.CustomersAdded = customersAdded;
        run.Status = ImportStatus.Succeeded;
        run.Progress = 1;
        run.FinishedAt = DateTime.UtcNow;
        var message = new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $"{format}: {data.RowsRead:N0} rows read, {eventsAdded:N0} events added")
            .Append(CultureInfo.InvariantCulture, $"{(data.Feedback.Count > 0 ? $" ({impressionsAdded:N0} impressions, {clicksAdded:N0} clicks)" : "")}")
            .Append(CultureInfo.InvariantCulture, $", {run.DuplicateEvents:N0} duplicates, {data.RowsSkipped:N0} rows skipped, {data.Rejections.Count:N0} rejected")
            .Append(CultureInfo.InvariantCulture, $"; {productsAdded:N0} products added");
        if (productsUpdated > 0) message.Append(CultureInfo.InvariantCulture, $", {productsUpdated:N0} updated");
        message.Append(CultureInfo.InvariantCulture, $"; {customersAdded:N0} customers added; {clock.Elapsed.TotalSeconds:F1} s.");
        run.Message = message.ToString();
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return run.Message;
    }

    private static string Clip(string value, int max) => value.Length <= max ? value : value[..(max - 3)] + "...";

    /// <summary>Reports the fraction of the underlying file read (throttled to every 1 MiB).</summary>
    private sealed class ProgressStream(FileStream inner, Action<double> onProgress) : Stream
    {
        private readonly long _length = Math.Max(1, inner.Length);
        private long _lastReport;
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => inner.Length;
        public override long Position { get => inner.Position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = inner.Read(buffer, offset, count);
            if (inner.Position - _lastReport >= 1 << 20 || n == 0)
            {
                _lastReport = inner.Position;
                onProgress((double)inner.Position / _length);
            }
            return n;
        }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        protected override void Dispose(bool disposing) { if (disposing) inner.Dispose(); base.Dispose(disposing); }
    }
}
