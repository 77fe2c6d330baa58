using System.Diagnostics;
using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using Portal.Core.Data;
using Portal.Core.Training;
using Portal.Tests.Infrastructure;

namespace Portal.Tests.Browser;

/// <summary>
/// Starts the real Portal.Server (its own build output, Development environment) on a free loopback port with a fresh
/// data folder, first-started on a real slice of the bundled UCI file (the first <see cref="SliceRows"/> rows) and
/// a few fast models, and launches Debian's Chromium through Playwright. Shared by the browser tests.
/// </summary>
public sealed class PortalServerFixture : IAsyncLifetime
{
    /// <summary>Rows of the UCI file in the slice (header excluded): December 2010 to February 2011, enough for the test and validation splits (30 days each).</summary>
    public const int SliceRows = 105_000;
    /// <summary>Models trained at the fixture's first start.</summary>
    public static readonly string[] Models = ["popularity", "itemknn", "item2vec", "text2vec", "blend"];

    private PortalProcess? _server;
    private IPlaywright? _playwright;

    /// <summary>Base address of the running server (<c>http://127.0.0.1:PORT</c>).</summary>
    public string BaseUrl { get; private set; } = "";
    /// <summary>The browser (headless Chromium).</summary>
    public IBrowser Browser { get; private set; } = null!;
    /// <summary>The server's data folder.</summary>
    public string DataDirectory { get; } = Path.Combine(Path.GetTempPath(), "portal-browser-tests", Guid.NewGuid().ToString("n"));
    /// <summary>Folder where tests save screenshots (<c>artifacts/screenshots</c> under the repository root).</summary>
    public string ScreenshotDirectory { get; } = Path.Combine(RepositoryRoot, "artifacts", "screenshots");

    /// <summary>The repository root (the folder holding Portal.sln).</summary>
    public static string RepositoryRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Portal.sln"))) dir = dir.Parent;
            return dir?.FullName ?? throw new InvalidOperationException("Portal.sln not found above " + AppContext.BaseDirectory);
        }
    }

    /// <summary>A context on the server's SQLite database.</summary>
    public PortalDbContext CreateContext() => new SqlitePortalDbContext(new DbContextOptionsBuilder<SqlitePortalDbContext>()
        .UseSqlite($"Data Source={Path.Combine(DataDirectory, "portal.db")};Pooling=False").Options);

    /// <summary>A factory of contexts on the server's SQLite database (for the portal's real services run by a test).</summary>
    public IDbContextFactory<PortalDbContext> Contexts => new FixtureContexts(this);

    /// <summary>A new merchant API key (plain text) of the merchant <paramref name="merchantCode"/>, made by the real key store.</summary>
    /// <param name="merchantCode">Merchants.Code (the bundled UCI data's merchant is <c>default</c>).</param>
    public async Task<string> NewApiKeyAsync(string merchantCode = Portal.Core.Catalog.Merchant.DefaultCode)
    {
        int merchantId;
        await using (var db = CreateContext()) merchantId = await db.Merchants.Where(m => m.Code == merchantCode).Select(m => m.Id).SingleAsync();
        return (await new Portal.Core.ApiKeys.ApiKeyService(Contexts).CreateAsync(Portal.Core.Access.Actor.System, merchantId, "browser tests")).PlainTextKey;
    }

    private sealed class FixtureContexts(PortalServerFixture fixture) : IDbContextFactory<PortalDbContext>
    {
        public PortalDbContext CreateDbContext() => fixture.CreateContext();
    }

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(DataDirectory);
        Directory.CreateDirectory(ScreenshotDirectory);
        var slice = Path.Combine(DataDirectory, "online_retail_slice.csv.gz");
        WriteSlice(Path.Combine(RepositoryRoot, "data", "online_retail.csv.gz"), slice, SliceRows);

        var port = PortalProcess.FreePort();
        BaseUrl = $"http://127.0.0.1:{port}";
        _server = PortalProcess.Start(["--urls", BaseUrl], new Dictionary<string, string>
        {
            ["DataDirectory"] = DataDirectory,
            ["Bootstrap__DataFile"] = slice,
            ["Bootstrap__Models"] = string.Join(',', Models),
            // The push pipeline without its text channels here: its own Word2Vec fits take minutes on a loaded 2-core
            // machine (evaluate --model blend runs the whole pipeline with them).
            ["Training__ModelParameters__blend__quota_text2vec"] = "0",
            ["Training__ModelParameters__blend__quota_new"] = "0",
            // Every seeded account (admin@portal.local, ...) gets this password.
            ["Seed__Password"] = PortalLogin.TestPassword,
        });

        await WaitForAsync(async () =>
        {
            using var http = new HttpClient();
            try { return (await http.GetAsync(BaseUrl + "/health/live")).IsSuccessStatusCode; } catch (HttpRequestException) { return false; }
        }, TimeSpan.FromMinutes(2), "the server to answer");
        await WaitForAsync(async () =>
        {
            await using var db = CreateContext();
            var done = await db.TrainingRuns.CountAsync(r => r.Status == TrainingStatus.Succeeded);
            if (await db.TrainingRuns.AnyAsync(r => r.Status == TrainingStatus.Failed))
                throw new InvalidOperationException("A first-start training run failed.\n" + ServerLog);
            return done >= Models.Length;
        }, TimeSpan.FromMinutes(20), "the first start to import the slice and train " + string.Join(", ", Models));

        _playwright = await Playwright.CreateAsync();
        Browser = await PortalLogin.LaunchChromiumAsync(_playwright);
        AdminState = await SignInStateAsync("admin@portal.local");
    }

    /// <summary>The browser storage state (cookies) of a signed-in admin, made once through the real login form.</summary>
    public string AdminState { get; private set; } = "";

    /// <summary>Signs in <paramref name="email"/> through the login page in a fresh browser context and returns its storage state.</summary>
    /// <param name="email">A seeded account (password <see cref="PortalLogin.TestPassword"/>).</param>
    public Task<string> SignInStateAsync(string email) => PortalLogin.SignInStateAsync(Browser, BaseUrl, email);

    /// <summary>A browser context signed in as admin (unless <paramref name="options"/> sets its own storage state).</summary>
    /// <param name="options">Context options (viewport, locale).</param>
    public Task<IBrowserContext> NewContextAsync(BrowserNewContextOptions? options = null)
    {
        options ??= new();
        options.StorageState ??= AdminState;
        return Browser.NewContextAsync(options);
    }

    /// <summary>A page in its own context, signed in as admin (unless <paramref name="options"/> sets its own storage state).</summary>
    /// <param name="options">Page options (viewport).</param>
    public Task<IPage> NewPageAsync(BrowserNewPageOptions? options = null)
    {
        options ??= new();
        options.StorageState ??= AdminState;
        return Browser.NewPageAsync(options);
    }

    /// <summary>An HTTP client signed in as admin (cookies; redirects not followed), based at <see cref="BaseUrl"/>.</summary>
    public Task<HttpClient> AdminHttpClientAsync() => PortalLogin.SignInAsync(BaseUrl, "admin@portal.local");

    /// <summary>What the server printed so far (for failure messages).</summary>
    public string ServerLog => _server?.Log ?? "";

    private Task WaitForAsync(Func<Task<bool>> condition, TimeSpan timeout, string what) =>
        PortalProcess.WaitForAsync(condition, timeout, what, _server!);

    /// <summary>Copies the header and the first <paramref name="rows"/> data rows of a gzip CSV into a new gzip file.</summary>
    public static void WriteSlice(string source, string target, int rows)
    {
        using var reader = new StreamReader(new GZipStream(File.OpenRead(source), CompressionMode.Decompress));
        using var writer = new StreamWriter(new GZipStream(File.Create(target), CompressionLevel.Fastest), new UTF8Encoding(false));
        writer.WriteLine(reader.ReadLine());
        for (var i = 0; i < rows && reader.ReadLine() is { } line; i++) writer.WriteLine(line);
    }

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.CloseAsync();
        _playwright?.Dispose();
        if (_server is not null) await _server.DisposeAsync();
        try { Directory.Delete(DataDirectory, recursive: true); } catch (IOException) { }
    }
}

/// <summary>Browser tests share one server.</summary>
[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<PortalServerFixture>
{
    /// <summary>The collection's name.</summary>
    public const string Name = "browser";
}
