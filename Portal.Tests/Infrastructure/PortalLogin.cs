using System.Net;
using Microsoft.Playwright;
using System.Text.RegularExpressions;

namespace Portal.Tests.Infrastructure;

/// <summary>
/// Signs in to a running portal through its real login form (GET the page for the antiforgery token, POST the form)
/// and returns an <see cref="HttpClient"/> that carries the sign-in cookie. Redirects are not followed, so that tests
/// see 302s.
/// </summary>
public static partial class PortalLogin
{
    /// <summary>Headless Chromium (the Debian package's /usr/bin/chromium, which .ci/run installs) as every browser test launches it.</summary>
    /// <param name="playwright">The Playwright driver.</param>
    public static Task<IBrowser> LaunchChromiumAsync(IPlaywright playwright) => playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
    {
        ExecutablePath = "/usr/bin/chromium",
        Headless = true,
        Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--disable-quic"],
    });

    /// <summary>Signs in <paramref name="email"/> through the real login page in a fresh browser context and returns its storage state (cookies).</summary>
    /// <param name="browser">The browser.</param>
    /// <param name="baseUrl">The server's base address.</param>
    /// <param name="email">A seeded account (password <see cref="TestPassword"/>).</param>
    public static async Task<string> SignInStateAsync(IBrowser browser, string baseUrl, string email)
    {
        await using var context = await browser.NewContextAsync();
        var page = await context.NewPageAsync();
        await page.GotoAsync(baseUrl + "/Account/Login");
        await page.FillAsync("#login-email", email);
        await page.FillAsync("#login-password", TestPassword);
        await page.ClickAsync("[data-testid=login-submit]");
        await page.WaitForURLAsync(u => !u.Contains("/Account/Login", StringComparison.Ordinal), new() { Timeout = 60_000 });
        return await context.StorageStateAsync();
    }

    /// <summary>The password the test servers seed every account with (<c>Seed:Password</c>).</summary>
    public const string TestPassword = "Portal-Test-2026";

    /// <summary>A client without a sign-in cookie (anonymous), not following redirects.</summary>
    /// <param name="baseUrl">The server's base address.</param>
    public static HttpClient Anonymous(string baseUrl) =>
        new(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new CookieContainer(), UseCookies = true }) { BaseAddress = new Uri(baseUrl) };

    /// <summary>Posts the login form for <paramref name="email"/>; returns the client (with its cookies) and the response.</summary>
    /// <param name="baseUrl">The server's base address.</param>
    /// <param name="email">The account.</param>
    /// <param name="password">Its password.</param>
    public static async Task<(HttpClient Client, HttpResponseMessage Response)> PostLoginAsync(string baseUrl, string email, string password)
    {
        var client = Anonymous(baseUrl);
        var response = await PostLoginAsync(client, email, password);
        return (client, response);
    }

    /// <summary>Posts the login form with <paramref name="client"/> (which keeps its cookies).</summary>
    /// <param name="client">A client from <see cref="Anonymous"/>.</param>
    /// <param name="email">The account.</param>
    /// <param name="password">Its password.</param>
    public static async Task<HttpResponseMessage> PostLoginAsync(HttpClient client, string email, string password)
    {
        var page = await client.GetStringAsync("/Account/Login");
        var token = TokenInput().Match(page);
        if (!token.Success) throw new InvalidOperationException("The login page has no antiforgery token:\n" + page);
        var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "login",
            ["__RequestVerificationToken"] = WebUtility.HtmlDecode(token.Groups[1].Value),
            ["Input.Email"] = email,
            ["Input.Password"] = password,
        });
        return await client.PostAsync("/Account/Login", form);
    }

    /// <summary>Signs in and fails unless the login redirects (302) with a sign-in cookie.</summary>
    /// <param name="baseUrl">The server's base address.</param>
    /// <param name="email">The account.</param>
    /// <param name="password">Its password (the test password by default).</param>
    public static async Task<HttpClient> SignInAsync(string baseUrl, string email, string password = TestPassword)
    {
        var (client, response) = await PostLoginAsync(baseUrl, email, password);
        if (response.StatusCode != HttpStatusCode.Redirect)
            throw new InvalidOperationException($"Login of {email} answered {(int)response.StatusCode}:\n" + await response.Content.ReadAsStringAsync());
        return client;
    }

    [GeneratedRegex(@"name=""__RequestVerificationToken""[^>]*value=""([^""]+)""")]
    private static partial Regex TokenInput();
}
