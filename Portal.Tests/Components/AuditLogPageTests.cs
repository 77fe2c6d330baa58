using Bunit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using Portal.Client.Pages;
using Portal.Client.Pages.Admin;
using Portal.Core.Training;

namespace Portal.Tests.Components;

/// <summary>
/// The Models page's promote button and the audit log page over a real SQLite database: an admin promotes a candidate
/// version, the audit log lists the change (filterable by action) and its row expands to the active version before
/// and after. An operations user sees no promote button.
/// </summary>
public sealed class AuditLogPageTests : ComponentTestBase
{
    private readonly int _candidate;

    public AuditLogPageTests()
    {
        Services.AddSingleton(new ModelRegistry(Contexts, Models));
        using var db = Contexts.CreateDbContext();
        db.TrainingRuns.Add(new TrainingRun { Model = "popularity", Version = "pop-1", Status = TrainingStatus.Succeeded, ModelStatus = ModelStatus.Active, ArtifactPath = "popularity/pop-1.bin" });
        var candidate = new TrainingRun { Model = "popularity", Version = "pop-2", Status = TrainingStatus.Succeeded, ModelStatus = ModelStatus.Candidate, ArtifactPath = "popularity/pop-2.bin" };
        db.TrainingRuns.Add(candidate);
        db.SaveChanges();
        _candidate = candidate.Id;
    }

    [Fact]
    public async Task A_promotion_on_the_models_page_shows_in_the_audit_log_with_before_and_after()
    {
        Render<MudPopoverProvider>();
        Render<MudSnackbarProvider>();
        var models = Render<Models>();
        models.WaitForAssertion(() => Assert.Single(models.FindAll("[data-testid=promote]")));
        await models.Find("[data-testid=promote]").ClickAsync(new());
        // The active version (now pop-2) offers a rollback; the retired pop-1 can be promoted again.
        models.WaitForAssertion(() => Assert.Single(models.FindAll("[data-testid=rollback]")));
        var promote = Assert.Single(models.FindAll("[data-testid=promote]"));
        Assert.Contains("pop-1", promote.Closest("tr")!.TextContent);
        await using (var db = Contexts.CreateDbContext())
        {
            Assert.Equal(ModelStatus.Active, (await db.TrainingRuns.SingleAsync(r => r.Id == _candidate)).ModelStatus);
            Assert.Equal(ModelStatus.Retired, (await db.TrainingRuns.SingleAsync(r => r.Version == "pop-1")).ModelStatus);
        }

        var audit = Render<AuditLog>();
        audit.WaitForAssertion(() => Assert.Contains("model.promote", audit.Find("[data-testid=audit-grid]").TextContent));
        Assert.Contains("admin@portal.local", audit.Find("[data-testid=audit-grid]").TextContent);
        Assert.Contains($"TrainingRun #{_candidate}", audit.Find("[data-testid=audit-grid]").TextContent);
        // Expand the row: the JSON before and after side by side.
        await audit.Find("[data-testid=audit-grid] tbody tr button").ClickAsync(new());
        audit.WaitForAssertion(() => Assert.Contains("pop-2", audit.Find("[data-testid=audit-after]").TextContent));
        Assert.Contains("pop-1", audit.Find("[data-testid=audit-before]").TextContent);
        Assert.DoesNotContain("pop-2", audit.Find("[data-testid=audit-before]").TextContent);
    }

    [Fact]
    public void Operations_users_see_the_models_without_registry_or_training_buttons()
    {
        Authorization.SetAuthorized("operations@portal.local");
        Authorization.SetRoles(Portal.Core.Access.PortalRoles.Operations);
        AddTrainingService();
        Render<MudPopoverProvider>();
        var models = Render<Models>();
        models.WaitForAssertion(() => Assert.Equal(2, models.FindAll("[data-testid=run-row]").Count));
        Assert.Empty(models.FindAll("[data-testid=promote]"));
        Assert.Empty(models.FindAll("[data-testid=retrain]"));
    }
}
