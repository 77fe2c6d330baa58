using Hangfire;
using Hangfire.Storage.SQLite;
using MudBlazor.Services;
using Portal.Core;
using Portal.Core.Data;
using Portal.Client;
using Portal.Server.Apis;

// Command-line verbs run without the web host.
if (args.Length > 0 && args[0] == "evaluate")
    return await Portal.Server.Cli.EvaluateVerb.RunAsync(args[1..]);

var builder = WebApplication.CreateBuilder(args);
var database = builder.Configuration.GetSection("Database").Get<DatabaseOptions>() ?? new DatabaseOptions();
var dataDirectory = Path.GetFullPath(builder.Configuration["DataDirectory"] ?? Path.Combine(builder.Environment.ContentRootPath, "data"));
builder.Services.AddPortalCore(database, dataDirectory);

builder.Services.AddHangfire(h => h
    .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
    .UseSimpleAssemblyNameTypeSerializer()
    .UseRecommendedSerializerSettings()
    .UseSQLiteStorage(Path.Combine(dataDirectory, "hangfire.db"), new SQLiteStorageOptions { QueuePollInterval = TimeSpan.FromSeconds(1) }));
builder.Services.AddHangfireServer(o => o.Queues = ["gpu", "default"]);

builder.Services.AddMudServices();
// Pages: localisation (English, zh-CN) for Portal.Client.
builder.Services.AddPortalClient();
builder.Services.AddRazorComponents().AddInteractiveServerComponents();

var app = builder.Build();
if (!app.Environment.IsDevelopment())
    app.UseExceptionHandler("/Error", createScopeForErrors: true);
// Pages: request culture from the culture cookie; the language switch and the rejected-rows download.
app.UsePortalLocalization();
app.UseAntiforgery();
app.MapStaticAssets();
app.MapCultureApi();
app.MapImportsApi();
app.MapRazorComponents<Portal.Client.App>().AddInteractiveServerRenderMode();
app.MapHangfireDashboard("/hangfire");
await app.RunAsync();
return 0;
