using System.Diagnostics;
using System.Diagnostics.Metrics;
using Hangfire.Common;
using Hangfire.Server;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Portal.Core.Training;

namespace Portal.Server.Hosting;

/// <summary>
/// OpenTelemetry for both roles (the ServiceDefaults of the portal): metrics and traces of ASP.NET Core, outgoing HTTP,
/// EF Core, Hangfire jobs (<see cref="JobTelemetryFilter"/>) and training (<see cref="TrainingTelemetry"/>). Exported
/// over OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set (environment or configuration; protocol from
/// <c>OTEL_EXPORTER_OTLP_PROTOCOL</c>), otherwise collected and dropped. Service name: <c>OTEL_SERVICE_NAME</c> or the role.
/// </summary>
public static class Telemetry
{
    /// <summary>EF Core's own meter (EF Core 9+: queries, SaveChanges, compiled query cache).</summary>
    public const string EfCoreMeterName = "Microsoft.EntityFrameworkCore";

    /// <summary>Adds OpenTelemetry metrics and tracing with the portal's instruments and, when configured, the OTLP exporter.</summary>
    /// <param name="services">The container.</param>
    /// <param name="configuration">Configuration (environment variables included).</param>
    /// <param name="role">Default service name: <c>portal-web</c> or <c>portal-worker</c>.</param>
    /// <returns>The OpenTelemetry builder (tests add an in-memory exporter to it).</returns>
    public static OpenTelemetryBuilder AddPortalTelemetry(this IServiceCollection services, IConfiguration configuration, string role)
    {
        var serviceName = configuration["OTEL_SERVICE_NAME"] is { Length: > 0 } name ? name : role;
        var builder = services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(serviceName, serviceVersion: typeof(Telemetry).Assembly.GetName().Version?.ToString(),
                serviceInstanceId: $"{Environment.MachineName}:{Environment.ProcessId}"))
            .WithMetrics(m => m
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddMeter(EfCoreMeterName, JobTelemetryFilter.MeterName, TrainingTelemetry.MeterName))
            .WithTracing(t => t
                // Health probes every few seconds would drown the traces.
                .AddAspNetCoreInstrumentation(o => o.Filter = http => !http.Request.Path.StartsWithSegments("/health"))
                .AddHttpClientInstrumentation()
                .AddEntityFrameworkCoreInstrumentation()
                .AddSource(JobTelemetryFilter.ActivitySourceName));
        if (!string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
            builder.UseOtlpExporter();
        return builder;
    }
}

/// <summary>
/// Hangfire server filter: one <c>portal.job.duration</c> histogram measurement (seconds) per performed job, tags
/// <c>job.type</c> (<c>ImportJob.RunAsync</c>), <c>job.queue</c> and <c>job.outcome</c> (<c>succeeded</c>, <c>failed</c>,
/// <c>cancelled</c>), and an activity <c>hangfire.job</c> around it (so EF Core spans of the job nest under it).
/// Registered (<see cref="Register"/>) when <see cref="PortalHosting.AddPortalServer"/> configures Hangfire, in web and worker alike.
/// </summary>
public sealed class JobTelemetryFilter : JobFilterAttribute, IServerFilter
{
    /// <summary>Meter of the job instruments.</summary>
    public const string MeterName = "Portal.Jobs";
    /// <summary>Activity source of the job spans.</summary>
    public const string ActivitySourceName = "Portal.Jobs";
    /// <summary>Name of the duration histogram.</summary>
    public const string DurationInstrument = "portal.job.duration";

    private const string ClockKey = "portal.telemetry.clock";
    private const string ActivityKey = "portal.telemetry.activity";
    private static readonly Meter Meter = new(MeterName, "1.0");
    private static readonly ActivitySource Source = new(ActivitySourceName, "1.0");
    private static readonly Histogram<double> Duration = Meter.CreateHistogram<double>(DurationInstrument, "s",
        "Time a Hangfire job took to perform, per job type and outcome.");

    private static readonly Lock RegisterLock = new();

    /// <summary>
    /// Adds one instance to Hangfire's global filters (where Hangfire's <c>UseFilter</c> puts filters too), once per
    /// process however many hosts configure Hangfire (tests build several), so that a job is measured once.
    /// </summary>
    public static void Register()
    {
        lock (RegisterLock)
            if (!Hangfire.GlobalJobFilters.Filters.Any(f => f.Instance is JobTelemetryFilter))
                Hangfire.GlobalJobFilters.Filters.Add(new JobTelemetryFilter());
    }

    /// <summary>The <c>job.type</c> tag of a job: declaring type name and method name.</summary>
    /// <param name="job">The Hangfire job.</param>
    public static string JobType(Job job) => $"{job.Type.Name}.{job.Method.Name}";

    /// <inheritdoc />
    public void OnPerforming(PerformingContext context)
    {
        context.Items[ClockKey] = Stopwatch.StartNew();
        var activity = Source.StartActivity("hangfire.job " + JobType(context.BackgroundJob.Job), ActivityKind.Internal);
        activity?.SetTag("job.id", context.BackgroundJob.Id);
        activity?.SetTag("job.type", JobType(context.BackgroundJob.Job));
        if (activity is not null) context.Items[ActivityKey] = activity;
    }

    /// <inheritdoc />
    public void OnPerformed(PerformedContext context)
    {
        var outcome = context.Exception switch
        {
            null => "succeeded",
            OperationCanceledException or Hangfire.Server.JobAbortedException => "cancelled",
            _ => "failed",
        };
        var queue = context.BackgroundJob.Job.Queue ?? context.BackgroundJob.Job.Method
            .GetCustomAttributes(typeof(Hangfire.QueueAttribute), true).OfType<Hangfire.QueueAttribute>().FirstOrDefault()?.Queue ?? "default";
        if (context.Items.TryGetValue(ClockKey, out var c) && c is Stopwatch clock)
            Duration.Record(clock.Elapsed.TotalSeconds,
                new KeyValuePair<string, object?>("job.type", JobType(context.BackgroundJob.Job)),
                new KeyValuePair<string, object?>("job.queue", queue),
                new KeyValuePair<string, object?>("job.outcome", outcome));
        if (context.Items.TryGetValue(ActivityKey, out var a) && a is Activity activity)
        {
            activity.SetTag("job.outcome", outcome);
            if (context.Exception is { } e) activity.SetStatus(ActivityStatusCode.Error, e.GetBaseException().Message);
            activity.Dispose();
        }
    }
}
