namespace Portal.Core.Data.Import;

/// <summary>The formats the importer recognises (shared/FORMATS.md).</summary>
public enum ImportFormat
{
    /// <summary>Detect from the header row or the first JSON line.</summary>
    Auto,
    /// <summary>UCI Online Retail as published (InvoiceNo, StockCode, Description, Quantity, InvoiceDate, UnitPrice, CustomerID, Country).</summary>
    UciOnlineRetail,
    /// <summary>Generic events CSV (user_id, item_id, timestamp, event_type[, quantity, price, session_id]).</summary>
    EventsCsv,
    /// <summary>Generic events as JSON lines, same field names as the CSV.</summary>
    EventsJsonLines,
    /// <summary>Generic catalogue CSV (item_id, name[, description, category, brand, price, merchant]).</summary>
    ProductsCsv,
    /// <summary>Generic catalogue as JSON lines.</summary>
    ProductsJsonLines,
    /// <summary>OTTO sessions as JSON lines (session, events[aid, ts, type]).</summary>
    OttoSessions,
    /// <summary>Open Bandit impression logs (one row per impression with its click label), stored as feedback events.</summary>
    OpenBandit,
    /// <summary>Open Bandit item context (<c>item_context.csv</c>: item_id, item_feature_*), stored as the items' attributes.</summary>
    OpenBanditItemContext,
}

/// <summary>State of an import.</summary>
public enum ImportStatus
{
    /// <summary>Waiting for the job to start.</summary>
    Queued,
    /// <summary>Reading and storing.</summary>
    Running,
    /// <summary>Good rows stored (rejected rows, if any, are listed).</summary>
    Succeeded,
    /// <summary>Nothing stored: the file was refused (for example an unusable header) or the job failed.</summary>
    Failed,
}

/// <summary>One import of one file: counts, rejected rows and status. Progress is updated while it runs.</summary>
public class ImportRun
{
    /// <summary>Database key.</summary>
    public int Id { get; set; }
    /// <summary>File name as uploaded or given (no directory).</summary>
    public required string FileName { get; set; }
    /// <summary>Where the job reads the file from (server-side path).</summary>
    public string? StoredPath { get; set; }
    /// <summary>Format requested or detected.</summary>
    public ImportFormat Format { get; set; }
    /// <summary>SHA-256 of the file's bytes (hex, lower case).</summary>
    public string? Sha256 { get; set; }
    /// <summary>Current state.</summary>
    public ImportStatus Status { get; set; }
    /// <summary>Fraction of the file read, 0 to 1.</summary>
    public double Progress { get; set; }
    /// <summary>When the import was requested (UTC).</summary>
    public DateTime CreatedAt { get; set; } = DateTime.UtcNow;
    /// <summary>When the job started (UTC).</summary>
    public DateTime? StartedAt { get; set; }
    /// <summary>When the job ended (UTC).</summary>
    public DateTime? FinishedAt { get; set; }
    /// <summary>Data rows read (header excluded).</summary>
    public long RowsRead { get; set; }
    /// <summary>New events stored.</summary>
    public long EventsAdded { get; set; }
    /// <summary>Events already stored by an earlier import (not added again).</summary>
    public long DuplicateEvents { get; set; }
    /// <summary>Rows deliberately not turned into events (for UCI: no CustomerID, zero price); not errors.</summary>
    public long RowsSkipped { get; set; }
    /// <summary>Rows rejected as bad input; each one is listed in <see cref="Rejections"/>.</summary>
    public long RowsRejected { get; set; }
    /// <summary>New products stored.</summary>
    public int ProductsAdded { get; set; }
    /// <summary>New customers stored.</summary>
    public int CustomersAdded { get; set; }
    /// <summary>Human-readable outcome or the reason of a failure (names file and columns).</summary>
    public string? Message { get; set; }
    /// <summary>Who asked for the import (user name or <c>system</c>).</summary>
    public string RequestedBy { get; set; } = "system";
    /// <summary>The rejected rows.</summary>
    public List<ImportRejection> Rejections { get; set; } = [];
}

/// <summary>A row of an import that was rejected: file, row number, column and reason.</summary>
public class ImportRejection
{
    /// <summary>Database key.</summary>
    public long Id { get; set; }
    /// <summary>The import.</summary>
    public int ImportRunId { get; set; }
    /// <summary>Row number in the file (1 = the header row; for JSON lines, the line number).</summary>
    public long Row { get; set; }
    /// <summary>The column or field at fault.</summary>
    public required string Column { get; set; }
    /// <summary>The offending value as read (truncated to 200 characters).</summary>
    public string? Value { get; set; }
    /// <summary>Why the row was rejected.</summary>
    public required string Reason { get; set; }
}
