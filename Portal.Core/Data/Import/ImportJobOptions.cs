namespace Portal.Core.Data.Import;

/// <summary>How the import job writes the bulk rows (events and rejections).</summary>
public enum ImportWriteMode
{
    /// <summary><see cref="AdoNet"/> on SQLite, <see cref="EntityFramework"/> on other providers (SQL Server).</summary>
    Auto,
    /// <summary>EF Core in batches (<see cref="ImportJobOptions.BatchSize"/> rows per SaveChanges, change detection off). Works on every provider.</summary>
    EntityFramework,
    /// <summary>One prepared ADO.NET INSERT command reused for every row, on the context's connection and transaction. Fastest on SQLite.</summary>
    AdoNet,
}

/// <summary>Tuning of the import job (register as a singleton; optional).</summary>
public sealed class ImportJobOptions
{
    /// <summary>How events and rejections are written. Default <see cref="ImportWriteMode.Auto"/>.</summary>
    public ImportWriteMode WriteMode { get; set; } = ImportWriteMode.Auto;
    /// <summary>Rows per SaveChanges on the EF path and keys per duplicate lookup query. Default 10,000.</summary>
    public int BatchSize { get; set; } = 10_000;
    /// <summary>
    /// Event files (generic CSV / JSON lines, OTTO) of at least this many bytes are imported in two passes: products,
    /// customers and rejected rows first, then the events streamed from the file into the database, so memory does not
    /// grow with the number of events (20 million events would otherwise need about 18 GB). Same transaction, same
    /// result. Default 256 MiB; 0 streams every event file.
    /// </summary>
    public long StreamingThresholdBytes { get; set; } = 256L << 20;
}
