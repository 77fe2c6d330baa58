// INTERIM: hand-written stand-ins for IRecommendationPreviewService, IImportService and ITrainingService, which other
// engineers are implementing in parallel. They read and write the same real SQLite test database as the pages.
// To be replaced by the real services at integration (keep the assertions of the tests that use them).
using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Portal.Core.Data;
using Portal.Core.Data.Import;
using Portal.Core.Recommendation;
using Portal.Core.Training;

namespace Portal.Tests.Components;

/// <summary>
/// INTERIM preview service: the history comes from the database; the push list is the catalogue by purchase count
/// (the customer's own purchases excluded), with reasons cycling through the five kinds. Replace at integration.
/// </summary>
public sealed class InterimPreviewService(IDbContextFactory<PortalDbContext> contexts, params string[] models) : IRecommendationPreviewService
{
    /// <summary>The reason kinds, in the order the items receive them.</summary>
    public static readonly string[] Kinds = ["similar-items", "repeat", "popular", "similar-users", "linear"];

    /// <inheritdoc />
    public Task<IReadOnlyList<string>> AvailableModelsAsync(CancellationToken ct = default) => Task.FromResult<IReadOnlyList<string>>(models);

    /// <inheritdoc />
    public async Task<RecommendationPreview> PreviewAsync(int customerId, string model, int n = 20, CancellationToken ct = default)
    {
        var watch = Stopwatch.StartNew();
        if (!models.Contains(model)) throw new KeyNotFoundException($"Model '{model}' has no active version.");
        await using var db = await contexts.CreateDbContextAsync(ct);
        var customer = await db.Customers.FirstOrDefaultAsync(c => c.Id == customerId, ct) ?? throw new KeyNotFoundException($"No customer {customerId}.");
        var history = await db.Events.Where(e => e.CustomerId == customerId).OrderByDescending(e => e.Timestamp).ThenByDescending(e => e.SourceLine).Take(200)
            .Select(e => new { e.ProductId, e.Product!.ExternalId, e.Product.Name, e.Timestamp, e.Type, e.Quantity }).ToListAsync(ct);
        var bought = history.Select(h => h.ProductId).ToHashSet();
        var products = await db.Products.Select(p => new { p.Id, p.ExternalId, p.Name, p.Price, Buys = db.Events.Count(e => e.ProductId == p.Id) })
            .ToListAsync(ct);
        var because = history.Take(2).Select((h, i) => new ReasonItem(h.ExternalId, h.Name, 0.9 - i * 0.2)).ToList();
        var items = products.Where(p => !bought.Contains(p.Id)).OrderByDescending(p => p.Buys).ThenBy(p => p.ExternalId, StringComparer.Ordinal)
            .Take(n)
            .Select((p, i) => new PreviewItem(i + 1, p.Id, p.ExternalId, p.Name, p.Price, 1.0 / (i + 1),
                new PreviewReason(Kinds[i % Kinds.Length], Kinds[i % Kinds.Length] == "similar-items" ? because : [])))
            .ToList();
        var hist = history.Select(h => new PreviewHistoryItem(h.ProductId, h.ExternalId, h.Name, h.Timestamp, h.Type.ToString().ToLowerInvariant(), h.Quantity)).ToList();
        return new RecommendationPreview(customerId, customer.ExternalId, model, "interim-1", hist, items, watch.Elapsed.TotalMilliseconds);
    }
}

/// <summary>INTERIM import service: records the upload and stores a queued run; writes rejections from the database. Replace at integration.</summary>
public sealed class InterimImportService(IDbContextFactory<PortalDbContext> contexts) : IImportService
{
    /// <summary>What <see cref="EnqueueAsync"/> received: file name, bytes, format, user.</summary>
    public List<(string FileName, byte[] Content, ImportFormat Format, string RequestedBy)> Received { get; } = [];

    /// <inheritdoc />
    public async Task<int> EnqueueAsync(string fileName, Stream content, ImportFormat format, string requestedBy, CancellationToken ct = default)
    {
        using var buffer = new MemoryStream();
        await content.CopyToAsync(buffer, ct);
        Received.Add((fileName, buffer.ToArray(), format, requestedBy));
        await using var db = await contexts.CreateDbContextAsync(ct);
        var run = new ImportRun { FileName = fileName, Format = format, Status = ImportStatus.Queued, RequestedBy = requestedBy };
        db.ImportRuns.Add(run);
        await db.SaveChangesAsync(ct);
        return run.Id;
    }

    /// <inheritdoc />
    public async Task WriteRejectionsCsvAsync(int importRunId, TextWriter output, CancellationToken ct = default)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var run = await db.ImportRuns.Include(r => r.Rejections).FirstOrDefaultAsync(r => r.Id == importRunId, ct)
            ?? throw new KeyNotFoundException($"No import {importRunId}.");
        await output.WriteLineAsync("file,row,column,value,reason");
        foreach (var r in run.Rejections.OrderBy(r => r.Row))
            await output.WriteLineAsync($"{run.FileName},{r.Row},{r.Column},\"{r.Value?.Replace("\"", "\"\"")}\",\"{r.Reason.Replace("\"", "\"\"")}\"");
    }
}

/// <summary>INTERIM training service: stores one queued run per model. Replace at integration.</summary>
public sealed class InterimTrainingService(IDbContextFactory<PortalDbContext> contexts) : ITrainingService
{
    /// <inheritdoc />
    public IReadOnlyList<string> TrainableModels { get; } = ["popularity", "repeat", "itemknn", "userknn", "ease"];

    /// <inheritdoc />
    public async Task<IReadOnlyList<int>> EnqueueAsync(IEnumerable<string> models, string triggeredBy, CancellationToken ct = default)
    {
        var names = models.ToList();
        foreach (var m in names)
            if (!TrainableModels.Contains(m)) throw new ArgumentException($"'{m}' is not a trainable model.", nameof(models));
        await using var db = await contexts.CreateDbContextAsync(ct);
        var runs = names.Select(m => new TrainingRun { Model = m, Version = $"interim-{Guid.NewGuid():n}"[..16], Status = TrainingStatus.Queued, TriggeredBy = triggeredBy }).ToList();
        db.TrainingRuns.AddRange(runs);
        await db.SaveChangesAsync(ct);
        return runs.Select(r => r.Id).ToList();
    }
}
