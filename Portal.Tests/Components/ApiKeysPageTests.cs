using Bunit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using Portal.Core.ApiKeys;
using Portal.Core.Catalog;

namespace Portal.Tests.Components;

/// <summary>The API keys page with the real key store on a real SQLite database: create (shown once), list, revoke.</summary>
public sealed class ApiKeysPageTests : ComponentTestBase
{
    [Fact]
    public void A_key_is_shown_once_on_creation_and_can_be_revoked()
    {
        var keys = new ApiKeyService(Contexts);
        Services.AddSingleton(keys);
        using (var db = Contexts.CreateDbContext())
        {
            db.Merchants.Add(new Merchant { Code = "shop-a", Name = "Shop A" });
            db.SaveChanges();
        }
        var providers = Render<MudDialogProvider>();
        Render<MudPopoverProvider>();
        var cut = Render<Portal.Client.Pages.ApiKeys.ApiKeys>();
        cut.WaitForAssertion(() => Assert.Contains("No API keys yet", cut.Markup));

        cut.Find("[data-testid=apikeys-create] button, button[data-testid=apikeys-create]").Click();
        providers.WaitForAssertion(() => Assert.NotNull(providers.Find("input[data-testid=apikey-name], [data-testid=apikey-name] input")));
        // An empty name is refused in the dialog.
        providers.Find("button[data-testid=apikey-submit]").Click();
        providers.WaitForAssertion(() => Assert.Contains("A key needs a name", providers.Markup));
        providers.Find("input[data-testid=apikey-name], [data-testid=apikey-name] input").Input("shop backend");
        providers.Find("button[data-testid=apikey-submit]").Click();
        providers.WaitForAssertion(() => Assert.NotNull(providers.Find("input[data-testid=apikey-plain], [data-testid=apikey-plain] input")));
        var plain = providers.Find("input[data-testid=apikey-plain], [data-testid=apikey-plain] input").GetAttribute("value")!;
        Assert.Contains("it is shown only this once", providers.Markup);
        Assert.NotNull(keys.AuthenticateAsync(plain).GetAwaiter().GetResult());
        providers.Find("button[data-testid=apikey-copy]").Click();
        providers.Find("button[data-testid=apikey-done]").Click();

        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid=apikey-row]")));
        var row = cut.Find("[data-testid=apikey-row]");
        Assert.Equal(plain[..11], row.GetAttribute("data-prefix"));
        Assert.Contains("shop backend", row.TextContent);
        Assert.DoesNotContain(plain, cut.Markup); // never shown again
        Assert.Contains("Active", row.TextContent);

        cut.Find("button[data-testid=apikey-revoke]").Click();
        providers.WaitForAssertion(() => Assert.Contains("Systems that use it get 401", providers.Markup));
        providers.FindAll("button").Single(b => b.TextContent.Trim() == "Revoke").Click();
        cut.WaitForAssertion(() => Assert.Contains("Revoked", cut.Find("[data-testid=apikey-status]").TextContent));
        Assert.Null(keys.AuthenticateAsync(plain).GetAwaiter().GetResult());
        using var check = Contexts.CreateDbContext();
        Assert.Equal(["apikey.create", "apikey.revoke"], check.AuditEntries.OrderBy(e => e.Id).Select(e => e.Action).ToList());
    }
}
