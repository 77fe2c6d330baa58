using System.Globalization;
using Bunit;
using Hangfire;
using Hangfire.InMemory;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using MudBlazor.Services;
using Portal.Client;
using Portal.Core;
using Portal.Core.Data;
using Portal.Core.Data.Import;
using Portal.Core.Recommendation;
using Portal.Core.Training;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Components;

/// <summary>
/// Base of the component tests: bunit with loose JS interop, MudBlazor, the portal's localisation and a real,
/// migrated SQLite database. The UI culture is English unless a test calls <see cref="UseCulture"/>. The portal's real
/// services (preview, import, training) are added by the tests that want them, over the same database, the database's
/// folder as the data folder, and a real Hangfire client on in-memory job storage (no Hangfire server: jobs stay
/// enqueued, and a test that needs a job to have run calls the job method directly).
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
        Paths = new PortalPaths(Database.Directory);
        Services.AddSingleton(Paths);
        JobStorage = new InMemoryStorage();
        Jobs = new BackgroundJobClient(JobStorage);
        Models = new ModelStore(Database.Factory, Paths, NullLogger<ModelStore>.Instance);
        // Pages show role-dependent parts (AuthorizeView): an administrator is signed in unless a test changes it.
        Authorization = AddAuthorization();
        Authorization.SetAuthorized("admin@portal.local");
        Authorization.SetRoles(Portal.Core.Access.PortalRoles.Admin);
        UseCulture("en");
    }

    /// <summary>bunit's authorization state (an admin by default; tests may sign in another user or role).</summary>
    protected Bunit.TestDoubles.BunitAuthorizationContext Authorization { get; }

    /// <summary>The portal's folders: the database's temporary folder.</summary>
    protected PortalPaths Paths { get; }

    /// <summary>Hangfire's in-memory job storage behind <see cref="Jobs"/>.</summary>
    protected InMemoryStorage JobStorage { get; }

    /// <summary>A real Hangfire client that enqueues into <see cref="JobStorage"/>.</summary>
    protected IBackgroundJobClient Jobs { get; }

    /// <summary>The real model store (serving models loaded from <see cref="PortalPaths.Models"/>).</summary>
    protected ModelStore Models { get; }

    /// <summary>Registers the real <see cref="RecommendationPreviewService"/> over <see cref="Models"/>.</summary>
    protected void AddPreviewService() =>
        Services.AddSingleton<IRecommendationPreviewService>(new RecommendationPreviewService(Contexts, Models));

    /// <summary>Registers the real import services (<c>AddPortalImport</c>) with <see cref="Jobs"/>.</summary>
    protected void AddImportService()
    {
        Services.AddSingleton(Jobs);
        Services.AddPortalImport();
    }

    /// <summary>Registers the real <see cref="TrainingService"/> with <see cref="Jobs"/>.</summary>
    protected TrainingService AddTrainingService()
    {
        var service = new TrainingService(Contexts, Jobs);
        Services.AddSingleton<ITrainingService>(service);
        return service;
    }

    /// <summary>The real training job over the test database and folders.</summary>
    protected TrainingJob TrainingJob() => new(Contexts, Paths, Models, new TrainingOptions(), NullLogger<TrainingJob>.Instance);

    /// <summary>
    /// Fits <paramref name="model"/> for real on every stored interaction (as the serving fit of the training pipeline
    /// does), saves the artifact under <c>models/{model}/{version}.bin</c> and registers it as the active version.
    /// </summary>
    /// <param name="model">A name of <see cref="Recommenders.Names"/>.</param>
    /// <param name="parameters">Hyper-parameters (null: the model's defaults).</param>
    /// <param name="version">Version label.</param>
    /// <returns>The fitted serving model (what the preview must show).</returns>
    protected ServingModel Train(string model, IReadOnlyDictionary<string, double>? parameters = null, string version = "uci-1")
    {
        List<Interaction> events;
        Dictionary<string, string> text;
        using (var db = Contexts.CreateDbContext())
        {
            events = StoreInteractions.LoadAsync(db, CancellationToken.None).GetAwaiter().GetResult();
            text = StoreInteractions.LoadCatalogueTextAsync(db, CancellationToken.None).GetAwaiter().GetResult();
        }
        var recommender = Recommenders.Create(model, parameters);
        // A text model reads the catalogue's text and also serves products without events (as the pipeline does).
        var textModel = recommender as Portal.Core.Embeddings.ICatalogueTextModel;
        textModel?.UseCatalogueText(text);
        recommender.Fit(InteractionSet.Create(events, textModel is null ? null : text.Keys), CancellationToken.None);
        var serving = new ServingModel(recommender, version, DateTime.UtcNow);
        var relative = $"{model}/{version}.bin";
        var file = Path.Combine(Paths.Models, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        using (var s = File.Create(file)) serving.Save(s);
        using (var db = Contexts.CreateDbContext())
        {
            db.TrainingRuns.Add(new TrainingRun
            {
                Model = model, Version = version, Status = TrainingStatus.Succeeded, ModelStatus = ModelStatus.Active,
                ArtifactPath = relative, DatasetName = StoreInteractions.DatasetName, DatasetSha256 = StoreInteractions.Checksum(events),
                StartedAt = serving.FittedAt, FinishedAt = DateTime.UtcNow, Progress = 1, TriggeredBy = "test",
                ParametersJson = System.Text.Json.JsonSerializer.Serialize(recommender.Parameters),
            });
            db.SaveChanges();
        }
        return serving;
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
        JobStorage.Dispose();
        Database.Dispose();
    }
}
