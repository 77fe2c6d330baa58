using System.Diagnostics;
using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using Portal.Core.Data;
using Portal.Core.Training;

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
    public static readonly string[] Models = ["popularity", "itemknn", "blend"];

    private Process? _server;
    private readonly StringBuilder _log = new();
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

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(DataDirectory);
        Directory.CreateDirectory(ScreenshotDirectory);
        var slice = Path.Combine(DataDirectory, "online_retail_slice.csv.gz");
        WriteSlice(Path.Combine(RepositoryRoot, "data", "online_retail.csv.gz"), slice, SliceRows);

        var port = FreePort();
        BaseUrl = $"http://127.0.0.1:{port}";
        var configuration = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name; // bin/<Configuration>/net10.0
        var serverDll = Path.Combine(RepositoryRoot, "Portal.Server", "bin", configuration, "net10.0", "Portal.Server.dll");
        var psi = new ProcessStartInfo("dotnet", [serverDll, "--urls", BaseUrl])
        {
            WorkingDirectory = Path.Combine(RepositoryRoot, "Portal.Server"),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        psi.Environment["ASPNETCORE_CONTENTROOT"] = Path.Combine(RepositoryRoot, "Portal.Server");
        psi.Environment["DataDirectory"] = DataDirectory;
        psi.Environment["Bootstrap__DataFile"] = slice;
        psi.Environment["Bootstrap__Models"] = string.Join(',', Models);
        // The push pipeline without its text channels here: Word2Vec training alone takes minutes on a loaded 2-core
        // machine (evaluate --model blend runs the whole pipeline with them).
        psi.Environment["Training__ModelParameters__blend__quota_text2vec"] = "0";
        psi.Environment["Training__ModelParameters__blend__quota_new"] = "0";
        _server = Process.Start(psi)!;
        _server.OutputDataReceived += (_, e) => { lock (_log) _log.AppendLine(e.Data); };
        _server.ErrorDataReceived += (_, e) => { lock (_log) _log.AppendLine(e.Data); };
        _server.BeginOutputReadLine();
        _server.BeginErrorReadLine();

        await WaitForAsync(async () =>
        {
            using var http = new HttpClient();
            try { return (await http.GetAsync(BaseUrl + "/")).IsSuccessStatusCode; } catch (HttpRequestException) { return false; }
        }, TimeSpan.FromMinutes(2), "the server to answer");
        await WaitForAsync(async () =>
        {
            await using var db = CreateContext();
            var done = await db.TrainingRuns.CountAsync(r => r.Status == TrainingStatus.Succeeded);
            if (await db.TrainingRuns.AnyAsync(r => r.Status == TrainingStatus.Failed))
                throw new InvalidOperationException("A first-start training run failed.\n" + ServerLog);
            return done >= Models.Length;
        }, TimeSpan.FromMinutes(15), "the first start to import the slice and train " + string.Join(", ", Models));

        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--no-first-run", "--disable-quic"],
        });
    }

    /// <summary>What the server printed so far (for failure messages).</summary>
    public string ServerLog { get { lock (_log) return _log.ToString(); } }

    private async Task WaitForAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < timeout)
        {
            if (_server is { HasExited: true })
                throw new InvalidOperationException($"The server exited ({_server.ExitCode}) while waiting for {what}.\n{ServerLog}");
            try { if (await condition()) return; } catch (Microsoft.Data.Sqlite.SqliteException) { }
            await Task.Delay(1000);
        }
        throw new TimeoutException($"Timed out after {timeout} waiting for {what}.\n{ServerLog}");
    }

    /// <summary>Copies the header and the first <paramref name="rows"/> data rows of a gzip CSV into a new gzip file.</summary>
    public static void WriteSlice(string source, string target, int rows)
    {
        using var reader = new StreamReader(new GZipStream(File.OpenRead(source), CompressionMode.Decompress));
        using var writer = new StreamWriter(new GZipStream(File.Create(target), CompressionLevel.Fastest), new UTF8Encoding(false));
        writer.WriteLine(reader.ReadLine());
        for (var i = 0; i < rows && reader.ReadLine() is { } line; i++) writer.WriteLine(line);
    }

    private static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.CloseAsync();
        _playwright?.Dispose();
        if (_server is { HasExited: false })
        {
            _server.Kill(entireProcessTree: true);
            await _server.WaitForExitAsync();
        }
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
