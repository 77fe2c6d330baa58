using System.Net;

namespace Portal.Tests.Access;

/// <summary>
/// Merchant isolation seen through the real server's pages and APIs: merchant-b (and the default merchant) never see
/// the other merchant's products, customers or events, also with the other merchant's ids in the URL.
/// </summary>
[Collection(AccessCollection.Name)]
public class MerchantIsolationHttpTests(AccessServerFixture server)
{
    [Fact]
    public async Task Merchant_b_sees_its_own_product_and_not_defaults_by_id()
    {
        var b = await server.ClientAsync("merchant-b@portal.local");
        var own = await b.GetAsync($"/products/{server.ProductB1}");
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        Assert.Contains("Northwind Teapot", await own.Content.ReadAsStringAsync());
        foreach (var id in new[] { server.ProductA1, server.ProductA2 })
        {
            var other = await b.GetAsync($"/products/{id}");
            Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
            var html = await other.Content.ReadAsStringAsync();
            Assert.DoesNotContain("Alpha", html);
        }
        // The default merchant in turn does not see merchant-b's product; staff see both.
        var a = await server.ClientAsync("merchant@portal.local");
        Assert.Equal(HttpStatusCode.NotFound, (await a.GetAsync($"/products/{server.ProductB1}")).StatusCode);
        var ops = await server.ClientAsync("operations@portal.local");
        Assert.Equal(HttpStatusCode.OK, (await ops.GetAsync($"/products/{server.ProductB1}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await ops.GetAsync($"/products/{server.ProductA1}")).StatusCode);
    }

    [Fact]
    public async Task Campaigns_list_and_detail_show_only_the_merchants_own_campaigns()
    {
        int alpha, northwind;
        await using (var db = server.CreateContext())
        {
            alpha = await Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.SingleAsync(db.Campaigns.Where(c => c.Name == "Alpha Spring").Select(c => c.Id));
            northwind = await Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.SingleAsync(db.Campaigns.Where(c => c.Name == "Northwind Winter").Select(c => c.Id));
        }
        var b = await server.ClientAsync("merchant-b@portal.local");
        var list = await (await b.GetAsync("/campaigns")).Content.ReadAsStringAsync();
        Assert.Contains("Northwind Winter", list);
        Assert.DoesNotContain("Alpha Spring", list);
        Assert.Equal(HttpStatusCode.OK, (await b.GetAsync($"/campaigns/{northwind}")).StatusCode);
        var other = await b.GetAsync($"/campaigns/{alpha}");
        Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
        Assert.DoesNotContain("Alpha Spring", await other.Content.ReadAsStringAsync());
        var a = await server.ClientAsync("merchant@portal.local");
        Assert.Equal(HttpStatusCode.NotFound, (await a.GetAsync($"/campaigns/{northwind}")).StatusCode);
        var ops = await server.ClientAsync("operations@portal.local");
        Assert.Equal(HttpStatusCode.OK, (await ops.GetAsync($"/campaigns/{alpha}")).StatusCode);
    }

    [Fact]
    public async Task Merchant_b_sees_only_customers_with_activity_on_its_products_and_only_that_activity()
    {
        var b = await server.ClientAsync("merchant-b@portal.local");
        Assert.Equal(HttpStatusCode.NotFound, (await b.GetAsync($"/customers/{server.CustomerA}")).StatusCode);
        var shared = await b.GetAsync($"/customers/{server.CustomerShared}");
        Assert.Equal(HttpStatusCode.OK, shared.StatusCode);
        var html = await shared.Content.ReadAsStringAsync();
        Assert.Contains("CUST-S", html);
        // CUST-S bought Alpha Lamp (12.00) from default and the teapot (20.00) from merchant-b: merchant-b's summary
        // counts one order worth 20.
        Assert.DoesNotContain("Alpha", html);
        var a = await server.ClientAsync("merchant@portal.local");
        Assert.Equal(HttpStatusCode.NotFound, (await a.GetAsync($"/customers/{server.CustomerB}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await a.GetAsync($"/customers/{server.CustomerShared}")).StatusCode);
        // The preview of another merchant's customer is not found either.
        Assert.Equal(HttpStatusCode.NotFound, (await b.GetAsync($"/preview/{server.CustomerA}")).StatusCode);
    }

    [Fact]
    public async Task Audience_csv_lists_only_the_merchants_customers()
    {
        static async Task<List<string>> Ids(HttpClient c)
        {
            var csv = await c.GetStringAsync("/api/tiers/audience.csv");
            return csv.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Skip(1).Select(l => l.Split(',')[0]).Order().ToList();
        }
        Assert.Equal(["CUST-B", "CUST-S"], await Ids(await server.ClientAsync("merchant-b@portal.local")));
        Assert.Equal(["CUST-A", "CUST-S"], await Ids(await server.ClientAsync("merchant@portal.local")));
        Assert.Equal(["CUST-A", "CUST-B", "CUST-S"], await Ids(await server.ClientAsync("admin@portal.local")));
        // With a filter too (the segment every test customer is in).
        var filtered = await (await server.ClientAsync("merchant-b@portal.local")).GetStringAsync("/api/tiers/audience.csv?segment=champions");
        Assert.DoesNotContain("CUST-A", filtered);
        Assert.Contains("CUST-B", filtered);
    }

    [Fact]
    public async Task Recommend_api_takes_a_merchant_api_key_not_a_sign_in_cookie()
    {
        // Another merchant's key answers 404 for this customer (FeedbackApiTests); a signed-in merchant's cookie is not a key.
        var b = await server.ClientAsync("merchant-b@portal.local");
        Assert.Equal(HttpStatusCode.Unauthorized, (await b.GetAsync("/api/recommend/CUST-A")).StatusCode);
    }
}
