using System.Security.Claims;
using Bunit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using Portal.Client.Pages.Batches;
using Portal.Client.Pages.Delivery;
using Portal.Core.Access;
using Portal.Core.Catalog;
using Portal.Core.Delivery;
using Portal.Tests.Batches;

namespace Portal.Tests.Components;

/// <summary>
/// Merchants' webhook settings on the real service and database: a new secret is shown once and only masked after,
/// stored in full for signing, audited masked; bad URLs are refused naming the field; merchants edit only their own.
/// </summary>
public sealed class DeliverySettingsPageTests : ComponentTestBase
{
    private static readonly Actor Admin = new("admin-1", "admin@portal.local", new HashSet<string> { PortalRoles.Admin }, null);

    public DeliverySettingsPageTests()
    {
        Services.AddSingleton(new WebhookSettingsService(Contexts));
        Services.AddScoped<ICurrentActor>(sp => new ClaimsCurrentActor(sp));
        var auth = AddAuthorization();
        auth.SetAuthorized("admin@portal.local");
        auth.SetRoles(PortalRoles.Admin);
        auth.SetClaims(new Claim(ClaimTypes.NameIdentifier, "admin-1"));
    }

    [Fact]
    public async Task A_new_secret_is_shown_once_then_only_masked_and_the_audit_keeps_it_masked()
    {
        await using (var db = Contexts.CreateDbContext()) await BatchSeed.DefaultMerchantAsync(db);
        Render<MudPopoverProvider>();
        var dialogs = Render<MudDialogProvider>();
        var cut = Render<DeliverySettings>();
        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid=webhook-row]")));
        Assert.Contains("JSON-lines file", cut.Find("[data-testid=webhook-row]").TextContent);

        cut.Find("[data-testid=webhook-edit]").Click();
        dialogs.WaitForAssertion(() => Assert.NotNull(dialogs.Find("[data-testid=webhook-save]")));
        dialogs.Find("input").Input("ftp://example.org/hook");
        dialogs.Find("[data-testid=webhook-save]").Click();
        dialogs.WaitForAssertion(() => Assert.Contains("Enter an absolute http or https URL", dialogs.Markup));
        dialogs.Find("input").Input("https://shop.example.org/portal/pushes");
        dialogs.Find("[data-testid=webhook-save]").Click();

        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=new-secret]")));
        var secret = cut.Find("[data-testid=new-secret]").TextContent.Trim();
        Assert.Equal(64, secret.Length);
        await using var read = Contexts.CreateDbContext();
        var merchant = await read.Merchants.SingleAsync(m => m.Code == Merchant.DefaultCode);
        Assert.Equal((secret, "https://shop.example.org/portal/pushes"), (merchant.WebhookSecret, merchant.WebhookUrl));
        var masked = cut.Find("[data-testid=masked-secret]").TextContent.Trim();
        Assert.Equal("••••" + secret[^4..], masked);
        var audit = await read.AuditEntries.SingleAsync(e => e.Action == "merchant.webhook");
        Assert.DoesNotContain(secret, audit.AfterJson);
        Assert.Contains(secret[^4..], audit.AfterJson);
        Assert.Equal("admin@portal.local", audit.UserName);

        // A fresh render never shows the secret again.
        var again = Render<DeliverySettings>();
        again.WaitForAssertion(() => Assert.Single(again.FindAll("[data-testid=webhook-row]")));
        Assert.DoesNotContain(secret, again.Markup);
    }

    [Fact]
    public async Task Bad_urls_are_refused_naming_the_field_and_merchants_edit_only_their_own()
    {
        int own, other;
        await using (var db = Contexts.CreateDbContext())
        {
            own = (await BatchSeed.DefaultMerchantAsync(db)).Id;
            var b = new Merchant { Code = "merchant-b", Name = "Northwind Gifts" };
            db.Merchants.Add(b);
            await db.SaveChangesAsync();
            other = b.Id;
        }
        var service = new WebhookSettingsService(Contexts);
        var e = await Assert.ThrowsAsync<ArgumentException>(() => service.SetAsync(own, "/relative/hook", false, Admin));
        Assert.StartsWith("WebhookUrl:", e.Message);
        var merchantA = new Actor("m-a", "merchant@portal.local", new HashSet<string> { PortalRoles.Merchant }, own);
        await Assert.ThrowsAsync<KeyNotFoundException>(() => service.SetAsync(other, "https://b.example.org/", false, merchantA));
        Assert.Equal([own], (await service.ListAsync(merchantA)).Select(m => m.MerchantId));
        // A merchant may not point delivery into the platform's own network (SSRF); an administrator may.
        foreach (var inside in new[] { "http://a.example.org/hook", "https://127.0.0.1/hook", "https://localhost/hook", "https://10.1.2.3/",
                                       "https://169.254.169.254/latest", "https://192.168.0.9/", "https://[::1]/" })
            Assert.Contains("public host", (await Assert.ThrowsAsync<ArgumentException>(() => service.SetAsync(own, inside, false, merchantA))).Message);
        var (settings, secret) = await service.SetAsync(own, "https://a.example.org/hook", false, merchantA);
        Assert.NotNull(secret); // the first URL gets a secret even without asking
        Assert.Equal(PushChannels.Webhook, settings.Channel);
        var (cleared, none) = await service.SetAsync(own, "  ", false, merchantA);
        Assert.Equal((PushChannels.File, (string?)null), (cleared.Channel, none));
        Assert.Equal(PushChannels.Webhook, (await service.SetAsync(own, "http://127.0.0.1:9/hook", false, Admin)).Settings.Channel);
    }
}
