using System.Linq.Expressions;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Portal.Core.Access;
using Portal.Core.Behavior;
using Portal.Core.Catalog;
using Portal.Core.Customers;
using Portal.Core.Data.Import;
using Portal.Core.Feedback;
using Portal.Core.Tiers;
using Portal.Core.Training;

namespace Portal.Core.Data;

/// <summary>
/// The portal's database. Used directly (no repository layer). Provider-specific subclasses
/// (<see cref="SqlitePortalDbContext"/>, <see cref="SqlServerPortalDbContext"/>) carry one migration set each.
/// Also the ASP.NET Core Identity store (users, roles, claims; <see cref="PortalUser"/>).
/// <para>Merchant isolation: a context constructed inside a <see cref="PortalScope"/> of a merchant account
/// (<see cref="CurrentMerchantId"/> not null) sees only that merchant's rows, enforced by global query filters on every
/// <see cref="IMerchantOwned"/> entity type and on merchants, categories, products, feedback events, audit entries,
/// behaviour events and product topics (through their product), and customers and their tier assignments (customers
/// with at least one event on the merchant's products; customers are shared across merchants).</para>
/// </summary>
public class PortalDbContext(DbContextOptions options) : IdentityDbContext<PortalUser>(options)
{
    /// <summary>
    /// The merchant this context's queries are restricted to, read from <see cref="PortalScope.RestrictedMerchantId"/>
    /// when the context is constructed; null for platform staff, background jobs and the CLI (no restriction).
    /// </summary>
    public int? CurrentMerchantId { get; } = PortalScope.RestrictedMerchantId;

    /// <summary>Merchants.</summary>
    public DbSet<Merchant> Merchants => Set<Merchant>();
    /// <summary>Category trees of all merchants.</summary>
    public DbSet<Category> Categories => Set<Category>();
    /// <summary>Products of all merchants.</summary>
    public DbSet<Product> Products => Set<Product>();
    /// <summary>End customers.</summary>
    public DbSet<Customer> Customers => Set<Customer>();
    /// <summary>Behaviour events.</summary>
    public DbSet<BehaviorEvent> Events => Set<BehaviorEvent>();
    /// <summary>Imports of files.</summary>
    public DbSet<ImportRun> ImportRuns => Set<ImportRun>();
    /// <summary>Rejected rows of imports.</summary>
    public DbSet<ImportRejection> ImportRejections => Set<ImportRejection>();
    /// <summary>Impressions, clicks and conversions of shown items (CTR labels).</summary>
    public DbSet<FeedbackEvent> FeedbackEvents => Set<FeedbackEvent>();
    /// <summary>Training runs (the model registry).</summary>
    public DbSet<TrainingRun> TrainingRuns => Set<TrainingRun>();
    /// <summary>Metrics of training runs.</summary>
    public DbSet<TrainingMetric> TrainingMetrics => Set<TrainingMetric>();
    /// <summary>Hyper-parameter search trials of training runs.</summary>
    public DbSet<HyperParameterTrial> HyperParameterTrials => Set<HyperParameterTrial>();
    /// <summary>Heartbeats of the processes that serve the <c>gpu</c> queue (one row per server).</summary>
    public DbSet<WorkerHeartbeat> WorkerHeartbeats => Set<WorkerHeartbeat>();
    /// <summary>Replay backtests of push lists over the behaviour log.</summary>
    public DbSet<Backtest.BacktestRun> BacktestRuns => Set<Backtest.BacktestRun>();
    /// <summary>Weekly replayed figures of backtests, one row per (run, model, week).</summary>
    public DbSet<Backtest.BacktestWeek> BacktestWeeks => Set<Backtest.BacktestWeek>();
    /// <summary>Versions of the tier definitions.</summary>
    public DbSet<TierDefinition> TierDefinitions => Set<TierDefinition>();
    /// <summary>Recomputations of the customers' layers.</summary>
    public DbSet<SegmentationRun> SegmentationRuns => Set<SegmentationRun>();
    /// <summary>Each customer's layers per run.</summary>
    public DbSet<CustomerTier> CustomerTiers => Set<CustomerTier>();
    /// <summary>Interest topics (k-means clusters of product text vectors).</summary>
    public DbSet<InterestTopic> InterestTopics => Set<InterestTopic>();
    /// <summary>Each product's interest topic per run.</summary>
    public DbSet<ProductTopic> ProductTopics => Set<ProductTopic>();
    /// <summary>Audit log: every state change with who, when, before and after.</summary>
    public DbSet<Audit.AuditEntry> AuditEntries => Set<Audit.AuditEntry>();
    /// <summary>Merchants' push campaigns.</summary>
    public DbSet<Campaigns.Campaign> Campaigns => Set<Campaigns.Campaign>();
    /// <summary>Push batches (one per scheduled build of a campaign).</summary>
    public DbSet<PushBatches.PushBatch> PushBatches => Set<PushBatches.PushBatch>();
    /// <summary>Pushes: one list per customer per batch; also the delivery outbox.</summary>
    public DbSet<PushBatches.PushMessage> PushMessages => Set<PushBatches.PushMessage>();
    /// <summary>Merchants' API keys (hashes only) for the feedback and recommend APIs.</summary>
    public DbSet<ApiKeys.MerchantApiKey> MerchantApiKeys => Set<ApiKeys.MerchantApiKey>();

    /// <inheritdoc />
    protected override void OnModelCreating(ModelBuilder b)
    {
        base.OnModelCreating(b);
        b.Entity<PortalUser>(e => e.HasOne<Merchant>().WithMany().HasForeignKey(x => x.MerchantId).OnDelete(DeleteBehavior.Restrict));
        b.Entity<Merchant>(e =>
        {
            e.Property(x => x.Code).HasMaxLength(64);
            e.Property(x => x.Name).HasMaxLength(200);
            e.Property(x => x.Currency).HasMaxLength(3);
            e.Property(x => x.TimeZone).HasMaxLength(64).HasDefaultValue("Europe/London");
            e.HasIndex(x => x.Code).IsUnique();
        });
        b.Entity<Category>(e =>
        {
            e.Property(x => x.Name).HasMaxLength(200);
            e.Property(x => x.Path).HasMaxLength(800);
            e.HasIndex(x => new { x.MerchantId, x.Path }).IsUnique();
            e.HasOne(x => x.Parent).WithMany().HasForeignKey(x => x.ParentId).OnDelete(DeleteBehavior.Restrict);
        });
        b.Entity<Product>(e =>
        {
            e.Property(x => x.ExternalId).HasMaxLength(64);
            e.Property(x => x.Name).HasMaxLength(400);
            e.Property(x => x.Brand).HasMaxLength(200);
            e.Property(x => x.Price).HasPrecision(18, 4);
            e.HasIndex(x => new { x.MerchantId, x.ExternalId }).IsUnique();
            e.HasIndex(x => x.Name);
            e.HasOne(x => x.Category).WithMany().HasForeignKey(x => x.CategoryId).OnDelete(DeleteBehavior.SetNull);
        });
        b.Entity<Customer>(e =>
        {
            e.Property(x => x.ExternalId).HasMaxLength(64);
            e.Property(x => x.Country).HasMaxLength(100);
            e.HasIndex(x => x.ExternalId).IsUnique();
        });
        b.Entity<BehaviorEvent>(e =>
        {
            e.Property(x => x.Type).HasConversion(t => t.ToFileName(), s => ParseStoredType(s)).HasMaxLength(16);
            e.Property(x => x.Price).HasPrecision(18, 4);
            e.Property(x => x.SessionId).HasMaxLength(64);
            e.Property(x => x.DedupKey).HasMaxLength(200);
            e.HasIndex(x => x.DedupKey).IsUnique();
            e.HasIndex(x => new { x.CustomerId, x.Timestamp });
            e.HasIndex(x => new { x.ProductId, x.Timestamp });
            e.HasIndex(x => x.Timestamp);
            e.HasOne(x => x.Customer).WithMany().HasForeignKey(x => x.CustomerId).OnDelete(DeleteBehavior.Cascade);
            e.HasOne(x => x.Product).WithMany().HasForeignKey(x => x.ProductId).OnDelete(DeleteBehavior.Cascade);
        });
        b.Entity<FeedbackEvent>(e =>
        {
            e.Property(x => x.Kind).HasConversion<string>().HasMaxLength(16);
            e.Property(x => x.DedupKey).HasMaxLength(200);
            e.Property(x => x.ImpressionKey).HasMaxLength(200);
            e.HasIndex(x => x.DedupKey).IsUnique();
            e.HasIndex(x => x.ImpressionKey);
            e.HasIndex(x => new { x.MerchantId, x.Timestamp });
            e.HasIndex(x => new { x.ProductId, x.Timestamp });
            e.HasIndex(x => x.CampaignId);
            e.HasOne(x => x.Merchant).WithMany().HasForeignKey(x => x.MerchantId).OnDelete(DeleteBehavior.Restrict);
            e.HasOne(x => x.Customer).WithMany().HasForeignKey(x => x.CustomerId).OnDelete(DeleteBehavior.Cascade);
            e.HasOne(x => x.Product).WithMany().HasForeignKey(x => x.ProductId).OnDelete(DeleteBehavior.Cascade);
        });
        b.Entity<ImportRun>(e =>
        {
            e.Property(x => x.FileName).HasMaxLength(400);
            e.Property(x => x.StoredPath).HasMaxLength(1000);
            e.Property(x => x.Format).HasConversion<string>().HasMaxLength(32);
            e.Property(x => x.Status).HasConversion<string>().HasMaxLength(16);
            e.Property(x => x.Sha256).HasMaxLength(64);
            e.Property(x => x.RequestedBy).HasMaxLength(200);
            e.HasMany(x => x.Rejections).WithOne().HasForeignKey(x => x.ImportRunId).OnDelete(DeleteBehavior.Cascade);
        });
        b.Entity<ImportRejection>(e =>
        {
            e.Property(x => x.Column).HasMaxLength(100);
            e.Property(x => x.Value).HasMaxLength(200);
            e.Property(x => x.Reason).HasMaxLength(400);
        });
        b.Entity<TrainingRun>(e =>
        {
            e.Property(x => x.Model).HasMaxLength(32);
            e.Property(x => x.Version).HasMaxLength(64);
            e.Property(x => x.Status).HasConversion<string>().HasMaxLength(16);
            e.Property(x => x.ModelStatus).HasConversion<string>().HasMaxLength(16);
            e.Property(x => x.DatasetName).HasMaxLength(200);
            e.Property(x => x.DatasetSha256).HasMaxLength(64);
            e.Property(x => x.ProgressText).HasMaxLength(400);
            e.Property(x => x.ArtifactPath).HasMaxLength(1000);
            e.Property(x => x.TriggeredBy).HasMaxLength(200);
            e.HasIndex(x => new { x.Model, x.Version }).IsUnique();
            e.HasMany(x => x.Metrics).WithOne().HasForeignKey(x => x.TrainingRunId).OnDelete(DeleteBehavior.Cascade);
            e.HasMany(x => x.Trials).WithOne().HasForeignKey(x => x.TrainingRunId).OnDelete(DeleteBehavior.Cascade);
            e.Property(x => x.JobIds).HasMaxLength(200);
            e.Property(x => x.TrainedOn).HasMaxLength(400);
        });
        b.Entity<HyperParameterTrial>(e =>
        {
            e.Property(x => x.ParametersJson).HasMaxLength(2000);
            e.Property(x => x.ValidationAllJson).HasMaxLength(2000);
            e.Property(x => x.ValidationNovelJson).HasMaxLength(2000);
            e.HasIndex(x => new { x.TrainingRunId, x.Ordinal }).IsUnique();
        });
        b.Entity<Backtest.BacktestRun>(e =>
        {
            e.Property(x => x.Status).HasConversion<string>().HasMaxLength(16);
            e.Property(x => x.Models).HasMaxLength(400);
            e.Property(x => x.ProgressText).HasMaxLength(400);
            e.Property(x => x.TriggeredBy).HasMaxLength(200);
            e.HasMany(x => x.WeeksReplayed).WithOne().HasForeignKey(x => x.BacktestRunId).OnDelete(DeleteBehavior.Cascade);
        });
        b.Entity<Backtest.BacktestWeek>(e =>
        {
            e.Property(x => x.Model).HasMaxLength(32);
            e.HasIndex(x => new { x.BacktestRunId, x.Model, x.WeekStart }).IsUnique();
        });
        b.Entity<WorkerHeartbeat>(e =>
        {
            e.HasKey(x => x.ServerName);
            e.Property(x => x.ServerName).HasMaxLength(200);
            e.Property(x => x.Host).HasMaxLength(200);
            e.Property(x => x.Queues).HasMaxLength(200);
            e.Property(x => x.Device).HasMaxLength(400);
        });
        b.Entity<TrainingMetric>(e =>
        {
            e.Property(x => x.Task).HasMaxLength(32);
            e.Property(x => x.Name).HasMaxLength(32);
            e.HasIndex(x => new { x.TrainingRunId, x.Task, x.Name }).IsUnique();
        });
        b.Entity<TierDefinition>(e =>
        {
            e.HasIndex(x => x.Version).IsUnique();
            e.Property(x => x.CreatedBy).HasMaxLength(200);
            e.Property(x => x.Note).HasMaxLength(1000);
        });
        b.Entity<SegmentationRun>(e =>
        {
            e.Property(x => x.Status).HasConversion<string>().HasMaxLength(16);
            e.Property(x => x.Trigger).HasMaxLength(32);
            e.Property(x => x.VectorSource).HasMaxLength(32);
            e.Property(x => x.UserVectorSource).HasMaxLength(32);
            e.Property(x => x.Message).HasMaxLength(2000);
        });
        b.Entity<CustomerTier>(e =>
        {
            e.Property(x => x.Segment).HasMaxLength(32);
            e.Property(x => x.Lifecycle).HasMaxLength(16);
            e.Property(x => x.InterestsJson).HasMaxLength(1000);
            e.HasIndex(x => new { x.SegmentationRunId, x.CustomerId }).IsUnique();
            e.HasIndex(x => new { x.SegmentationRunId, x.Segment });
            e.HasIndex(x => x.CustomerId);
            e.HasOne<SegmentationRun>().WithMany().HasForeignKey(x => x.SegmentationRunId).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<Customer>().WithMany().HasForeignKey(x => x.CustomerId).OnDelete(DeleteBehavior.Cascade);
        });
        b.Entity<InterestTopic>(e =>
        {
            e.Property(x => x.Key).HasMaxLength(200);
            e.Property(x => x.AutoName).HasMaxLength(200);
            e.Property(x => x.CustomName).HasMaxLength(100);
            e.HasIndex(x => x.Key).IsUnique();
            e.Ignore(x => x.DisplayName);
        });
        b.Entity<ProductTopic>(e =>
        {
            e.HasIndex(x => new { x.SegmentationRunId, x.ProductId }).IsUnique();
            e.HasOne<SegmentationRun>().WithMany().HasForeignKey(x => x.SegmentationRunId).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<Product>().WithMany().HasForeignKey(x => x.ProductId).OnDelete(DeleteBehavior.Cascade);
        });
        b.Entity<Audit.AuditEntry>(e =>
        {
            e.Property(x => x.UserId).HasMaxLength(64);
            e.Property(x => x.UserName).HasMaxLength(256);
            e.Property(x => x.Action).HasMaxLength(64);
            e.Property(x => x.EntityType).HasMaxLength(64);
            e.Property(x => x.EntityId).HasMaxLength(64);
            e.HasIndex(x => x.At);
            e.HasIndex(x => new { x.EntityType, x.EntityId });
        });
        b.Entity<Campaigns.Campaign>(e =>
        {
            e.Property(x => x.Name).HasMaxLength(200);
            e.Property(x => x.CreatedByUserId).HasMaxLength(64);
            e.HasIndex(x => new { x.MerchantId, x.Name }).IsUnique();
            e.Property(x => x.Goal).HasConversion<string>().HasMaxLength(24);
            e.Property(x => x.Status).HasConversion<string>().HasMaxLength(16);
            e.Property(x => x.Channel).HasConversion<string>().HasMaxLength(24);
            e.Property(x => x.ScheduleKind).HasConversion<string>().HasMaxLength(16);
            e.Property(x => x.Cron).HasMaxLength(120);
            e.Property(x => x.ScheduledJobId).HasMaxLength(64);
            // Audience and scope are JSON text columns (both providers), compared by their JSON for change tracking.
            e.Property(x => x.Audience).HasConversion(global::Portal.Core.Campaigns.CampaignJson.Converter<Campaigns.CampaignAudience>(), global::Portal.Core.Campaigns.CampaignJson.Comparer<Campaigns.CampaignAudience>());
            e.Property(x => x.Scope).HasConversion(global::Portal.Core.Campaigns.CampaignJson.Converter<Campaigns.CampaignProductScope>(), global::Portal.Core.Campaigns.CampaignJson.Comparer<Campaigns.CampaignProductScope>());
            e.HasOne<Merchant>().WithMany().HasForeignKey(x => x.MerchantId).OnDelete(DeleteBehavior.Restrict);
        });
        b.Entity<PushBatches.PushBatch>(e =>
        {
            e.Property(x => x.Status).HasConversion<string>().HasMaxLength(24);
            e.Property(x => x.CreatedByUserId).HasMaxLength(64);
            e.Property(x => x.ApprovedByUserId).HasMaxLength(64);
            e.Property(x => x.RejectionReason).HasMaxLength(1000);
            e.Property(x => x.Version).IsConcurrencyToken();
            e.HasIndex(x => new { x.Status, x.CreatedAt });
            e.HasIndex(x => new { x.CampaignId, x.ScheduledFor }).IsUnique();
            e.HasOne(x => x.Campaign).WithMany().HasForeignKey(x => x.CampaignId).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<Merchant>().WithMany().HasForeignKey(x => x.MerchantId).OnDelete(DeleteBehavior.Restrict);
        });
        b.Entity<PushBatches.PushMessage>(e =>
        {
            e.Property(x => x.Status).HasConversion<string>().HasMaxLength(16);
            e.Property(x => x.IdempotencyKey).HasMaxLength(80);
            e.Property(x => x.LastError).HasMaxLength(1000);
            e.HasIndex(x => x.IdempotencyKey).IsUnique();
            e.HasIndex(x => new { x.BatchId, x.Status });
            // Frequency caps count recent pushes per customer across campaigns.
            e.HasIndex(x => new { x.CustomerId, x.NotBefore });
            e.HasOne<PushBatches.PushBatch>().WithMany().HasForeignKey(x => x.BatchId).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<Customer>().WithMany().HasForeignKey(x => x.CustomerId).OnDelete(DeleteBehavior.Restrict);
        });
        // Delivery (Portal.Core/Delivery): the outbox claim and the merchants' webhook settings.
        b.Entity<PushBatches.PushMessage>(e => e.Property(x => x.ClaimedBy).HasMaxLength(100));
        b.Entity<Merchant>(e =>
        {
            e.Property(x => x.WebhookUrl).HasMaxLength(500);
            e.Property(x => x.WebhookSecret).HasMaxLength(200);
        });
        b.Entity<ApiKeys.MerchantApiKey>(e =>
        {
            e.Property(x => x.Name).HasMaxLength(ApiKeys.ApiKeyService.MaxNameLength);
            e.Property(x => x.Prefix).HasMaxLength(ApiKeys.ApiKeyService.PrefixLength);
            e.Property(x => x.KeyHash).HasMaxLength(64);
            e.Property(x => x.CreatedByUserId).HasMaxLength(64);
            e.Property(x => x.RevokedByUserId).HasMaxLength(64);
            e.Ignore(x => x.IsActive);
            e.HasIndex(x => x.KeyHash).IsUnique();
            e.HasIndex(x => x.MerchantId);
            e.HasOne<Merchant>().WithMany().HasForeignKey(x => x.MerchantId).OnDelete(DeleteBehavior.Restrict);
        });
        AddMerchantFilters(b);
    }

    /// <summary>
    /// The merchant-isolation filters (see the class summary). Each compares with <see cref="CurrentMerchantId"/> of the
    /// context that runs the query; EF Core parameterises it, and a null value removes the condition from the SQL.
    /// </summary>
    private void AddMerchantFilters(ModelBuilder b)
    {
        foreach (var type in b.Model.GetEntityTypes().Where(t => typeof(IMerchantOwned).IsAssignableFrom(t.ClrType) && t.BaseType is null).ToList())
        {
            // e => CurrentMerchantId == null || e.MerchantId == CurrentMerchantId
            var e = Expression.Parameter(type.ClrType, "e");
            var current = Expression.Property(Expression.Constant(this), nameof(CurrentMerchantId));
            var body = Expression.OrElse(
                Expression.Equal(current, Expression.Constant(null, typeof(int?))),
                Expression.Equal(Expression.Convert(Expression.Property(e, nameof(IMerchantOwned.MerchantId)), typeof(int?)), current));
            b.Entity(type.ClrType).HasQueryFilter(Expression.Lambda(body, e));
        }
        b.Entity<Merchant>().HasQueryFilter(m => CurrentMerchantId == null || m.Id == CurrentMerchantId);
        b.Entity<Category>().HasQueryFilter(c => CurrentMerchantId == null || c.MerchantId == CurrentMerchantId);
        b.Entity<Product>().HasQueryFilter(p => CurrentMerchantId == null || p.MerchantId == CurrentMerchantId);
        b.Entity<FeedbackEvent>().HasQueryFilter(f => CurrentMerchantId == null || f.MerchantId == CurrentMerchantId);
        b.Entity<Audit.AuditEntry>().HasQueryFilter(a => CurrentMerchantId == null || a.MerchantId == CurrentMerchantId);
        b.Entity<BehaviorEvent>().HasQueryFilter(ev => CurrentMerchantId == null || ev.Product!.MerchantId == CurrentMerchantId);
        b.Entity<ProductTopic>().HasQueryFilter(t => CurrentMerchantId == null
            || Set<Product>().Any(p => p.Id == t.ProductId && p.MerchantId == CurrentMerchantId));
        // Customers are shared: a merchant sees those with activity on its own products.
        b.Entity<Customer>().HasQueryFilter(c => CurrentMerchantId == null
            || Set<BehaviorEvent>().Any(ev => ev.CustomerId == c.Id && ev.Product!.MerchantId == CurrentMerchantId));
        b.Entity<CustomerTier>().HasQueryFilter(t => CurrentMerchantId == null
            || Set<BehaviorEvent>().Any(ev => ev.CustomerId == t.CustomerId && ev.Product!.MerchantId == CurrentMerchantId));
    }

    private static EventType ParseStoredType(string s) =>
        EventTypes.TryParse(s, out var t) ? t : throw new InvalidDataException($"Unknown event type '{s}' in table Events.");
}

/// <summary>The SQLite flavour of the context (the embedded default); migrations in Data/Migrations/Sqlite.</summary>
public sealed class SqlitePortalDbContext(DbContextOptions<SqlitePortalDbContext> options) : PortalDbContext(options)
{
    /// <inheritdoc />
    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        // SQLite stores decimal as TEXT, which sorts and sums wrongly; money is stored as REAL there.
        configurationBuilder.Properties<decimal>().HaveConversion<double>();
        configurationBuilder.Properties<decimal?>().HaveConversion<double?>();
    }
}

/// <summary>The SQL Server flavour of the context (production); migrations in Data/Migrations/SqlServer.</summary>
public sealed class SqlServerPortalDbContext(DbContextOptions<SqlServerPortalDbContext> options) : PortalDbContext(options);
