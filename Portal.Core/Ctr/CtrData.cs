using Microsoft.EntityFrameworkCore;
using Portal.Core.Data;
using Portal.Core.Data.Sources;
using Portal.Core.Feedback;

namespace Portal.Core.Ctr;

/// <summary>Labelled impressions with the dataset's name and checksum (what an evaluation run records).</summary>
/// <param name="Name">Dataset name (file name, or <c>feedback:zozotown</c>).</param>
/// <param name="Sha256">SHA-256 of the source file, or of the ordered feedback rows.</param>
/// <param name="Impressions">The impressions, ordered by (timestamp, order).</param>
/// <param name="Rejections">Rows of the source that were rejected (bad fields), with row, column and reason.</param>
public sealed record CtrDataset(string Name, string Sha256, IReadOnlyList<CtrImpression> Impressions, IReadOnlyList<SourceRejection> Rejections);

/// <summary>Reads Open Bandit files as published straight into labelled impressions (the <c>evaluate-ctr</c> verb).</summary>
public static class OpenBanditCtrData
{
    /// <summary>
    /// Reads an impression log and its item context. Without <paramref name="itemContextPath"/>, the
    /// <c>item_context.csv</c> beside the log is used when it exists (the published layout).
    /// </summary>
    /// <param name="eventsPath">The log (<c>men.csv.gz</c>; gzip or plain).</param>
    /// <param name="itemContextPath">The item context file, or null.</param>
    /// <returns>The impressions in time order; bad rows are in <see cref="CtrDataset.Rejections"/>.</returns>
    /// <exception cref="SourceFormatException">A header is not an Open Bandit header (names the file and columns).</exception>
    /// <exception cref="FileNotFoundException">A file does not exist.</exception>
    public static CtrDataset Load(string eventsPath, string? itemContextPath = null)
    {
        itemContextPath ??= Path.Combine(Path.GetDirectoryName(Path.GetFullPath(eventsPath)) ?? ".", "item_context.csv") is var sibling && File.Exists(sibling) ? sibling : null;
        var rejections = new List<SourceRejection>();
        var items = new Dictionary<string, OpenBanditItem>(StringComparer.Ordinal);
        if (itemContextPath is not null)
        {
            using var itemText = SourceFile.OpenText(itemContextPath);
            foreach (var (item, rejection) in OpenBanditReader.ReadItems(itemText, Path.GetFileName(itemContextPath)))
                if (item is not null) items[item.ItemId] = item;
                else rejections.Add(rejection! with { Column = Path.GetFileName(itemContextPath) + ":" + rejection!.Column });
        }
        var impressions = new List<CtrImpression>();
        using (var text = SourceFile.OpenText(eventsPath))
            foreach (var (imp, rejection) in OpenBanditReader.ReadImpressions(text, Path.GetFileName(eventsPath)))
            {
                if (imp is null) { rejections.Add(rejection!); continue; }
                items.TryGetValue(imp.ItemId, out var item);
                var features = CtrFeatures.Build(imp.ItemId, imp.Position, imp.UserFeatures, imp.Affinities,
                    item?.Categorical ?? [], item?.Numeric ?? []);
                impressions.Add(new CtrImpression(features, imp.Timestamp, imp.Row, imp.Click));
            }
        impressions.Sort((a, b) => a.Timestamp != b.Timestamp ? a.Timestamp.CompareTo(b.Timestamp) : a.Order.CompareTo(b.Order));
        return new CtrDataset(Path.GetFileName(eventsPath), SourceFile.Sha256(eventsPath), impressions, rejections);
    }
}

/// <summary>Reads labelled impressions from the feedback table (the CTR training job).</summary>
public static class FeedbackCtrData
{
    /// <summary>
    /// Loads the impressions of a merchant with their labels: an impression is positive when a click shares its
    /// <see cref="FeedbackEvent.ImpressionKey"/>. Features come from the impression's logged context and the
    /// product's attributes (<see cref="CtrFeatures.Build"/>, the same rule as for files).
    /// </summary>
    /// <param name="db">The database.</param>
    /// <param name="merchantCode">The merchant (default: Open Bandit's <c>zozotown</c>).</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>The impressions in time order (empty when the merchant has none).</returns>
    public static async Task<CtrDataset> LoadAsync(PortalDbContext db, string merchantCode = OpenBanditReader.MerchantCode, CancellationToken ct = default)
    {
        var merchantId = await db.Merchants.Where(m => m.Code == merchantCode).Select(m => (int?)m.Id).SingleOrDefaultAsync(ct);
        var name = "feedback:" + merchantCode;
        if (merchantId is null) return new CtrDataset(name, "", [], []);
        var clicked = (await db.FeedbackEvents.AsNoTracking().Where(f => f.MerchantId == merchantId && f.Kind == FeedbackKind.Click)
            .Select(f => f.ImpressionKey).ToListAsync(ct)).ToHashSet(StringComparer.Ordinal);
        var products = await db.Products.AsNoTracking().Where(p => p.MerchantId == merchantId)
            .Select(p => new { p.Id, p.ExternalId, p.AttributesJson }).ToDictionaryAsync(p => p.Id, ct);
        var attributes = products.ToDictionary(kv => kv.Key, kv => CtrFeatures.SplitJson(kv.Value.AttributesJson));
        var rows = await db.FeedbackEvents.AsNoTracking().Where(f => f.MerchantId == merchantId && f.Kind == FeedbackKind.Impression)
            .OrderBy(f => f.Timestamp).ThenBy(f => f.Id)
            .Select(f => new { f.Id, f.ProductId, f.Position, f.Timestamp, f.ContextJson, f.ImpressionKey }).ToListAsync(ct);
        var impressions = new List<CtrImpression>(rows.Count);
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        foreach (var r in rows)
        {
            var (cs, cn) = CtrFeatures.SplitJson(r.ContextJson);
            var (istr, inum) = attributes[r.ProductId];
            var features = CtrFeatures.Build(products[r.ProductId].ExternalId, r.Position ?? 0, cs, cn, istr, inum);
            var label = clicked.Contains(r.ImpressionKey);
            impressions.Add(new CtrImpression(features, DateTime.SpecifyKind(r.Timestamp, DateTimeKind.Utc), r.Id, label));
            hash.AppendData(System.Text.Encoding.UTF8.GetBytes($"{r.ImpressionKey}:{(label ? 1 : 0)}\n"));
        }
        return new CtrDataset(name, Convert.ToHexStringLower(hash.GetHashAndReset()), impressions, []);
    }
}
