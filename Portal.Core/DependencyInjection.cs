using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Portal.Core.Data;
using Portal.Core.Jobs;
using Portal.Core.Recommendation;
using Portal.Core.Training;

namespace Portal.Core;

/// <summary>Registers Portal.Core's services: the database context (SQLite or SQL Server) and the capabilities.</summary>
public static class DependencyInjection
{
    /// <summary>
    /// Adds <see cref="IDbContextFactory{PortalDbContext}"/> (and a scoped <see cref="PortalDbContext"/>) for the
    /// provider named in <paramref name="database"/>, plus the core services.
    /// </summary>
    /// <param name="services">The container.</param>
    /// <param name="database">Provider and connection string; the SQLite default is <c>data/portal.db</c> under <paramref name="dataDirectory"/>'s parent.</param>
    /// <param name="dataDirectory">Folder for the SQLite file, uploads and model artifacts (created if missing).</param>
    /// <param name="training">Model registry rules (null: defaults).</param>
    /// <param name="backtest">Replay backtest settings (null: defaults).</param>
    /// <param name="health">Health alert thresholds (null: defaults).</param>
    /// <param name="delivery">Push delivery settings (null: defaults).</param>
    public static IServiceCollection AddPortalCore(this IServiceCollection services, DatabaseOptions database, string dataDirectory,
        TrainingOptions? training = null, Backtest.BacktestSettings? backtest = null, Dashboards.HealthOptions? health = null,
        Delivery.DeliveryOptions? delivery = null)
    {
        Directory.CreateDirectory(dataDirectory);
        services.AddSingleton(new PortalPaths(dataDirectory));
        services.AddSingleton(database);
        if (database.IsSqlServer)
        {
            var cs = database.ConnectionString ?? throw new InvalidOperationException(
                "Database:Provider is SqlServer but Database:ConnectionString is not set.");
            services.AddDbContextFactory<SqlServerPortalDbContext>(o => o.UseSqlServer(cs, s => s.EnableRetryOnFailure(3)));
            services.AddSingleton<IDbContextFactory<PortalDbContext>>(sp =>
                new PortalDbContextFactory<SqlServerPortalDbContext>(sp.GetRequiredService<IDbContextFactory<SqlServerPortalDbContext>>()));
        }
        else
        {
            var cs = database.ConnectionString ?? $"Data Source={Path.Combine(dataDirectory, "portal.db")}";
            services.AddDbContextFactory<SqlitePortalDbContext>(o => o.UseSqlite(cs, s => s.CommandTimeout(300)));
            services.AddSingleton<IDbContextFactory<PortalDbContext>>(sp =>
                new PortalDbContextFactory<SqlitePortalDbContext>(sp.GetRequiredService<IDbContextFactory<SqlitePortalDbContext>>()));
        }
        services.AddScoped(sp => sp.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContext());

        // Training and serving.
        services.AddSingleton(training ?? new TrainingOptions());
        services.AddSingleton<ModelStore>();
        services.AddSingleton<IRecommendationPreviewService, RecommendationPreviewService>();
        services.AddSingleton<Embeddings.SimilarItemsService>();
        // Push lists: "recently pushed" reads the items of pushes delivered to the customer (push batches' outbox).
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<PushLists.IRecentlyPushed, PushBatches.RecentlyPushedItems>();
        services.AddSingleton<PushLists.PushListService>();
        services.AddSingleton<ITrainingService, TrainingService>();
        services.AddTransient<TrainingJob>();
        // CTR model (feedback table → ML.NET), trained on the gpu queue, served by CtrPredictor.
        services.AddTransient<Ctr.CtrTrainingJob>();
        services.AddSingleton<Ctr.ICtrModel, Ctr.CtrPredictor>();
        services.AddTransient<FirstStartJob>();
        // Replay backtests (dashboards over time).
        services.AddSingleton(backtest ?? new Backtest.BacktestSettings());
        services.AddSingleton<Backtest.IBacktestService, Backtest.BacktestService>();
        services.AddTransient<Backtest.BacktestJob>();
        // Health page: job servers, recent jobs, freshness and alerts (JobStorage comes from the host's AddHangfire).
        services.AddSingleton(health ?? new Dashboards.HealthOptions());
        services.AddSingleton<Dashboards.SystemHealthService>();
        // Interest stratification.
        services.AddSingleton<Tiers.SegmentationService>();
        services.AddTransient<Tiers.SegmentationJob>();
        // Push batch life cycle and delivery (outbox worker, throttle, webhook and JSON-lines channels, Hangfire jobs).
        var deliveryOptions = (delivery ?? new Delivery.DeliveryOptions()).Validate();
        services.AddSingleton(deliveryOptions);
        services.AddSingleton(sp => new PushBatches.PushBatchLifecycle(sp.GetRequiredService<IDbContextFactory<PortalDbContext>>(),
            sp.GetService<Hangfire.IBackgroundJobClient>()));
        services.AddSingleton<Delivery.PushThrottle>();
        Delivery.WebhookPushChannel.AddWebhookHttpClient(services, deliveryOptions);
        services.AddSingleton<Delivery.IPushChannel, Delivery.WebhookPushChannel>();
        services.AddSingleton<Delivery.IPushChannel, Delivery.JsonLinesPushChannel>();
        services.AddSingleton<Delivery.PushDeliveryService>();
        services.AddTransient<Delivery.DeliveryJob>();
        services.AddSingleton<PushBatches.PushBatchQueries>();
        services.AddSingleton<Delivery.WebhookSettingsService>();
        // Hand promotion and rollback of model versions (admins; audited).
        services.AddSingleton<ModelRegistry>();
        // Campaigns and building push batches (the Hangfire client types come from the host's AddHangfire).
        services.AddSingleton<Campaigns.CampaignScheduler>();
        services.AddSingleton<Campaigns.CampaignService>();
        services.AddSingleton<PushBatches.PushBatchBuilder>();
        services.AddTransient<Campaigns.CampaignBatchJob>();
        // Merchant API keys and the feedback API's validation and storage.
        services.AddSingleton<ApiKeys.ApiKeyService>();
        services.AddSingleton<Feedback.FeedbackIngestService>();
        return services;
    }

    private sealed class PortalDbContextFactory<T>(IDbContextFactory<T> inner) : IDbContextFactory<PortalDbContext>
        where T : PortalDbContext
    {
        public PortalDbContext CreateDbContext() => inner.CreateDbContext();
    }
}

/// <summary>Folders the portal writes to.</summary>
/// <param name="DataDirectory">Root data folder (SQLite file, uploads, model artifacts).</param>
public sealed record PortalPaths(string DataDirectory)
{
    /// <summary>Uploaded import files.</summary>
    public string Uploads => Path.Combine(DataDirectory, "uploads");
    /// <summary>Trained model artifacts, one sub-folder per model name.</summary>
    public string Models => Path.Combine(DataDirectory, "models");
}
