using System.Text.Json;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Portal.Server.Hosting;

/// <summary>
/// JSON body of <c>/health/ready</c>: <c>{"status":"Healthy","checks":[{"name":"database","status":"Healthy",
/// "description":null,"duration_ms":3.1},{"name":"job-storage",...,"description":"2 job server(s), 1 on the 'gpu' queue."}]}</c>.
/// The HTTP status stays the health middleware's (200 healthy or degraded, 503 unhealthy), so probes need not parse it.
/// </summary>
public static class HealthResponse
{
    /// <summary>Writes <paramref name="report"/> as JSON (<c>application/json</c>).</summary>
    /// <param name="context">The request.</param>
    /// <param name="report">The health report.</param>
    public static Task WriteJsonAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(JsonSerializer.Serialize(new
        {
            status = report.Status.ToString(),
            checks = report.Entries.Select(e => new
            {
                name = e.Key,
                status = e.Value.Status.ToString(),
                description = e.Value.Description,
                duration_ms = Math.Round(e.Value.Duration.TotalMilliseconds, 1),
            }),
        }));
    }
}
