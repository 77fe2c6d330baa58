using Microsoft.Data.SqlClient;
using Portal.Core.Data;

namespace Portal.Server.Hosting;

/// <summary>
/// Fail-fast check run by the web and worker roles before their host is built: with <c>Database:Provider</c> =
/// <c>SqlServer</c>, one connection attempt to the server (its <c>master</c> database, since the portal's own database
/// may not exist before the first migration) with a short timeout and no retries. Without it, an unreachable server
/// surfaces only after EF Core's and Hangfire's retries (about 30 s) as an unhandled exception deep in Hangfire.
/// SQLite needs no probe (a local file).
/// </summary>
public static class DatabaseProbe
{
    /// <summary>Exit code of a process that stopped because its database could not be reached or configured.</summary>
    public const int ExitCode = 3;

    /// <summary>Default of <c>Database:ConnectTimeoutSeconds</c>: how long the probe waits for the server, in seconds.</summary>
    public const int DefaultTimeoutSeconds = 5;

    /// <summary>
    /// Probes the configured database. On failure writes one clear message to <paramref name="stderr"/> (naming the
    /// server and what to check) and returns <see cref="ExitCode"/>; returns null when the process may start.
    /// </summary>
    /// <param name="configuration">Configuration: <c>Database:Provider</c>, <c>Database:ConnectionString</c>,
    /// <c>Database:ConnectTimeoutSeconds</c> (1 to 120; default <see cref="DefaultTimeoutSeconds"/>).</param>
    /// <param name="stderr">Where the failure message goes.</param>
    /// <param name="ct">Cancellation.</param>
    public static async Task<int?> FailFastAsync(IConfiguration configuration, TextWriter stderr, CancellationToken ct = default)
    {
        var database = configuration.GetSection("Database").Get<DatabaseOptions>() ?? new DatabaseOptions();
        var timeout = Math.Clamp(configuration.GetValue<int?>("Database:ConnectTimeoutSeconds") ?? DefaultTimeoutSeconds, 1, 120);
        var error = await ProbeAsync(database, timeout, ct);
        if (error is null) return null;
        await stderr.WriteLineAsync(error);
        return ExitCode;
    }

    /// <summary>One connection attempt; returns null when the server answered, else the message to show.</summary>
    /// <param name="database">Provider and connection string.</param>
    /// <param name="timeoutSeconds">Connect timeout in seconds.</param>
    /// <param name="ct">Cancellation.</param>
    public static async Task<string?> ProbeAsync(DatabaseOptions database, int timeoutSeconds, CancellationToken ct = default)
    {
        if (!database.IsSqlServer)
        {
            if (database.Provider.Equals("Sqlite", StringComparison.OrdinalIgnoreCase)) return null;
            return $"Database:Provider '{database.Provider}' is not known: use Sqlite (default) or SqlServer.";
        }
        if (string.IsNullOrWhiteSpace(database.ConnectionString))
            return "Database:Provider is SqlServer but Database:ConnectionString is not set (in compose: MSSQL_SA_PASSWORD in .env builds it).";
        SqlConnectionStringBuilder builder;
        try { builder = new SqlConnectionStringBuilder(database.ConnectionString); }
        catch (Exception e) when (e is ArgumentException or FormatException or KeyNotFoundException)
        {
            return $"Database:ConnectionString is not a valid SQL Server connection string: {e.Message}";
        }
        var server = builder.DataSource;
        builder.InitialCatalog = "master";
        builder.ConnectTimeout = timeoutSeconds;
        builder.ConnectRetryCount = 0;
        builder.Pooling = false;
        try
        {
            await using var connection = new SqlConnection(builder.ConnectionString);
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            cts.CancelAfter(TimeSpan.FromSeconds(timeoutSeconds + 2));
            await connection.OpenAsync(cts.Token);
            return null;
        }
        catch (SqlException e) when (e.Number is 18456 or 18470 or 18486 or 18487 or 18488)
        {
            return $"SQL Server '{server}' refused the login of '{builder.UserID}': {e.Message} " +
                   "Check the password in Database:ConnectionString (in compose: MSSQL_SA_PASSWORD in .env).";
        }
        catch (Exception e) when (e is SqlException or OperationCanceledException or InvalidOperationException)
        {
            var why = e is OperationCanceledException && !ct.IsCancellationRequested ? $"no answer within {timeoutSeconds} s" : e.Message;
            return $"SQL Server '{server}' is unreachable ({why}). The portal stops: check that the server runs and that " +
                   "Database:ConnectionString names it (in compose: the sqlserver service is healthy).";
        }
    }
}
