using System.Net;
using Microsoft.EntityFrameworkCore;
using Portal.Core.Access;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Access;

/// <summary>Sign-in, lockout, the seeded accounts and the Hangfire dashboard on the real server.</summary>
[Collection(AccessCollection.Name)]
public class AccountsTests(AccessServerFixture server)
{
    [Fact]
    public async Task First_start_seeded_one_account_per_role_a_second_merchant_and_a_second_operations_user()
    {
        await using var db = server.CreateContext();
        var users = await db.Users.ToDictionaryAsync(u => u.UserName!, u => u);
        var roles = await (from ur in db.UserRoles join r in db.Roles on ur.RoleId equals r.Id join u in db.Users on ur.UserId equals u.Id
                           select new { u.UserName, r.Name }).ToDictionaryAsync(x => x.UserName!, x => x.Name);
        Assert.Equal(PortalRoles.Merchant, roles["merchant@portal.local"]);
        Assert.Equal(PortalRoles.Merchant, roles["merchant-b@portal.local"]);
        Assert.Equal(PortalRoles.Operations, roles["operations@portal.local"]);
        Assert.Equal(PortalRoles.Operations, roles["ops2@portal.local"]);
        Assert.Equal(PortalRoles.Admin, roles["admin@portal.local"]);
        Assert.Equal(server.MerchantA, users["merchant@portal.local"].MerchantId);
        Assert.Equal(server.MerchantB, users["merchant-b@portal.local"].MerchantId);
        Assert.Null(users["admin@portal.local"].MerchantId);
        Assert.Equal("Northwind Gifts", (await db.Merchants.SingleAsync(m => m.Id == server.MerchantB)).Name);
        // Configured password (Seed:Password): no generated password was printed.
        Assert.DoesNotContain("generated password", server.ServerLog);
    }

    [Fact]
    public async Task A_wrong_password_is_refused_and_the_fifth_failure_locks_the_account_for_15_minutes()
    {
        const string email = "lockout-test@portal.local", password = "Lockout-Test-42";
        await server.AddAccountAsync(email, PortalRoles.Operations, password);
        var client = PortalLogin.Anonymous(server.BaseUrl);
        for (var i = 1; i <= 4; i++)
        {
            var wrong = await PortalLogin.PostLoginAsync(client, email, "Wrong-Password-" + i);
            Assert.Equal(HttpStatusCode.OK, wrong.StatusCode);
            Assert.Contains("Wrong e-mail or password.", await wrong.Content.ReadAsStringAsync());
        }
        var fifth = await PortalLogin.PostLoginAsync(client, email, "Wrong-Password-5");
        Assert.Contains("this account is locked for 15 minutes", await fifth.Content.ReadAsStringAsync());
        // Now even the right password is refused, and no page opens.
        var right = await PortalLogin.PostLoginAsync(client, email, password);
        Assert.Equal(HttpStatusCode.OK, right.StatusCode);
        Assert.Contains("this account is locked for 15 minutes", await right.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Redirect, (await client.GetAsync("/")).StatusCode);
        await using var db = server.CreateContext();
        var user = await db.Users.SingleAsync(u => u.UserName == email);
        Assert.NotNull(user.LockoutEnd);
        var remaining = user.LockoutEnd!.Value - DateTimeOffset.UtcNow;
        Assert.InRange(remaining.TotalMinutes, 13, 15.01);
    }

    [Fact]
    public async Task Sign_in_cookie_is_http_only_and_logout_ends_the_session()
    {
        var (client, response) = await PortalLogin.PostLoginAsync(server.BaseUrl, "ops2@portal.local", PortalLogin.TestPassword);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal(new Uri(server.BaseUrl + "/"), new Uri(new Uri(server.BaseUrl), response.Headers.Location!));
        var cookie = response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("portal.auth=", StringComparison.Ordinal));
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=lax", cookie, StringComparison.OrdinalIgnoreCase);
        var home = await client.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, home.StatusCode);
        var html = await home.Content.ReadAsStringAsync();
        Assert.Contains("ops2@portal.local", html);
        // Log out through the app bar's form (antiforgery token from the page).
        var token = System.Text.RegularExpressions.Regex.Match(html, @"name=""__RequestVerificationToken""[^>]*value=""([^""]+)""");
        Assert.True(token.Success);
        var logout = await client.PostAsync("/Account/Logout", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = WebUtility.HtmlDecode(token.Groups[1].Value),
        }));
        Assert.Equal(HttpStatusCode.Redirect, logout.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await client.GetAsync("/")).StatusCode);
    }

    [Fact]
    public async Task Login_returns_to_a_local_address_only()
    {
        var anonymous = PortalLogin.Anonymous(server.BaseUrl);
        var redirect = await anonymous.GetAsync("/tiers");
        Assert.Equal(HttpStatusCode.Redirect, redirect.StatusCode);
        Assert.Contains("ReturnUrl=%2Ftiers", redirect.Headers.Location!.OriginalString);
        foreach (var (returnUrl, expected) in new[] { ("/tiers", "/tiers"), ("//evil.example/x", "/"), ("https://evil.example/", "/") })
        {
            var client = PortalLogin.Anonymous(server.BaseUrl);
            var page = await client.GetStringAsync("/Account/Login?ReturnUrl=" + Uri.EscapeDataString(returnUrl));
            var token = System.Text.RegularExpressions.Regex.Match(page, @"name=""__RequestVerificationToken""[^>]*value=""([^""]+)""").Groups[1].Value;
            var post = await client.PostAsync("/Account/Login?ReturnUrl=" + Uri.EscapeDataString(returnUrl), new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["_handler"] = "login", ["__RequestVerificationToken"] = WebUtility.HtmlDecode(token),
                ["Input.Email"] = "operations@portal.local", ["Input.Password"] = PortalLogin.TestPassword,
            }));
            Assert.Equal(HttpStatusCode.Redirect, post.StatusCode);
            // The redirect stays on the portal (NavigationManager makes it absolute).
            Assert.Equal(new Uri(server.BaseUrl + expected), new Uri(new Uri(server.BaseUrl), post.Headers.Location!));
        }
    }

    [Fact]
    public async Task Hangfire_dashboard_is_for_admins_only()
    {
        var anonymous = await server.ClientAsync(null);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/hangfire")).StatusCode);
        foreach (var email in new[] { "merchant@portal.local", "merchant-b@portal.local", "operations@portal.local" })
            Assert.Equal(HttpStatusCode.Forbidden, (await (await server.ClientAsync(email)).GetAsync("/hangfire/jobs/enqueued")).StatusCode);
        var admin = await (await server.ClientAsync("admin@portal.local")).GetAsync("/hangfire/jobs/enqueued");
        Assert.Equal(HttpStatusCode.OK, admin.StatusCode);
        Assert.Contains("Hangfire", await admin.Content.ReadAsStringAsync());
    }
}
