using System.Net;
using System.Text.RegularExpressions;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Access;

/// <summary>
/// First start without configured passwords, on the real server: each account gets a generated password printed once
/// (Warning) on the start that creates it, the printed password signs in, and a second start prints none.
/// </summary>
public sealed partial class SeedPasswordTests
{
    [Fact]
    public async Task Generated_passwords_are_printed_once_and_sign_in()
    {
        var dataDirectory = Path.Combine(Path.GetTempPath(), "portal-seed-tests", Guid.NewGuid().ToString("n"));
        Directory.CreateDirectory(dataDirectory);
        try
        {
            Dictionary<string, string> passwords;
            var url = $"http://127.0.0.1:{PortalProcess.FreePort()}";
            var environment = new Dictionary<string, string> { ["DataDirectory"] = dataDirectory, ["Bootstrap__Enabled"] = "false", ["Jobs__WorkerCount"] = "1" };
            await using (var first = PortalProcess.Start(["--urls", url], environment))
            {
                await PortalProcess.WaitForAsync(async () => Generated().Matches(first.Log).Count >= 5 && await LiveAsync(url), TimeSpan.FromMinutes(2), "the first start", first);
                passwords = Generated().Matches(first.Log).ToDictionary(m => m.Groups["email"].Value, m => m.Groups["password"].Value);
                Assert.Equal(["admin@portal.local", "merchant-b@portal.local", "merchant@portal.local", "operations@portal.local", "ops2@portal.local"], passwords.Keys.Order());
                Assert.Equal(5, passwords.Values.Distinct().Count());
                Assert.All(passwords.Values, p => Assert.True(p.Length >= 20 && p.Any(char.IsUpper) && p.Any(char.IsLower) && p.Any(char.IsDigit), p));
                Assert.Contains("warn:", first.Log);
                var client = await PortalLogin.SignInAsync(url, "admin@portal.local", passwords["admin@portal.local"]);
                Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/admin/audit")).StatusCode);
            }
            var url2 = $"http://127.0.0.1:{PortalProcess.FreePort()}";
            await using (var second = PortalProcess.Start(["--urls", url2], environment))
            {
                await PortalProcess.WaitForAsync(() => LiveAsync(url2), TimeSpan.FromMinutes(2), "the second start", second);
                Assert.Empty(Generated().Matches(second.Log));
                // The accounts are kept as they were: the first start's password still signs in.
                await PortalLogin.SignInAsync(url2, "ops2@portal.local", passwords["ops2@portal.local"]);
            }
        }
        finally
        {
            try { Directory.Delete(dataDirectory, recursive: true); } catch (IOException) { }
        }
    }

    private static async Task<bool> LiveAsync(string url)
    {
        using var http = new HttpClient();
        try { return (await http.GetAsync(url + "/health/live")).IsSuccessStatusCode; } catch (HttpRequestException) { return false; }
    }

    [GeneratedRegex(@"account (?<email>\S+@portal\.local) with the generated password (?<password>\S+) \(shown once")]
    private static partial Regex Generated();
}
