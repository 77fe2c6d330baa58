using System.Diagnostics.Metrics;
using Portal.Core.Evaluation;

namespace Portal.Core.Training;

/// <summary>
/// Training metrics as OpenTelemetry instruments (System.Diagnostics.Metrics; the host exports them over OTLP, see
/// Portal.Server/Hosting/Telemetry.cs). Meter <see cref="MeterName"/>:
/// <list type="bullet">
/// <item><c>portal.training.duration</c> (histogram, seconds): wall time of a training run's training job (refit, test evaluation, serving fit, storing; not the search job before it), tags <c>model</c>, <c>outcome</c> (<c>succeeded</c>, <c>failed</c>, <c>cancelled</c>).</item>
/// <item><c>portal.training.metric</c> (gauge, unitless): the offline metrics of the last run of a model as stored in the registry (Recall@K, NDCG@K, HitRate@K, Coverage@20 of shared/EVALUATION.md), tags <c>model</c>, <c>task</c> (<c>all</c>, <c>novel</c>, <c>validation-all</c>, <c>validation-novel</c>), <c>metric</c> (<c>ndcg@20</c>, ...).</item>
/// <item><c>portal.training.events</c> (histogram, events): interactions a run trained on, tag <c>model</c>.</item>
/// </list>
/// Recording costs nothing when no listener is attached.
/// </summary>
public static class TrainingTelemetry
{
    /// <summary>The meter's name (add it to a MeterProvider to export these instruments).</summary>
    public const string MeterName = "Portal.Training";

    private static readonly Meter Meter = new(MeterName, "1.0");

    private static readonly Histogram<double> Duration = Meter.CreateHistogram<double>(
        "portal.training.duration", "s", "Wall time of a training run's training job (refit, test evaluation, serving fit, storing; the search job before it is not included).");

    private static readonly Gauge<double> Metric = Meter.CreateGauge<double>(
        "portal.training.metric", null, "Offline metric of the model's latest training run (shared/EVALUATION.md).");

    private static readonly Histogram<long> Events = Meter.CreateHistogram<long>(
        "portal.training.events", "{event}", "Interactions a training run trained on.");

    /// <summary>Records a finished run.</summary>
    /// <param name="model">Model name (<c>itemknn</c>).</param>
    /// <param name="outcome"><c>succeeded</c>, <c>failed</c> or <c>cancelled</c>.</param>
    /// <param name="seconds">Wall time in seconds (≥ 0).</param>
    /// <param name="events">Interactions trained on; null when the run failed before loading them.</param>
    public static void RecordRun(string model, string outcome, double seconds, long? events)
    {
        var tags = new KeyValuePair<string, object?>[] { new("model", model), new("outcome", outcome) };
        Duration.Record(seconds, tags);
        if (events is { } n) Events.Record(n, new KeyValuePair<string, object?>("model", model));
    }

    /// <summary>Records the metrics of one task of a run (each of <see cref="TaskMetrics.Named"/>).</summary>
    /// <param name="model">Model name.</param>
    /// <param name="task">Task label as stored (<c>all</c>, <c>novel</c>, <c>validation-all</c>, <c>validation-novel</c>).</param>
    /// <param name="metrics">The values; null (a task not evaluated) records nothing.</param>
    public static void RecordMetrics(string model, string task, TaskMetrics? metrics)
    {
        if (metrics is null) return;
        foreach (var (name, value) in metrics.Named())
            Metric.Record(value, new KeyValuePair<string, object?>("model", model), new KeyValuePair<string, object?>("task", task),
                new KeyValuePair<string, object?>("metric", name));
    }
}
