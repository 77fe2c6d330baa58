namespace Portal.Core.Data.Import;

/// <summary>Starts imports as background jobs and serves their results.</summary>
public interface IImportService
{
    /// <summary>
    /// Saves the uploaded content under the data folder, creates a queued <see cref="ImportRun"/> and enqueues the
    /// import job on the <c>default</c> queue.
    /// </summary>
    /// <param name="fileName">The file's name as uploaded (used in messages).</param>
    /// <param name="content">The file's bytes (gzip allowed).</param>
    /// <param name="format">The format, or <see cref="ImportFormat.Auto"/> to detect it from the header.</param>
    /// <param name="requestedBy">User name for the record.</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>The id of the new import run.</returns>
    Task<int> EnqueueAsync(string fileName, Stream content, ImportFormat format, string requestedBy, CancellationToken ct = default);

    /// <summary>Writes the rejected rows of an import as CSV (file, row, column, value, reason) with a header row.</summary>
    /// <exception cref="KeyNotFoundException">No such import.</exception>
    Task WriteRejectionsCsvAsync(int importRunId, TextWriter output, CancellationToken ct = default);
}
