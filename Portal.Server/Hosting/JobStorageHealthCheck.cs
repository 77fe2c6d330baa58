using Hangfire;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Portal.Server.Hosting;

/// <summary>
/// Readiness of the Hangfire job storage (SQLite file or SQL Server): opens a storage connection and reads the
/// server list. Unhealthy with the storage's error when that fails; the answer names how many job servers
/// (web and workers) are registered, so a missing GPU worker shows in <c>/health/ready</c>'s description.
/// </summary>
public sealed class JobStorageHealthCheck(JobStorage storage) : IHealthCheck
{
    /// <inheritdoc />
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            using var connection = storage.GetConnection();
            var servers = storage.GetMonitoringApi().Servers();
            var gpu = servers.Count(s => s.Queues.Contains(PortalHosting.GpuQueue));
            return Task.FromResult(HealthCheckResult.Healthy($"{servers.Count} job server(s), {gpu} on the '{PortalHosting.GpuQueue}' queue."));
        }
        catch (Exception e)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("The job storage does not answer: " + e.GetBaseException().Message, e));
        }
    }
}
