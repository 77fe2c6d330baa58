namespace Portal.Core.Data;

/// <summary>Which database the portal uses. Bound from the <c>Database</c> configuration section.</summary>
public sealed class DatabaseOptions
{
    /// <summary><c>Sqlite</c> (the embedded default) or <c>SqlServer</c>.</summary>
    public string Provider { get; set; } = "Sqlite";
    /// <summary>ADO.NET connection string. Default for SQLite: <c>Data Source=data/portal.db</c> under the content root.</summary>
    public string? ConnectionString { get; set; }
    /// <summary>True when <see cref="Provider"/> names SQL Server.</summary>
    public bool IsSqlServer => Provider.Equals("SqlServer", StringComparison.OrdinalIgnoreCase);
}
