using Portal.Core.Data;
using Portal.Core.Data.Import;

namespace Portal.Tests.Components;

/// <summary>
/// Real rows of the bundled UCI Online Retail file (data/online_retail.csv.gz) for the component tests, stored by the
/// real import job: every row of the first day (1 December 2010, where customer 17850 opens the file with invoice
/// 536365) plus every row of the customers whose id is a multiple of <see cref="CustomerSampleModulus"/> over the whole
/// year (so that the log spans more than the 2 × 30 days the training pipeline's splits need).
/// </summary>
public static class UciSeed
{
    /// <summary>The day whose rows are all kept.</summary>
    public const string FirstDay = "2010-12-01";
    /// <summary>Customers whose numeric id is a multiple of this are kept for the whole year.</summary>
    public const int CustomerSampleModulus = 100;
    /// <summary>The customer of the first invoice of the file.</summary>
    public const string FirstCustomer = "17850";

    private static readonly Lazy<string> Sample = new(() =>
    {
        var sb = new System.Text.StringBuilder();
        using var gz = new System.IO.Compression.GZipStream(File.OpenRead(Portal.Tests.Import.TestFiles.UciOnlineRetail), System.IO.Compression.CompressionMode.Decompress);
        using var reader = new StreamReader(gz);
        sb.Append(reader.ReadLine()).Append('\n'); // header
        while (reader.ReadLine() is { } line)
        {
            // InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country: only Description may hold
            // commas (quoted), so the fields used here are read from the right.
            var f = line.Split(',');
            if (f.Length < 8) continue;
            var customer = f[^2];
            if (f[^4].StartsWith(FirstDay, StringComparison.Ordinal)
                || (int.TryParse(customer, out var c) && c % CustomerSampleModulus == 0))
                sb.Append(line).Append('\n');
        }
        return sb.ToString();
    });

    /// <summary>
    /// Imports the sample with the real <see cref="ImportJob"/> into <paramref name="database"/> and returns the database
    /// id of customer 17850.
    /// </summary>
    /// <param name="database">The test database (the sample file is written into its folder).</param>
    public static int Seed(Portal.Tests.Infrastructure.SqliteTestDatabase database)
    {
        var path = Path.Combine(database.Directory, "online_retail_sample.csv");
        File.WriteAllText(path, Sample.Value, new System.Text.UTF8Encoding(false));
        int id;
        using (var db = database.CreateContext())
        {
            var run = new ImportRun { FileName = "online_retail_sample.csv", StoredPath = path, Format = ImportFormat.UciOnlineRetail, Status = ImportStatus.Queued, RequestedBy = "test" };
            db.ImportRuns.Add(run);
            db.SaveChanges();
            id = run.Id;
        }
        new ImportJob(database.Factory, new ImportProgressTracker()).RunAsync(id, CancellationToken.None).GetAwaiter().GetResult();
        using var read = database.CreateContext();
        var imported = read.ImportRuns.Single(r => r.Id == id);
        if (imported.Status != ImportStatus.Succeeded) throw new InvalidOperationException($"The UCI sample did not import: {imported.Message}");
        return read.Customers.Single(c => c.ExternalId == FirstCustomer).Id;
    }

    /// <summary>Stores a finished UCI import with the given rejected rows and returns its id.</summary>
    /// <param name="factory">The test database.</param>
    /// <param name="rejections">Rejected rows (row, column, value, reason).</param>
    public static int SeedImport(Microsoft.EntityFrameworkCore.IDbContextFactory<PortalDbContext> factory,
        params (long Row, string Column, string? Value, string Reason)[] rejections)
    {
        using var db = factory.CreateDbContext();
        var run = new ImportRun
        {
            FileName = "online_retail.csv", Format = ImportFormat.UciOnlineRetail, Status = ImportStatus.Succeeded, Progress = 1,
            CreatedAt = new DateTime(2026, 11, 30, 8, 0, 0, DateTimeKind.Utc), StartedAt = new DateTime(2026, 11, 30, 8, 0, 1, DateTimeKind.Utc),
            FinishedAt = new DateTime(2026, 11, 30, 8, 1, 10, DateTimeKind.Utc), RowsRead = 541909, EventsAdded = 392732,
            RowsSkipped = 136534, RowsRejected = rejections.Length, Message = "Imported 392,732 events.", RequestedBy = "first-start",
            Rejections = rejections.Select(r => new ImportRejection { Row = r.Row, Column = r.Column, Value = r.Value, Reason = r.Reason }).ToList(),
        };
        db.ImportRuns.Add(run);
        db.SaveChanges();
        return run.Id;
    }
}
