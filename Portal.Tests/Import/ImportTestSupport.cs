using System.Text;
using Hangfire;
using Hangfire.Storage.SQLite;
using Microsoft.EntityFrameworkCore;
using Portal.Core;
using Portal.Core.Data.Import;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Import;

/// <summary>A real SQLite database plus the import job, tracker and service wired on it (Hangfire storage in SQLite, no server).</summary>
internal sealed class ImportFixture : IDisposable
{
    public ImportFixture(ImportWriteMode mode = ImportWriteMode.Auto, long streamingThresholdBytes = 256L << 20)
    {
        Db = new SqliteTestDatabase();
        Tracker = new ImportProgressTracker();
        Job = new ImportJob(Db.Factory, Tracker, new ImportJobOptions { WriteMode = mode, BatchSize = 1_000, StreamingThresholdBytes = streamingThresholdBytes });
        Storage = new SQLiteStorage(Path.Combine(Db.Directory, "hangfire.db"), new SQLiteStorageOptions());
        Jobs = new BackgroundJobClient(Storage);
        Service = new ImportService(Db.Factory, new PortalPaths(Db.Directory), Jobs, Job);
    }

    public SqliteTestDatabase Db { get; }
    public ImportProgressTracker Tracker { get; }
    public ImportJob Job { get; }
    public SQLiteStorage Storage { get; }
    public IBackgroundJobClient Jobs { get; }
    public ImportService Service { get; }

    /// <summary>Creates a queued run for <paramref name="path"/>, runs the job directly and returns the run with its rejections.</summary>
    public async Task<ImportRun> ImportAsync(string path, ImportFormat format = ImportFormat.Auto, CancellationToken ct = default)
    {
        int id;
        await using (var db = Db.CreateContext())
        {
            var run = new ImportRun { FileName = Path.GetFileName(path), StoredPath = path, Format = format, Status = ImportStatus.Queued };
            db.ImportRuns.Add(run);
            await db.SaveChangesAsync();
            id = run.Id;
        }
        await Job.RunAsync(id, ct);
        await using var read = Db.CreateContext();
        return await read.ImportRuns.AsNoTracking().Include(r => r.Rejections).SingleAsync(r => r.Id == id);
    }

    /// <summary>Writes <paramref name="content"/> as a UTF-8 file in the database's folder and returns its path.</summary>
    public string WriteFile(string name, string content)
    {
        var path = Path.Combine(Db.Directory, name);
        File.WriteAllText(path, content, new UTF8Encoding(false));
        return path;
    }

    public void Dispose()
    {
        Storage.Dispose();
        Db.Dispose();
    }
}

/// <summary>Locates the test data and the bundled data of the repository.</summary>
internal static class TestFiles
{
    private static readonly Lazy<string> Root = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Portal.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException("Portal.sln not found above " + AppContext.BaseDirectory);
    });

    /// <summary>A file under Portal.Tests/TestData.</summary>
    public static string TestData(params string[] parts) => Path.Combine([Root.Value, "Portal.Tests", "TestData", .. parts]);

    /// <summary>The bundled UCI Online Retail file (data/online_retail.csv.gz).</summary>
    public static string UciOnlineRetail => Path.Combine(Root.Value, "data", "online_retail.csv.gz");
}
