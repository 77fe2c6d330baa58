using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Portal.Tests.Access;

/// <summary>
/// The role-by-page and role-by-endpoint access matrix against the real server: every routable page and endpoint of
/// the app (read from its endpoint data source through <c>GET /api/admin/routes</c>) is in <see cref="Matrix"/>, and
/// each is requested as anonymous, merchant (default), merchant-b, operations and admin. A page or endpoint added to
/// the app without a row here fails <see cref="Every_route_of_the_app_is_in_the_matrix"/>.
/// </summary>
[Collection(AccessCollection.Name)]
public class AccessMatrixTests(AccessServerFixture server)
{
    /// <summary>The callers, in the order of each row's expected statuses.</summary>
    public static readonly string?[] Callers = [null, "merchant@portal.local", "merchant-b@portal.local", "operations@portal.local", "admin@portal.local"];

    private const int Login = 1302; // 302 to /Account/Login (a page for an anonymous caller)

    /// <summary>
    /// One row per route pattern: the method, a sample URL ({A1} = default's product, {CA} = a customer of default
    /// only) and the expected status for anonymous, merchant, merchant-b, operations, admin. Framework routes with no
    /// row of their own are in <see cref="FrameworkRoutes"/>.
    /// </summary>
    public static readonly (string Route, string Method, string Url, int[] Expected)[] Matrix =
    [
        // Pages: every role (merchants see their own data only; another merchant's ids answer 404).
        ("/", "GET", "/", [Login, 200, 200, 200, 200]),
        ("/products", "GET", "/products", [Login, 200, 200, 200, 200]),
        ("/products/{Id:int}", "GET", "/products/{A1}", [Login, 200, 404, 200, 200]),
        ("/customers", "GET", "/customers", [Login, 200, 200, 200, 200]),
        ("/customers/{Id:int}", "GET", "/customers/{CA}", [Login, 200, 404, 200, 200]),
        ("/preview", "GET", "/preview", [Login, 200, 200, 200, 200]),
        ("/preview/{CustomerId:int}", "GET", "/preview/{CA}", [Login, 200, 404, 200, 200]),
        ("/tiers", "GET", "/tiers", [Login, 200, 200, 200, 200]),
        ("/trends", "GET", "/trends", [Login, 200, 200, 200, 200]),
        // Campaigns, batches and delivery settings: every role (a merchant sees its own; a missing id answers 404).
        ("/campaigns", "GET", "/campaigns", [Login, 200, 200, 200, 200]),
        ("/campaigns/{Id:int}", "GET", "/campaigns/999999", [Login, 404, 404, 404, 404]),
        ("/batches", "GET", "/batches", [Login, 200, 200, 200, 200]),
        ("/batches/{Id:int}", "GET", "/batches/999999", [Login, 404, 404, 404, 404]),
        ("/delivery", "GET", "/delivery", [Login, 200, 200, 200, 200]),
        // API keys: admins for every merchant, a merchant account for its own.
        ("/api-keys", "GET", "/api-keys", [Login, 200, 200, 403, 200]),
        // Pages of platform staff: Models and System health for Operations (read) and Admin; the rest Admin only.
        ("/models", "GET", "/models", [Login, 403, 403, 200, 200]),
        ("/system", "GET", "/system", [Login, 403, 403, 200, 200]),
        ("/imports", "GET", "/imports", [Login, 403, 403, 403, 200]),
        ("/imports/{Id:int}", "GET", "/imports/999", [Login, 403, 403, 403, 200]),
        ("/admin/audit", "GET", "/admin/audit", [Login, 403, 403, 403, 200]),
        // Open to everyone.
        ("/Account/Login", "GET", "/Account/Login", [200, 200, 200, 200, 200]),
        ("/not-found", "GET", "/not-found", [200, 200, 200, 200, 200]),
        ("/Error", "GET", "/Error", [200, 200, 200, 200, 200]),
        ("/culture/set", "GET", "/culture/set?culture=en&redirectUri=%2F", [302, 302, 302, 302, 302]),
        ("/health/live", "GET", "/health/live", [200, 200, 200, 200, 200]),
        ("/health/ready", "GET", "/health/ready", [200, 200, 200, 200, 200]),
        // Logout: a form post with an antiforgery token; without one a signed-in caller gets 400.
        ("/Account/Logout", "POST", "/Account/Logout", [Login, 400, 400, 400, 400]),
        // APIs: 401 instead of a redirect.
        ("/api/tiers/audience.csv", "GET", "/api/tiers/audience.csv", [401, 200, 200, 200, 200]),
        ("/api/trends/replayed.csv", "GET", "/api/trends/replayed.csv", [401, 200, 200, 200, 200]),
        ("/api/trends/offline.csv", "GET", "/api/trends/offline.csv?task=all&metric=ndcg%4020", [401, 200, 200, 200, 200]),
        ("/api/imports/{id:int}/rejections.csv", "GET", "/api/imports/999/rejections.csv", [401, 403, 403, 403, 404]),
        ("/api/admin/routes", "GET", "/api/admin/routes", [401, 403, 403, 403, 200]),
        ("/openapi/{documentName}.json", "GET", "/openapi/v1.json", [200, 200, 200, 200, 200]),
        ("/hangfire/{**path}", "GET", "/hangfire", [401, 403, 403, 403, 200]),
        // The API-key endpoints: a sign-in cookie opens nothing (the X-Api-Key header does; see FeedbackApiTests).
        ("/api/recommend/{userId}", "GET", "/api/recommend/CUST-A", [401, 401, 401, 401, 401]),
        ("/api/feedback", "POST", "/api/feedback", [401, 401, 401, 401, 401]),
        ("/api/trends/online.csv", "GET", "/api/trends/online.csv?by=day", [401, 200, 200, 200, 200]),
    ];

    /// <summary>Routes of the framework (Blazor's circuit hub; the static web assets' fallback for files), not pages or APIs of the portal.</summary>
    public static readonly string[] FrameworkRoutes = ["/_blazor", "/_blazor/negotiate", "/_blazor/disconnect/", "/_blazor/initializers/", "/_framework/opaque-redirect", "/{**path:file}"];

    /// <summary>Matrix rows as xunit data (route, method, caller index).</summary>
    public static IEnumerable<object[]> Cells() =>
        Matrix.SelectMany(r => Enumerable.Range(0, Callers.Length).Select(i => new object[] { r.Route, i }));

    [Fact]
    public async Task Every_route_of_the_app_is_in_the_matrix()
    {
        var admin = await server.ClientAsync("admin@portal.local");
        var routes = await admin.GetFromJsonAsync<List<JsonElement>>("/api/admin/routes");
        Assert.NotNull(routes);
        var app = routes.Select(r => r.GetProperty("route").GetString()!).Distinct().ToList();
        var missing = app.Where(r => !Matrix.Any(m => m.Route == r) && !FrameworkRoutes.Contains(r)).ToList();
        Assert.True(missing.Count == 0, "Routes missing from the access matrix: " + string.Join(", ", missing));
        var stale = Matrix.Select(m => m.Route).Where(r => !app.Contains(r)).ToList();
        Assert.True(stale.Count == 0, "Matrix rows for routes the app no longer has: " + string.Join(", ", stale));
    }

    [Theory]
    [MemberData(nameof(Cells))]
    public async Task Caller_gets_the_expected_status(string route, int caller)
    {
        var row = Matrix.Single(m => m.Route == route);
        var url = row.Url.Replace("{A1}", server.ProductA1.ToString()).Replace("{CA}", server.CustomerA.ToString());
        var client = await server.ClientAsync(Callers[caller]);
        using var request = new HttpRequestMessage(new HttpMethod(row.Method), url);
        // Pages take forms; the JSON APIs take JSON (a form would not even reach their authentication).
        if (row.Method == "POST")
            request.Content = row.Route.StartsWith("/api/", StringComparison.Ordinal)
                ? new StringContent("{}", System.Text.Encoding.UTF8, "application/json") : new FormUrlEncodedContent([]);
        using var response = await client.SendAsync(request);
        var expected = row.Expected[caller] == Login ? 302 : row.Expected[caller];
        Assert.True((int)response.StatusCode == expected,
            $"{row.Method} {url} as {Callers[caller] ?? "anonymous"}: expected {expected}, got {(int)response.StatusCode} {response.Headers.Location}");
        if (row.Expected[caller] == Login)
            Assert.StartsWith("/Account/Login", response.Headers.Location?.IsAbsoluteUri == true ? response.Headers.Location.PathAndQuery : response.Headers.Location?.OriginalString);
    }
}
