using System.Text.Json;
using Portal.Tests.Browser;

namespace Portal.Tests.Deployment;

/// <summary>The real server's health endpoints (the browser tests' server: SQLite, Hangfire on SQLite, web role with telemetry).</summary>
[Collection(BrowserCollection.Name)]
public class HealthEndpointTests(PortalServerFixture server)
{
    [Fact]
    public async Task Ready_reports_database_and_job_storage_with_the_gpu_queue_servers()
    {
        using var http = new HttpClient();
        var live = await http.GetAsync(server.BaseUrl + "/health/live");
        Assert.True(live.IsSuccessStatusCode);

        var ready = await http.GetAsync(server.BaseUrl + "/health/ready");
        var body = await ready.Content.ReadAsStringAsync();
        Assert.True(ready.IsSuccessStatusCode, body);
        Assert.Equal("application/json", ready.Content.Headers.ContentType?.MediaType);
        using var json = JsonDocument.Parse(body);
        Assert.Equal("Healthy", json.RootElement.GetProperty("status").GetString());
        var checks = json.RootElement.GetProperty("checks").EnumerateArray()
            .ToDictionary(c => c.GetProperty("name").GetString()!, c => c);
        Assert.Equal("Healthy", checks["database"].GetProperty("status").GetString());
        Assert.Equal("Healthy", checks["job-storage"].GetProperty("status").GetString());
        // The embedded default serves both queues in one process: one job server, on the gpu queue too.
        Assert.Equal("1 job server(s), 1 on the 'gpu' queue.", checks["job-storage"].GetProperty("description").GetString());
    }
}
