using System.Collections.Concurrent;

namespace Portal.Core.Delivery;

/// <summary>
/// The JSON-lines file sink: appends <see cref="PushEnvelope.Body"/> and a line feed to
/// <c>{data}/{FileSinkFolder}/{merchant}/batch-{id}.jsonl</c> and flushes it to disk before returning, so a push the
/// outbox marks Delivered is on disk. One writer per file inside a process; other processes append with O_APPEND
/// semantics (FileMode.Append, shared). Consumers de-duplicate on <c>idempotencyKey</c> like webhook receivers.
/// </summary>
/// <param name="paths">The data folder.</param>
/// <param name="options">Delivery settings (<see cref="DeliveryOptions.FileSinkFolder"/>).</param>
public sealed class JsonLinesPushChannel(PortalPaths paths, DeliveryOptions options) : IPushChannel
{
    private static readonly ConcurrentDictionary<string, SemaphoreSlim> Locks = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public string Name => PushChannels.File;

    /// <summary>The file the pushes of batch <paramref name="batchId"/> of merchant <paramref name="merchantCode"/> go to.</summary>
    /// <param name="merchantCode">The merchant's code (characters invalid in file names become '_').</param>
    /// <param name="batchId">The batch.</param>
    public string FileFor(string merchantCode, int batchId)
    {
        var folder = Path.IsPathRooted(options.FileSinkFolder) ? options.FileSinkFolder : Path.Combine(paths.DataDirectory, options.FileSinkFolder);
        var safe = string.Concat(merchantCode.Select(c => Path.GetInvalidFileNameChars().Contains(c) || c == '.' ? '_' : c));
        return Path.Combine(folder, safe, $"batch-{batchId}.jsonl");
    }

    /// <inheritdoc />
    public async Task SendAsync(PushEnvelope push, CancellationToken ct)
    {
        var file = FileFor(push.MerchantCode, push.BatchId);
        var gate = Locks.GetOrAdd(file, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            var body = push.Body();
            var line = new byte[body.Length + 1];
            body.CopyTo(line, 0);
            line[^1] = (byte)'\n';
            await using var stream = new FileStream(file, FileMode.Append, FileAccess.Write, FileShare.ReadWrite, 4096, FileOptions.Asynchronous);
            await stream.WriteAsync(line, ct);
            await stream.FlushAsync(ct);
            stream.Flush(flushToDisk: true);
        }
        catch (IOException e)
        {
            throw new PushChannelException($"Push {push.IdempotencyKey}: could not append to {file}: {e.Message}", e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new PushChannelException($"Push {push.IdempotencyKey}: may not write {file}: {e.Message}", e);
        }
        finally
        {
            gate.Release();
        }
    }
}
