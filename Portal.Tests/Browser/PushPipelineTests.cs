using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using Portal.Core.Behavior;

namespace Portal.Tests.Browser;

/// <summary>
/// The push pipeline on the real server (first start on the slice trains <c>blend</c>): the preview shows it first with
/// channels, ranker and MMR per item (screenshots in both languages), and <c>GET /api/recommend/{userId}</c> returns
/// the same list, documented in /openapi/v1.json.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class PushPipelineTests(PortalServerFixture portal)
{
    private async Task<(int Id, string ExternalId)> CustomerAsync()
    {
        await using var db = portal.CreateContext();
        var id = await db.Events.Where(e => e.Type == EventType.Purchase).GroupBy(e => e.CustomerId)
            .Where(g => g.Select(e => e.ProductId).Distinct().Count() >= 5 && g.Select(e => e.ProductId).Distinct().Count() <= 10)
            .OrderBy(g => g.Key).Select(g => g.Key).FirstAsync();
        return (id, await db.Customers.Where(c => c.Id == id).Select(c => c.ExternalId).SingleAsync());
    }

    [Fact]
    public async Task Api_returns_the_push_list_with_channels_and_problem_details_for_bad_requests()
    {
        var (_, external) = await CustomerAsync();
        using var http = new HttpClient { BaseAddress = new Uri(portal.BaseUrl) };
        // The endpoint takes a merchant API key (the bundled data's merchant).
        http.DefaultRequestHeaders.Add("X-Api-Key", await portal.NewApiKeyAsync());

        var ok = await http.GetAsync($"/api/recommend/{external}?n=20");
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        using var doc = JsonDocument.Parse(await ok.Content.ReadAsStringAsync());
        var root = doc.RootElement;
        Assert.Equal(external, root.GetProperty("customerId").GetString());
        Assert.Equal("blend", root.GetProperty("model").GetString());
        var items = root.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(20, items.Count);
        Assert.Equal(Enumerable.Range(1, 20), items.Select(i => i.GetProperty("rank").GetInt32()));
        Assert.All(items, i =>
        {
            Assert.NotEmpty(i.GetProperty("channels").EnumerateArray());
            Assert.True(i.GetProperty("rankerScore").ValueKind == JsonValueKind.Number);
            Assert.False(string.IsNullOrWhiteSpace(i.GetProperty("reason").GetProperty("kind").GetString()));
        });
        Assert.Equal(items.Count, items.Select(i => i.GetProperty("itemId").GetString()).Distinct().Count());

        // The API and the preview agree: same items in the same order (the preview skips unavailable products too).
        var five = await http.GetFromJsonAsync<JsonElement>($"/api/recommend/{external}?n=5");
        Assert.Equal(items.Take(5).Select(i => i.GetProperty("itemId").GetString()), five.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("itemId").GetString()));

        var unknown = await http.GetAsync("/api/recommend/no-such-customer");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("application/problem+json", unknown.Content.Headers.ContentType?.MediaType);
        Assert.Contains("no-such-customer", await unknown.Content.ReadAsStringAsync());
        foreach (var n in new[] { "0", "101", "abc", "-3" })
        {
            var bad = await http.GetAsync($"/api/recommend/{external}?n={n}");
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            Assert.Equal("application/problem+json", bad.Content.Headers.ContentType?.MediaType);
            Assert.Contains($"got '{n}'", await bad.Content.ReadAsStringAsync());
        }

        using var openApi = JsonDocument.Parse(await http.GetStringAsync("/openapi/v1.json"));
        var op = openApi.RootElement.GetProperty("paths").GetProperty("/api/recommend/{userId}").GetProperty("get");
        Assert.Equal("GetPushList", op.GetProperty("operationId").GetString());
        Assert.Contains(op.GetProperty("parameters").EnumerateArray(), p => p.GetProperty("name").GetString() == "n");
        foreach (var code in new[] { "200", "400", "404" }) Assert.True(op.GetProperty("responses").TryGetProperty(code, out _), $"response {code} not documented");
    }

    [Fact]
    public async Task Preview_shows_blend_first_with_channels_ranker_and_mmr_in_both_languages()
    {
        var (id, _) = await CustomerAsync();
        var context = await portal.NewContextAsync(new() { ViewportSize = new() { Width = 1440, Height = 1000 }, Locale = "en-GB" });
        var page = await context.NewPageAsync();
        await page.GotoAsync($"{portal.BaseUrl}/preview/{id}");
        await Assertions.Expect(page.Locator("[data-testid=preview-model]")).ToContainTextAsync("blend", new() { Timeout = 30_000 });
        var items = page.Locator("[data-testid=push-list] [data-testid=push-item]");
        await Assertions.Expect(items).ToHaveCountAsync(20, new() { Timeout = 30_000 });
        Assert.Equal(20, await page.Locator("[data-testid=push-item] [data-testid=push-pipeline]").CountAsync());
        Assert.True(await page.Locator("[data-testid=push-channel]").CountAsync() >= 20);
        var mmr = await page.Locator("[data-testid=push-mmr]").AllInnerTextsAsync();
        Assert.All(mmr, t => Assert.Matches(@"^MMR -?[0-9.]+ \(was #\d+\)$", t.Trim()));
        await page.ScreenshotAsync(new() { Path = Path.Combine(portal.ScreenshotDirectory, "preview-blend-en.png"), FullPage = true });

        await page.Locator("[data-testid=language-switch]").ClickAsync();
        await page.Locator("[data-testid=lang-zh-CN]").ClickAsync();
        await Assertions.Expect(page.Locator("h4", new() { HasTextString = "推荐预览" })).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await Assertions.Expect(items).ToHaveCountAsync(20, new() { Timeout = 30_000 });
        await Assertions.Expect(page.Locator("[data-testid=push-mmr]").First).ToContainTextAsync("原第");
        await page.ScreenshotAsync(new() { Path = Path.Combine(portal.ScreenshotDirectory, "preview-blend-zh-CN.png"), FullPage = true });
        await context.CloseAsync();
    }
}
