using System.Globalization;
using CsvHelper;
using CsvHelper.Configuration;
using Hangfire;
using Microsoft.EntityFrameworkCore;
using Portal.Core.Data.Sources;

namespace Portal.Core.Data.Import;

/// <summary>
/// Stores uploaded files under <see cref="PortalPaths.Uploads"/>, records an <see cref="ImportRun"/> and enqueues
/// <see cref="ImportJob.RunAsync"/> on Hangfire's <c>default</c> queue; also imports files already on disk (first start)
/// and exports rejected rows as CSV.
/// </summary>
public sealed class ImportService(
    IDbContextFactory<PortalDbContext> dbFactory,
    PortalPaths paths,
    IBackgroundJobClient jobs,
    ImportJob job) : IImportService
{
    /// <inheritdoc />
    /// <exception cref="ArgumentException"><paramref name="fileName"/> is empty.</exception>
    public async Task<int> EnqueueAsync(string fileName, Stream content, ImportFormat format, string requestedBy, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(fileName);
        var name = Path.GetFileName(fileName);
        Directory.CreateDirectory(paths.Uploads);
        var stored = Path.Combine(paths.Uploads, $"{DateTime.UtcNow:yyyyMMddHHmmss}-{Guid.NewGuid():n}-{SafeName(name)}");
        await using (var file = File.Create(stored))
            await content.CopyToAsync(file, ct);
        var id = await CreateRunAsync(name, stored, format, requestedBy, ct);
        var job = jobs.Enqueue<ImportJob>(j => j.RunAsync(id, CancellationToken.None));
        // Each import is followed by a recomputation of the customers' tiers.
        jobs.ContinueJobWith<Tiers.SegmentationJob>(job, t => t.RunAsync("import", CancellationToken.None));
        return id;
    }

    /// <summary>
    /// Queues the import of a file already on disk (for example the bundled data at the host's first start), unless the
    /// same bytes (SHA-256) were already imported successfully or are queued or running; the file is read where it is.
    /// </summary>
    /// <param name="path">The file (gzip allowed).</param>
    /// <param name="format">The format, or <see cref="ImportFormat.Auto"/>.</param>
    /// <param name="requestedBy">User name for the record (<c>system</c> at first start).</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>The id of the new run, or of the earlier run with the same content.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public async Task<int> EnqueueExistingFileAsync(string path, ImportFormat format, string requestedBy, CancellationToken ct = default)
    {
        var (id, isNew) = await CreateRunForExistingAsync(path, format, requestedBy, ct);
        if (isNew)
        {
            var job = jobs.Enqueue<ImportJob>(j => j.RunAsync(id, CancellationToken.None));
            jobs.ContinueJobWith<Tiers.SegmentationJob>(job, t => t.RunAsync("import", CancellationToken.None));
        }
        return id;
    }

    /// <summary>
    /// Imports a file already on disk now, in the calling thread (no Hangfire), unless the same bytes were already
    /// imported successfully or are queued or running. Refused files end as a Failed run; nothing is thrown for bad data.
    /// </summary>
    /// <param name="path">The file (gzip allowed).</param>
    /// <param name="format">The format, or <see cref="ImportFormat.Auto"/>.</param>
    /// <param name="requestedBy">User name for the record.</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>The finished run (or the earlier run with the same content).</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public async Task<ImportRun> ImportExistingFileAsync(string path, ImportFormat format, string requestedBy, CancellationToken ct = default)
    {
        var (id, isNew) = await CreateRunForExistingAsync(path, format, requestedBy, ct);
        if (isNew) await job.RunAsync(id, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.ImportRuns.AsNoTracking().SingleAsync(r => r.Id == id, ct);
    }

    /// <inheritdoc />
    public async Task WriteRejectionsCsvAsync(int importRunId, TextWriter output, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var fileName = await db.ImportRuns.Where(r => r.Id == importRunId).Select(r => r.FileName).SingleOrDefaultAsync(ct)
            ?? throw new KeyNotFoundException($"Import run {importRunId} does not exist.");
        await using var csv = new CsvWriter(output, new CsvConfiguration(CultureInfo.InvariantCulture), leaveOpen: true);
        foreach (var h in new[] { "file", "row", "column", "value", "reason" }) csv.WriteField(h);
        await csv.NextRecordAsync();
        await foreach (var r in db.ImportRejections.AsNoTracking().Where(r => r.ImportRunId == importRunId)
                           .OrderBy(r => r.Row).ThenBy(r => r.Id).AsAsyncEnumerable().WithCancellation(ct))
        {
            csv.WriteField(fileName);
            csv.WriteField(r.Row);
            csv.WriteField(r.Column);
            csv.WriteField(r.Value);
            csv.WriteField(r.Reason);
            await csv.NextRecordAsync();
        }
        await csv.FlushAsync();
    }

    /// <summary>The run's record (no rejections loaded), or null.</summary>
    /// <param name="importRunId">The import run.</param>
    /// <param name="ct">Cancellation.</param>
    public async Task<ImportRun?> GetAsync(int importRunId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.ImportRuns.AsNoTracking().SingleOrDefaultAsync(r => r.Id == importRunId, ct);
    }

    private async Task<(int Id, bool IsNew)> CreateRunForExistingAsync(string path, ImportFormat format, string requestedBy, CancellationToken ct)
    {
        var full = Path.GetFullPath(path);
        if (!File.Exists(full)) throw new FileNotFoundException($"The file to import does not exist: {full}", full);
        var sha = SourceFile.Sha256(full);
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            var earlier = await db.ImportRuns.AsNoTracking()
                .Where(r => r.Sha256 == sha && r.Status != ImportStatus.Failed)
                .OrderByDescending(r => r.Id).Select(r => (int?)r.Id).FirstOrDefaultAsync(ct);
            if (earlier is { } id) return (id, false);
        }
        return (await CreateRunAsync(Path.GetFileName(full), full, format, requestedBy, ct, sha), true);
    }

    private async Task<int> CreateRunAsync(string fileName, string storedPath, ImportFormat format, string requestedBy, CancellationToken ct, string? sha = null)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var run = new ImportRun
        {
            FileName = fileName, StoredPath = storedPath, Format = format, Status = ImportStatus.Queued,
            RequestedBy = string.IsNullOrWhiteSpace(requestedBy) ? "system" : requestedBy, Sha256 = sha ?? SourceFile.Sha256(storedPath),
        };
        db.ImportRuns.Add(run);
        await db.SaveChangesAsync(ct);
        return run.Id;
    }

    private static string SafeName(string name)
    {
        var invalid = Path.GetInvalidFileNameChars();
        var safe = new string(name.Select(c => invalid.Contains(c) || char.IsWhiteSpace(c) ? '_' : c).ToArray());
        return safe.Length > 100 ? safe[^100..] : safe;
    }
}
