using System.Globalization;
using Bunit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;
using Portal.Client;
using Portal.Core.Data;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Components;

/// <summary>
/// Base of the component tests: bunit with loose JS interop, MudBlazor, the portal's localisation and a real,
/// migrated SQLite database. The UI culture is English unless a test calls <see cref="UseCulture"/>.
/// </summary>
public abstract class ComponentTestBase : BunitContext
{
    private readonly CultureInfo _culture = CultureInfo.CurrentCulture, _uiCulture = CultureInfo.CurrentUICulture;

    /// <summary>Sets up the services and the database.</summary>
    protected ComponentTestBase()
    {
        Database = new SqliteTestDatabase();
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
        Services.AddPortalClient();
        Services.AddSingleton(Database.Factory);
        UseCulture("en");
    }

    /// <summary>The test's database.</summary>
    protected SqliteTestDatabase Database { get; }

    /// <summary>The database's context factory.</summary>
    protected IDbContextFactory<PortalDbContext> Contexts => Database.Factory;

    /// <summary>Renders under <paramref name="culture"/> from now on (current thread and async flows started from it).</summary>
    /// <param name="culture">Culture name, e.g. <c>zh-CN</c>.</param>
    protected static void UseCulture(string culture)
    {
        CultureInfo.CurrentCulture = CultureInfo.CurrentUICulture = new CultureInfo(culture);
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        // MudBlazor's services are IAsyncDisposable only, and xunit 2 disposes test classes synchronously.
        if (disposing)
            Task.Run(() => DisposeAsync().AsTask()).GetAwaiter().GetResult();
        else
            base.Dispose(disposing);
    }

    /// <inheritdoc />
    protected override async ValueTask DisposeAsyncCore()
    {
        await base.DisposeAsyncCore();
        CultureInfo.CurrentCulture = _culture;
        CultureInfo.CurrentUICulture = _uiCulture;
        Database.Dispose();
    }
}
