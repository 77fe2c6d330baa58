using Microsoft.EntityFrameworkCore;
using Portal.Core.Data;

namespace Portal.Core.Audit;

/// <summary>Filters of the audit log page; null fields do not filter.</summary>
/// <param name="Action">Exact action, e.g. <c>model.promote</c>.</param>
/// <param name="User">Part of the actor's login name (case-insensitive for ASCII letters).</param>
/// <param name="From">Earliest day (UTC date, inclusive).</param>
/// <param name="To">Latest day (UTC date, inclusive: entries before the next midnight).</param>
public sealed record AuditFilter(string? Action = null, string? User = null, DateTime? From = null, DateTime? To = null);

/// <summary>Reads the audit log, newest first, one page at a time (the audit log page's server-side paging).</summary>
public static class AuditQuery
{
    /// <summary>The entries <paramref name="filter"/> selects, newest first (then by id, descending).</summary>
    /// <param name="db">The context (a merchant account's context sees only its merchant's entries).</param>
    /// <param name="filter">The filters.</param>
    public static IQueryable<AuditEntry> Select(PortalDbContext db, AuditFilter filter)
    {
        var q = db.AuditEntries.AsNoTracking();
        if (!string.IsNullOrWhiteSpace(filter.Action)) q = q.Where(e => e.Action == filter.Action);
        if (!string.IsNullOrWhiteSpace(filter.User))
        {
            var user = filter.User.Trim().ToLowerInvariant();
            q = q.Where(e => e.UserName.ToLower().Contains(user));
        }
        if (filter.From is { } from) q = q.Where(e => e.At >= from.Date);
        if (filter.To is { } to) { var end = to.Date.AddDays(1); q = q.Where(e => e.At < end); }
        return q.OrderByDescending(e => e.At).ThenByDescending(e => e.Id);
    }

    /// <summary>One page of <see cref="Select"/> and the total count.</summary>
    /// <param name="db">The context.</param>
    /// <param name="filter">The filters.</param>
    /// <param name="page">Zero-based page.</param>
    /// <param name="pageSize">Rows per page (1..1000).</param>
    /// <param name="ct">Cancellation.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="page"/> is negative or <paramref name="pageSize"/> outside 1..1000.</exception>
    public static async Task<(IReadOnlyList<AuditEntry> Rows, int Total)> PageAsync(PortalDbContext db, AuditFilter filter, int page, int pageSize, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(page);
        if (pageSize is < 1 or > 1000) throw new ArgumentOutOfRangeException(nameof(pageSize), pageSize, "Page size must be 1..1000.");
        var q = Select(db, filter);
        var total = await q.CountAsync(ct);
        var rows = await q.Skip(page * pageSize).Take(pageSize).ToListAsync(ct);
        return (rows, total);
    }

    /// <summary>The distinct actions in the log, sorted (for the action filter).</summary>
    public static async Task<IReadOnlyList<string>> ActionsAsync(PortalDbContext db, CancellationToken ct = default) =>
        await db.AuditEntries.AsNoTracking().Select(e => e.Action).Distinct().OrderBy(a => a).ToListAsync(ct);
}
