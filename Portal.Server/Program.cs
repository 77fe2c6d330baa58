using Hangfire;
using MudBlazor.Services;
using Portal.Core.Data;
using Portal.Client;
using Portal.Core.Jobs;
using Portal.Server.Accounts;
using Portal.Server.Apis;
using Portal.Server.ApiKeys;
using Portal.Server.Hosting;

// The worker role chosen by a setting instead of the `worker` verb: PORTAL_ROLE=worker (Hosting/WorkerHost.cs).
if (WorkerHost.SelectedByEnvironment(args)) return await WorkerHost.RunAsync(args);
// Command-line verbs run without the web host.
switch (args.FirstOrDefault())
{
    case "evaluate":
        return await Portal.Server.Cli.EvaluateVerb.RunAsync(args[1..]);
    case "evaluate-ctr":
        return await Portal.Server.Cli.EvaluateCtrVerb.RunAsync(args[1..]);
    case "bench":
        return Portal.Server.Cli.BenchVerb.Run(args[1..]);
    case "generate-synthetic":
        return Portal.Server.Cli.Scale.GenerateSyntheticVerb.Run(args[1..]);
    case "worker":
        return await WorkerHost.RunAsync(args[1..]);
    case "deliver":
        return await Portal.Server.Cli.DeliverVerb.RunAsync(args[1..]);
}

var builder = WebApplication.CreateBuilder(args);
// Production (SQL Server): stop within seconds, with a message naming the server, when it cannot be reached.
if (await DatabaseProbe.FailFastAsync(builder.Configuration, Console.Error) is { } probeExit) return probeExit;
// Serve static web assets (MudBlazor, blazor.web.js) from the build output in every environment, so that
// `dotnet run` needs no launch profile (a profile would print a line on stdout before the evaluate verb's JSON).
builder.WebHost.UseStaticWebAssets();
// The embedded default serves both queues in one process; with Jobs:ServeGpuQueue=false (compose) only `worker`
// processes train.
builder.Services.AddPortalServer(builder.Configuration, builder.Environment.ContentRootPath, PortalHosting.WebQueues(builder.Configuration));
builder.Services.AddSingleton(builder.Configuration.GetSection("Bootstrap").Get<BootstrapOptions>() ?? new BootstrapOptions());
builder.Services.AddHostedService<FirstStart>();
builder.Services.AddHostedService<RecurringJobsSchedule>();
// Accounts, roles, merchant isolation and the seeded accounts (Accounts/AccountsHosting.cs); after AddPortalServer so
// that the seeder runs after the migration.
builder.Services.AddPortalAccounts(builder.Configuration, builder.Environment);
builder.Services.AddHealthChecks().AddDbContextCheck<PortalDbContext>("database", tags: ["ready"])
    .AddCheck<JobStorageHealthCheck>("job-storage", tags: ["ready"]);
// Metrics and traces (OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set): Hosting/Telemetry.cs.
builder.Services.AddPortalTelemetry(builder.Configuration, "portal-web");

builder.Services.AddProblemDetails();
builder.Services.AddOpenApi();
// Machine APIs (feedback, recommend): merchant API keys (X-Api-Key), per-key rate limit, OpenAPI security scheme.
builder.Services.AddPortalApiKeys(builder.Configuration);
// Doubles in the push-list JSON may be NaN (no item vectors): written as "NaN" rather than failing.
builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals);
builder.Services.AddMudServices();
// Pages: localisation (English, zh-CN) for Portal.Client.
builder.Services.AddPortalClient();
// Push batch pages: who acts (ICurrentActor: the signed-in user's claims; a visitor who is not signed in may do nothing).
builder.Services.AddScoped<Portal.Client.Pages.Batches.ICurrentActor>(sp => new Portal.Client.Pages.Batches.ClaimsCurrentActor(sp));
builder.Services.AddRazorComponents().AddInteractiveServerComponents();

var app = builder.Build();
if (!app.Environment.IsDevelopment())
    app.UseExceptionHandler("/Error", createScopeForErrors: true);
// Pages: request culture from the culture cookie; the language switch and the rejected-rows download.
app.UsePortalLocalization();
// Unknown addresses get the portal's own not-found page, inside the layout.
app.UseStatusCodePagesWithReExecute("/not-found", createScopeForStatusCodePages: true);
// Sign-in cookie, role checks (fallback: a signed-in user) and the request's merchant scope; then the per-key rate
// limits of the API-key endpoints (Portal.Server/ApiKeys).
app.UsePortalAccounts();
app.UseRateLimiter();
app.UseAntiforgery();
app.MapStaticAssets().AllowAnonymous();
app.MapCultureApi().AllowAnonymous();
app.MapImportsApi();
app.MapTrendsApi();
app.MapTiersApi();
app.MapRecommendApi();
app.MapFeedbackApi();
app.MapOnlineCtrApi();
// The API description is public: API-key clients read it without a portal account.
app.MapOpenApi().AllowAnonymous();
app.MapRazorComponents<Portal.Client.App>().AddInteractiveServerRenderMode();
// Admins only: the endpoint's policy and Hangfire's own filter (401 anonymous, 403 other roles).
app.MapHangfireDashboard("/hangfire", new DashboardOptions { Authorization = [], AsyncAuthorization = [new HangfireAdminAuthorization()] })
    .RequireAuthorization(PortalPolicies.Admin);
app.MapHealthChecks("/health/live", new() { Predicate = _ => false }).AllowAnonymous();
app.MapHealthChecks("/health/ready", new() { Predicate = c => c.Tags.Contains("ready"), ResponseWriter = HealthResponse.WriteJsonAsync }).AllowAnonymous();
app.MapAccountEndpoints();
app.MapAdminApi();
await app.RunAsync();
return 0;
