namespace Portal.Core.Training;

/// <summary>State of a training run.</summary>
public enum TrainingStatus
{
    /// <summary>Waiting for a worker.</summary>
    Queued,
    /// <summary>The hyper-parameter search job is trying configurations on the validation split.</summary>
    Searching,
    /// <summary>Training or evaluating.</summary>
    Running,
    /// <summary>Trained and evaluated; the artifact exists.</summary>
    Succeeded,
    /// <summary>An error stopped the run; the active model was not replaced.</summary>
    Failed,
    /// <summary>Cancelled by a user; the active model was not replaced.</summary>
    Cancelled,
}

/// <summary>Place of a trained version in the model registry.</summary>
public enum ModelStatus
{
    /// <summary>Trained, not serving.</summary>
    Candidate,
    /// <summary>Serving the preview and push lists (one per model name).</summary>
    Active,
    /// <summary>Replaced by a newer version.</summary>
    Retired,
}

/// <summary>
/// One training of one model on the stored behaviour data: parameters, seed, data window, timings and the metrics of
/// both tasks of shared/EVALUATION.md. The model version trained here is the run's <see cref="Version"/>.
/// </summary>
public class TrainingRun
{
    /// <summary>Database key.</summary>
    public int Id { get; set; }
    /// <summary>Model name as in shared/FORMATS.md (<c>popularity</c>, <c>repeat</c>, <c>itemknn</c>, <c>userknn</c>, <c>ease</c>, ...).</summary>
    public required string Model { get; set; }
    /// <summary>Version label, unique per model (<c>20111209-1</c> style: data end date and a counter).</summary>
    public required string Version { get; set; }
    /// <summary>Hyper-parameters as a JSON object (the chosen ones, after the validation search).</summary>
    public string ParametersJson { get; set; } = "{}";
    /// <summary>Random seed.</summary>
    public int Seed { get; set; }
    /// <summary>Dataset name (for example <c>store</c>: the events stored in the database).</summary>
    public string? DatasetName { get; set; }
    /// <summary>Checksum of the training data (SHA-256 of the ordered events).</summary>
    public string? DatasetSha256 { get; set; }
    /// <summary>Earliest event used (UTC).</summary>
    public DateTime? DataFrom { get; set; }
    /// <summary>Latest event used (UTC).</summary>
    public DateTime? DataTo { get; set; }
    /// <summary>The split cut T of the evaluation (UTC).</summary>
    public DateTime? SplitT { get; set; }
    /// <summary>State of the run.</summary>
    public TrainingStatus Status { get; set; }
    /// <summary>Registry status of the trained version.</summary>
    public ModelStatus ModelStatus { get; set; } = ModelStatus.Candidate;
    /// <summary>Fraction done, 0 to 1, with <see cref="ProgressText"/> saying what is being done.</summary>
    public double Progress { get; set; }
    /// <summary>What the run is doing now (<c>searching k on validation</c>, <c>evaluating</c>).</summary>
    public string? ProgressText { get; set; }
    /// <summary>When the run was requested (UTC).</summary>
    public DateTime QueuedAt { get; set; } = DateTime.UtcNow;
    /// <summary>When the run started (UTC).</summary>
    public DateTime? StartedAt { get; set; }
    /// <summary>When the run ended (UTC).</summary>
    public DateTime? FinishedAt { get; set; }
    /// <summary>Wall time of the final fit on the train part, in seconds.</summary>
    public double? TrainSeconds { get; set; }
    /// <summary>Wall time of the hyper-parameter search on the validation split, in seconds.</summary>
    public double? SearchSeconds { get; set; }
    /// <summary>Wall time of the refit on all events for serving, in seconds.</summary>
    public double? ServeFitSeconds { get; set; }
    /// <summary>The evaluate JSON of shared/FORMATS.md for this run (dataset, split, model, params, all, novel).</summary>
    public string? ResultJson { get; set; }
    /// <summary>Path of the serving artifact, relative to the model folder.</summary>
    public string? ArtifactPath { get; set; }
    /// <summary>Outcome or error message.</summary>
    public string? Message { get; set; }
    /// <summary>Who started the run (user name, <c>first-start</c> or <c>schedule</c>).</summary>
    public string TriggeredBy { get; set; } = "system";
    /// <summary>The metrics, one row per (task, metric).</summary>
    public List<TrainingMetric> Metrics { get; set; } = [];
    /// <summary>The configurations the hyper-parameter search tried on the validation split, in grid order.</summary>
    public List<HyperParameterTrial> Trials { get; set; } = [];
    /// <summary>Hangfire job ids of the run (search job, then training job; <c>;</c>-separated), used to cancel it.</summary>
    public string? JobIds { get; set; }
    /// <summary>Where the run trained: the Hangfire server name (<c>host:queues:pid</c>) and the torch device (<see cref="TorchDevice.Describe"/>).</summary>
    public string? TrainedOn { get; set; }
}

/// <summary>
/// One configuration tried by the hyper-parameter search of a run on the validation split (shared/EVALUATION.md:
/// never on test), with its validation metrics for each task whose grid holds it.
/// </summary>
public class HyperParameterTrial
{
    /// <summary>Database key.</summary>
    public long Id { get; set; }
    /// <summary>The run.</summary>
    public int TrainingRunId { get; set; }
    /// <summary>Position in grid order (0-based); ties are won by the lower ordinal.</summary>
    public int Ordinal { get; set; }
    /// <summary>The configuration as a JSON object (parameter name to number).</summary>
    public required string ParametersJson { get; set; }
    /// <summary>Validation metrics of task all as JSON (<see cref="Evaluation.TaskMetrics"/>), null when not in that task's grid.</summary>
    public string? ValidationAllJson { get; set; }
    /// <summary>Validation metrics of task novel as JSON, null when not in that task's grid.</summary>
    public string? ValidationNovelJson { get; set; }
    /// <summary>Validation NDCG@20 of task all (the search criterion), null when not in that grid.</summary>
    public double? NdcgAll { get; set; }
    /// <summary>Validation NDCG@20 of task novel, null when not in that grid.</summary>
    public double? NdcgNovel { get; set; }
    /// <summary>Whether the search chose this configuration for task all (and for serving).</summary>
    public bool ChosenForAll { get; set; }
    /// <summary>Whether the search chose this configuration for task novel.</summary>
    public bool ChosenForNovel { get; set; }
}

/// <summary>One metric of one training run, for example task <c>all</c>, metric <c>ndcg@20</c>.</summary>
public class TrainingMetric
{
    /// <summary>Database key.</summary>
    public long Id { get; set; }
    /// <summary>The run.</summary>
    public int TrainingRunId { get; set; }
    /// <summary><c>all</c>, <c>novel</c> (test split), or <c>validation-all</c>, <c>validation-novel</c>.</summary>
    public required string Task { get; set; }
    /// <summary>Metric key as in the evaluate JSON (<c>recall@20</c>, <c>ndcg@20</c>, <c>hitrate@20</c>, <c>coverage@20</c>, ...).</summary>
    public required string Name { get; set; }
    /// <summary>The value (a fraction, 0 to 1).</summary>
    public double Value { get; set; }
}
