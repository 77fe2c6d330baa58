using Hangfire;
using Hangfire.InMemory;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Portal.Core;
using Portal.Core.Access;
using Portal.Core.Campaigns;
using Portal.Core.Ctr;
using Portal.Core.PushBatches;
using Portal.Core.PushLists;
using Portal.Core.Recommendation;
using Portal.Core.Tiers;
using Portal.Core.Training;
using Portal.Tests.Components;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Campaigns;

/// <summary>The test collection that shares one <see cref="CampaignFixture"/> (its blend training runs once).</summary>
[CollectionDefinition(Name)]
public sealed class CampaignCollection : ICollectionFixture<CampaignFixture>
{
    /// <summary>Collection name.</summary>
    public const string Name = "campaigns";
}

/// <summary>
/// One real SQLite database for the campaign tests: the real UCI sample (<see cref="UciSeed"/>) imported by the real
/// import job, a real segmentation run (tiers, topics, clusters), the push pipeline <c>blend</c> really trained on it and
/// active, and the real services (push lists, builder, campaign service) over Hangfire's in-memory storage. Tests use
/// their own campaigns, customers and times so that they do not see each other's pushes.
/// </summary>
public sealed class CampaignFixture : IDisposable
{
    // No Word2Vec training in the tests: text channels off (as in the component tests).
    private static readonly Dictionary<string, double> Small = new() { ["quota_text2vec"] = 0, ["quota_new"] = 0, ["iterations"] = 40 };

    /// <summary>Seeds, segments and trains.</summary>
    public CampaignFixture()
    {
        Database = new SqliteTestDatabase();
        UciSeed.Seed(Database);
        Paths = new PortalPaths(Database.Directory);
        Models = new ModelStore(Database.Factory, Paths, NullLogger<ModelStore>.Instance);
        Segmentation = new SegmentationService(Database.Factory, Models);
        var run = Segmentation.RunAsync("test").GetAwaiter().GetResult();
        if (run.Status != SegmentationStatus.Succeeded) throw new InvalidOperationException(run.Message);
        RunId = run.Id;
        TrainBlend();
        PushLists = new PushListService(Database.Factory, Models, new RecentlyPushedItems(Database.Factory));
        Builder = new PushBatchBuilder(Database.Factory, PushLists, new CtrPredictor(Database.Factory, Paths, NullLogger<CtrPredictor>.Instance), Models,
            NullLogger<PushBatchBuilder>.Instance);
        Storage = new InMemoryStorage();
        Scheduler = new CampaignScheduler(new RecurringJobManager(Storage), new BackgroundJobClient(Storage));
        Campaigns = new CampaignService(Database.Factory, PushLists, Scheduler);
        using var db = Database.CreateContext();
        MerchantId = db.Merchants.Single().Id;
    }

    /// <summary>The database.</summary>
    public SqliteTestDatabase Database { get; }
    /// <summary>Data folders.</summary>
    public PortalPaths Paths { get; }
    /// <summary>The model store (blend active).</summary>
    public ModelStore Models { get; }
    /// <summary>The tiers service.</summary>
    public SegmentationService Segmentation { get; }
    /// <summary>The segmentation run the tiers come from.</summary>
    public int RunId { get; }
    /// <summary>Push lists.</summary>
    public PushListService PushLists { get; }
    /// <summary>The batch builder.</summary>
    public PushBatchBuilder Builder { get; }
    /// <summary>Hangfire storage of the scheduler.</summary>
    public InMemoryStorage Storage { get; }
    /// <summary>The scheduler.</summary>
    public CampaignScheduler Scheduler { get; }
    /// <summary>The campaign service.</summary>
    public CampaignService Campaigns { get; }
    /// <summary>The UCI shop (the only merchant).</summary>
    public int MerchantId { get; }

    /// <summary>A merchant account of the UCI shop.</summary>
    public Actor Merchant => new("u-merchant", "merchant@shop", new HashSet<string> { PortalRoles.Merchant }, MerchantId);

    /// <summary>Customer ids (source ids) ordered by database id.</summary>
    public List<(int Id, string ExternalId, string? Country)> Customers()
    {
        using var db = Database.CreateContext();
        return db.Customers.OrderBy(c => c.Id).Select(c => new { c.Id, c.ExternalId, c.Country }).AsEnumerable().Select(c => (c.Id, c.ExternalId, c.Country)).ToList();
    }

    /// <summary>Stores a campaign for the UCI shop straight through the service.</summary>
    public Campaign Create(string name, Action<CampaignInput>? edit = null)
    {
        var input = new CampaignInput
        {
            Name = name, ScheduleKind = ScheduleKind.Once, RunAtDate = new DateTime(2026, 1, 15), RunAtTime = TimeSpan.FromHours(10),
            StartDate = new DateTime(2026, 1, 1), ListSize = 5,
        };
        edit?.Invoke(input);
        return Campaigns.CreateAsync(Merchant, MerchantId, input).GetAwaiter().GetResult();
    }

    private void TrainBlend()
    {
        List<Interaction> events;
        using (var db = Database.CreateContext()) events = StoreInteractions.LoadAsync(db, CancellationToken.None).GetAwaiter().GetResult();
        var recommender = Recommenders.Create("blend", Small);
        recommender.Fit(InteractionSet.Create(events, null), CancellationToken.None);
        var serving = new ServingModel(recommender, "test-1", DateTime.UtcNow);
        const string relative = "blend/test-1.bin";
        var file = Path.Combine(Paths.Models, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        using (var s = File.Create(file)) serving.Save(s);
        using var write = Database.CreateContext();
        write.TrainingRuns.Add(new TrainingRun
        {
            Model = "blend", Version = "test-1", Status = TrainingStatus.Succeeded, ModelStatus = ModelStatus.Active, ArtifactPath = relative,
            DatasetName = StoreInteractions.DatasetName, DatasetSha256 = StoreInteractions.Checksum(events), StartedAt = serving.FittedAt,
            FinishedAt = DateTime.UtcNow, Progress = 1, TriggeredBy = "test",
            ParametersJson = System.Text.Json.JsonSerializer.Serialize(recommender.Parameters),
        });
        write.SaveChanges();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Storage.Dispose();
        Database.Dispose();
    }
}
