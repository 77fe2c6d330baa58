namespace Portal.Core.Backtest;

/// <summary>State of a backtest run.</summary>
public enum BacktestStatus
{
    /// <summary>Waiting for a job server.</summary>
    Queued,
    /// <summary>Replaying the weeks.</summary>
    Running,
    /// <summary>Every week of every model is stored.</summary>
    Succeeded,
    /// <summary>An error stopped the run; weeks stored so far are kept.</summary>
    Failed,
}

/// <summary>
/// One replay backtest over the stored behaviour log (<see cref="ReplayBacktester"/>): its settings, state and the
/// weekly figures per model. Figures are "replayed" (a push counts as clicked when the customer bought the item in
/// the following 7 days), never online CTR from real impressions.
/// </summary>
public class BacktestRun
{
    /// <summary>Database key.</summary>
    public int Id { get; set; }
    /// <summary>State.</summary>
    public BacktestStatus Status { get; set; }
    /// <summary>Model names replayed, comma-separated.</summary>
    public required string Models { get; set; }
    /// <summary>Number of weeks walked back from the end of the log.</summary>
    public int Weeks { get; set; }
    /// <summary>Push list length per customer (K of Recall@K).</summary>
    public int ListLength { get; set; }
    /// <summary>A customer is pushed a list in a week when they had an event in this many days before it.</summary>
    public int ActiveWindowDays { get; set; }
    /// <summary>Fraction done, 0 to 1.</summary>
    public double Progress { get; set; }
    /// <summary>What is being done.</summary>
    public string? ProgressText { get; set; }
    /// <summary>Outcome or error.</summary>
    public string? Message { get; set; }
    /// <summary>Who started it (<c>first-start</c>, <c>schedule</c>, a user name).</summary>
    public string TriggeredBy { get; set; } = "system";
    /// <summary>When requested (UTC).</summary>
    public DateTime QueuedAt { get; set; } = DateTime.UtcNow;
    /// <summary>When started (UTC).</summary>
    public DateTime? StartedAt { get; set; }
    /// <summary>When finished (UTC).</summary>
    public DateTime? FinishedAt { get; set; }
    /// <summary>The weekly figures, one row per (model, week).</summary>
    public List<BacktestWeek> WeeksReplayed { get; set; } = [];
}

/// <summary>
/// One model in one replayed week: the model is trained on every event before <see cref="WeekStart"/>, each customer
/// active in the window before it is pushed a list, and a push is a replayed click when the customer bought the item
/// in [<see cref="WeekStart"/>, <see cref="WeekStart"/> + 7 days).
/// </summary>
public class BacktestWeek
{
    /// <summary>Database key.</summary>
    public long Id { get; set; }
    /// <summary>The run.</summary>
    public int BacktestRunId { get; set; }
    /// <summary>Model name (shared/FORMATS.md).</summary>
    public required string Model { get; set; }
    /// <summary>First instant of the week (UTC midnight).</summary>
    public DateTime WeekStart { get; set; }
    /// <summary>Events the model was trained on (all before the week).</summary>
    public int TrainEvents { get; set; }
    /// <summary>Customers pushed a list.</summary>
    public int PushedCustomers { get; set; }
    /// <summary>Pushes (list entries) sent.</summary>
    public long Pushes { get; set; }
    /// <summary>Pushes whose item the customer bought during the week.</summary>
    public long ReplayedClicks { get; set; }
    /// <summary>Pushed customers who bought anything during the week (the users of Recall@K).</summary>
    public int Buyers { get; set; }
    /// <summary>Replayed CTR = <see cref="ReplayedClicks"/> / <see cref="Pushes"/> (0 when nothing was pushed).</summary>
    public double ReplayedCtr { get; set; }
    /// <summary>Recall@K (K = the run's list length) averaged over <see cref="Buyers"/>: |list ∩ items bought in the week| / |items bought in the week|.</summary>
    public double RecallAtK { get; set; }
    /// <summary>Wall time of the model fit, seconds.</summary>
    public double FitSeconds { get; set; }
}
