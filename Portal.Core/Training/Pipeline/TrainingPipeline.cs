using System.Diagnostics;
using Portal.Core.Evaluation;
using Portal.Core.Recommendation;

namespace Portal.Core.Training.Pipeline;

/// <summary>Progress of a pipeline run.</summary>
/// <param name="Fraction">Done, 0 to 1.</param>
/// <param name="Text">What is being done (<c>validation: k=100 shrink=10</c>).</param>
public sealed record PipelineProgress(double Fraction, string Text);

/// <summary>Options of a pipeline run.</summary>
public sealed record PipelineOptions
{
    /// <summary>Dataset name for the report (<c>store</c> for the database's events).</summary>
    public string DatasetName { get; init; } = "store";
    /// <summary>Dataset checksum for the report; null computes <see cref="InteractionSet.Sha256"/> of the events.</summary>
    public string? DatasetSha256 { get; init; }
    /// <summary>Random seed (recorded; the models of this build are deterministic).</summary>
    public int Seed { get; init; } = 42;
    /// <summary>Version label; null gives <c>yyyyMMdd-1</c> of the latest event.</summary>
    public string? Version { get; init; }
    /// <summary>Whether to fit the serving model on all interactions (step c).</summary>
    public bool FitServingModel { get; init; } = true;
    /// <summary>Override of the search grids per task (null: <see cref="Recommenders.Grid"/>).</summary>
    public Func<string, EvaluationTask, IReadOnlyList<IReadOnlyDictionary<string, double>>>? Grid { get; init; }
    /// <summary>
    /// The catalogue's product text, item id → text (name, description...), for models that read text
    /// (<see cref="Embeddings.ICatalogueTextModel"/>, <c>text2vec</c>); null when there is none. Such a model's serving
    /// fit (step c) also gets the items of this map that have no event, so that new products can be recommended
    /// through their text (cold start); the validation and test fits keep the protocol's catalogue (items of train).
    /// </summary>
    public IReadOnlyDictionary<string, string>? CatalogueText { get; init; }

    /// <summary>The catalogue's unit prices, item id → price, for models with price features (<see cref="IItemPriceModel"/>, <c>blend</c>); null when unknown.</summary>
    public IReadOnlyDictionary<string, double>? ItemPrices { get; init; }
}

/// <summary>One configuration tried on the validation split.</summary>
/// <param name="Parameters">The configuration.</param>
/// <param name="NdcgAll">Validation NDCG@20 of "all", if the configuration is in that task's grid.</param>
/// <param name="NdcgNovel">Validation NDCG@20 of "novel", if in that grid.</param>
public sealed record SearchTrial(IReadOnlyDictionary<string, double> Parameters, double? NdcgAll, double? NdcgNovel)
{
    /// <summary>All validation metrics of task "all" (null when not in that grid).</summary>
    public TaskMetrics? ValidationAll { get; init; }
    /// <summary>All validation metrics of task "novel" (null when not in that grid).</summary>
    public TaskMetrics? ValidationNovel { get; init; }
}

/// <summary>
/// Outcome of step (a), the hyper-parameter search on the validation split: every trial and each task's choice.
/// Produced by <see cref="TrainingPipeline.Search"/> (the search job) and consumed by <see cref="TrainingPipeline.Run"/>
/// (the training job), so that the search can run, be stored and be shown on its own.
/// </summary>
public sealed class SearchResult
{
    /// <summary>Every configuration tried, in grid order.</summary>
    public required IReadOnlyList<SearchTrial> Trials { get; init; }
    /// <summary>The configuration chosen for task all (best validation NDCG@20, first in grid order on ties); also the serving configuration.</summary>
    public required SearchTrial BestAll { get; init; }
    /// <summary>The configuration chosen for task novel.</summary>
    public required SearchTrial BestNovel { get; init; }
    /// <summary>Wall time of the search, seconds.</summary>
    public double SearchSeconds { get; init; }
}

/// <summary>What a pipeline run produced.</summary>
public sealed class PipelineResult
{
    /// <summary>The test report (the evaluate JSON).</summary>
    public required EvaluationReport Report { get; init; }
    /// <summary>Validation metrics of the chosen configuration, task "all".</summary>
    public required TaskMetrics ValidationAll { get; init; }
    /// <summary>Validation metrics of the chosen configuration, task "novel".</summary>
    public required TaskMetrics ValidationNovel { get; init; }
    /// <summary>Every configuration tried, in grid order.</summary>
    public required IReadOnlyList<SearchTrial> Trials { get; init; }
    /// <summary>The search (step a) the run used: its own, or the one passed in.</summary>
    public required SearchResult Search { get; init; }
    /// <summary>The model fitted on all interactions with the "all" parameters (null when not requested).</summary>
    public ServingModel? Serving { get; init; }
    /// <summary>Wall time of the validation search, seconds.</summary>
    public double SearchSeconds { get; init; }
    /// <summary>Wall time of the final fit(s) on the train part, seconds (also in the report).</summary>
    public double TrainSeconds { get; init; }
    /// <summary>Wall time of the serving fit on all interactions, seconds.</summary>
    public double ServeFitSeconds { get; init; }
}

/// <summary>
/// The training pipeline, pure (no database): (a) hyper-parameter search on the validation split by NDCG@20 of each
/// task, (b) refit on the whole train part with each task's choice and evaluation on test → <see cref="EvaluationReport"/>,
/// (c) fit of the serving model on all interactions with the "all" task's parameters (the push lists may repeat
/// past purchases). Follows shared/EVALUATION.md; nothing is chosen by looking at test.
/// </summary>
public static class TrainingPipeline
{
    /// <summary>Runs the pipeline.</summary>
    /// <param name="model">A name of <see cref="Recommenders.Names"/>.</param>
    /// <param name="events">All interactions in protocol order (timestamp, then source order).</param>
    /// <param name="options">Options (null: defaults).</param>
    /// <param name="progress">Receives fraction and text; may be null.</param>
    /// <param name="ct">Cancellation, checked between steps and users.</param>
    /// <param name="search">The result of <see cref="Search"/> on the same events and options (the search job's); null runs the search first.</param>
    /// <exception cref="ArgumentException">Unknown model, or the events do not allow a split.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="ct"/> was cancelled.</exception>
    public static PipelineResult Run(string model, IReadOnlyList<Interaction> events, PipelineOptions? options = null,
        IProgress<PipelineProgress>? progress = null, CancellationToken ct = default, SearchResult? search = null)
    {
        options ??= new PipelineOptions();
        if (!Recommenders.Names.Contains(model)) throw new ArgumentException($"Unknown model '{model}'. Available: {string.Join(", ", Recommenders.Names)}.", nameof(model));
        IRecommender Create(IReadOnlyDictionary<string, double>? p = null) => CreateModel(model, p, options);
        void Report(double f, string text) => progress?.Report(new PipelineProgress(Math.Clamp(f, 0, 1), $"{model}: {text}"));

        var searched = search ?? Search(model, events, options, progress, ct);
        var (bestAll, bestNovel) = (searched.BestAll, searched.BestNovel);
        var probe = Recommenders.Create(model);
        // A self-validating model (the push pipeline) chose its settings on the validation split inside Fit.
        var selfValidating = probe is ISelfValidatingRecommender;
        var split = TemporalSplit.Create(events);
        ct.ThrowIfCancellationRequested();

        // (b) Refit on the whole train part and evaluate on test.
        Report(0.6, $"fitting on train with {Describe(bestAll.Parameters)}");
        var train = Stopwatch.StartNew();
        var modelAll = Create(bestAll.Parameters);
        FitWithProgress(modelAll, split.Train, selfValidating ? 0.02 : 0.6, 0.7, $"fitting on train with {Describe(bestAll.Parameters)}", Report, ct);
        IRecommender modelNovel;
        if (SameParams(bestAll.Parameters, bestNovel.Parameters)) modelNovel = modelAll;
        else if (FitKey(bestAll.Parameters, probe.ScoringParameters) == FitKey(bestNovel.Parameters, probe.ScoringParameters))
            modelNovel = modelAll.WithScoringParameters(bestNovel.Parameters);
        else
        {
            Report(0.7, $"fitting on train with {Describe(bestNovel.Parameters)}");
            modelNovel = Create(bestNovel.Parameters);
            FitWithProgress(modelNovel, split.Train, 0.7, 0.8, $"fitting on train with {Describe(bestNovel.Parameters)}", Report, ct);
        }
        train.Stop();
        Report(0.8, "evaluating on test");
        var testAll = Evaluator.Evaluate(modelAll, split, all: true, novel: false, ct).All!;
        var testNovel = Evaluator.Evaluate(modelNovel, split, all: false, novel: true, ct).Novel!;
        var last = events.Max(e => e.Timestamp);
        var version = options.Version ?? $"{last:yyyyMMdd}-1";
        var report = new EvaluationReport
        {
            DatasetName = options.DatasetName,
            DatasetSha256 = options.DatasetSha256 ?? InteractionSet.Sha256(events),
            DatasetEvents = events.Count,
            T = split.T,
            TrainEvents = split.TrainEvents.Count,
            TestEvents = split.TestEvents.Count,
            CatalogueItems = split.CatalogueItems,
            EvaluatedUsersAll = split.AllUsers.Count,
            EvaluatedUsersNovel = split.NovelUsers.Count,
            Model = model,
            Version = version,
            ParamsAll = modelAll.Parameters,
            ParamsNovel = modelNovel.Parameters,
            Seed = options.Seed,
            TrainSeconds = train.Elapsed.TotalSeconds,
            All = testAll,
            Novel = testNovel,
        };

        // (c) Serving model on all interactions.
        ServingModel? serving = null;
        var serve = new Stopwatch();
        if (options.FitServingModel)
        {
            ct.ThrowIfCancellationRequested();
            Report(0.85, "fitting the serving model on all interactions");
            serve.Start();
            var full = Create(bestAll.Parameters);
            // A text model also serves catalogue products without events (cold start; see PipelineOptions.CatalogueText).
            var extra = full is Embeddings.ICatalogueTextModel ? options.CatalogueText?.Keys : null;
            FitWithProgress(full, InteractionSet.Create(events, extra), 0.85, 0.99, "fitting the serving model on all interactions", Report, ct);
            serve.Stop();
            serving = new ServingModel(full, version, DateTime.UtcNow);
        }
        if (selfValidating)
        {
            // The model measured itself on validation during the train fit: those are its "trials".
            var sv = (ISelfValidatingRecommender)modelAll;
            // No made-up figures: a self-validating model that did not measure itself is an error.
            var validationAll = sv.ValidationAll ?? throw new InvalidOperationException($"{model} reported no validation metrics of task all.");
            var validationNovel = sv.ValidationNovel ?? throw new InvalidOperationException($"{model} reported no validation metrics of task novel.");
            bestAll = bestAll with { NdcgAll = validationAll.Ndcg20, ValidationAll = validationAll };
            bestNovel = bestNovel with { NdcgNovel = validationNovel.Ndcg20, ValidationNovel = validationNovel };
            searched = new SearchResult { Trials = [bestAll, bestNovel], BestAll = bestAll, BestNovel = bestNovel, SearchSeconds = searched.SearchSeconds };
        }
        Report(1, $"done: test ndcg@20 all {testAll.Ndcg20:F4}, novel {testNovel.Ndcg20:F4}");
        return new PipelineResult
        {
            Report = report,
            ValidationAll = bestAll.ValidationAll!,
            ValidationNovel = bestNovel.ValidationNovel!,
            Trials = searched.Trials,
            Search = searched,
            Serving = serving,
            SearchSeconds = searched.SearchSeconds,
            TrainSeconds = train.Elapsed.TotalSeconds,
            ServeFitSeconds = serve.Elapsed.TotalSeconds,
        };
    }

    /// <summary>
    /// Step (a): tries every configuration of the model's grids (<see cref="PipelineOptions.Grid"/> or
    /// <see cref="Recommenders.Grid"/>) on the validation split (train minus its last 30 days → those 30 days) and
    /// chooses each task's best by NDCG@20 (ties: first in grid order). Configurations that differ only in scoring
    /// parameters share one fit. Reports progress in [0, 0.6].
    /// </summary>
    /// <param name="model">A name of <see cref="Recommenders.Names"/>.</param>
    /// <param name="events">All interactions in protocol order.</param>
    /// <param name="options">Options (null: defaults).</param>
    /// <param name="progress">Receives fraction and text; may be null.</param>
    /// <param name="ct">Cancellation, checked between fits and users.</param>
    /// <exception cref="ArgumentException">Unknown model, or the events do not allow a split.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="ct"/> was cancelled.</exception>
    public static SearchResult Search(string model, IReadOnlyList<Interaction> events, PipelineOptions? options = null,
        IProgress<PipelineProgress>? progress = null, CancellationToken ct = default)
    {
        options ??= new PipelineOptions();
        if (!Recommenders.Names.Contains(model)) throw new ArgumentException($"Unknown model '{model}'. Available: {string.Join(", ", Recommenders.Names)}.", nameof(model));
        var grid = options.Grid ?? Recommenders.Grid;
        IRecommender Create(IReadOnlyDictionary<string, double>? p = null) => CreateModel(model, p, options);
        void Report(double f, string text) => progress?.Report(new PipelineProgress(Math.Clamp(f, 0, 1), $"{model}: {text}"));

        Report(0, "splitting");
        var validation = TemporalSplit.Create(events).Validation();
        ct.ThrowIfCancellationRequested();

        // (a) Validation search. Configurations that differ only in scoring parameters share one fit.
        var search = Stopwatch.StartNew();
        var gridAll = grid(model, EvaluationTask.All);
        var gridNovel = grid(model, EvaluationTask.Novel);
        var configs = new List<(IReadOnlyDictionary<string, double> P, bool All, bool Novel)>();
        foreach (var p in gridAll.Concat(gridNovel))
        {
            var at = configs.FindIndex(c => SameParams(c.P, p));
            var inAll = gridAll.Any(q => SameParams(q, p));
            var inNovel = gridNovel.Any(q => SameParams(q, p));
            if (at < 0) configs.Add((p, inAll, inNovel));
        }
        var probe = Recommenders.Create(model);
        // A self-validating model (the push pipeline) chooses its settings on the validation split inside Fit: no fits
        // here; its trials are the first configuration of each grid, measured by the training fit (see Run).
        if (probe is ISelfValidatingRecommender)
        {
            SearchTrial a = new(gridAll[0], null, null), n = new(gridNovel[0], null, null);
            return new SearchResult { Trials = [a, n], BestAll = a, BestNovel = n, SearchSeconds = search.Elapsed.TotalSeconds };
        }
        var groups = configs.GroupBy(c => FitKey(c.P, probe.ScoringParameters)).ToList();
        var trials = new List<SearchTrial>();
        var done = 0;
        // Each group owns 0.6 × its share of the configurations. A model that reports its fit progress (the GRU: minutes
        // per fit, seconds per evaluation) gives 90 % of the group's slice to the fit, any other model half, so the bar
        // moves with the time spent rather than jumping after a long fit.
        var fitShare = probe is IReportsFitProgress ? 0.9 : 0.5;
        foreach (var group in groups)
        {
            ct.ThrowIfCancellationRequested();
            var first = group.First().P;
            var start = 0.6 * done / configs.Count;
            var slice = 0.6 * group.Count() / configs.Count;
            Report(start, $"validation fit {Describe(first)}");
            var fitted = Create(first);
            FitWithProgress(fitted, validation.Train, start, start + fitShare * slice, $"validation fit {Describe(first)}", Report, ct);
            var evaluated = 0;
            foreach (var (p, inAll, inNovel) in group)
            {
                var m = ReferenceEquals(p, first) ? fitted : fitted.WithScoringParameters(p);
                var (a, n) = Evaluator.Evaluate(m, validation, inAll, inNovel, ct);
                var trial = new SearchTrial(p, a?.Ndcg20, n?.Ndcg20) { ValidationAll = a, ValidationNovel = n };
                trials.Add(trial);
                done++;
                evaluated++;
                Report(start + slice * (fitShare + (1 - fitShare) * evaluated / group.Count()),
                    $"validation {Describe(p)}: ndcg@20 all {Fmt(a?.Ndcg20)} novel {Fmt(n?.Ndcg20)}, recall@20 all {Fmt(a?.Recall20)} novel {Fmt(n?.Recall20)}");
            }
        }
        // Grid order decides ties (the first best wins), independently of the grouping.
        var ordered = configs.Select(c => trials.First(t => SameParams(t.Parameters, c.P))).ToList();
        var bestAll = ordered.Where(t => t.NdcgAll is not null).MaxByFirst(t => t.NdcgAll!.Value);
        var bestNovel = ordered.Where(t => t.NdcgNovel is not null).MaxByFirst(t => t.NdcgNovel!.Value);
        search.Stop();
        return new SearchResult { Trials = ordered, BestAll = bestAll, BestNovel = bestNovel, SearchSeconds = search.Elapsed.TotalSeconds };
    }

    /// <summary>
    /// Fits <paramref name="model"/>; a model that reports its own progress (<see cref="IReportsFitProgress"/>, e.g. the
    /// GRU's epoch, loss and events/s) has it mapped into [<paramref name="from"/>, <paramref name="to"/>] of the run and
    /// prefixed with <paramref name="label"/>.
    /// </summary>
    private static void FitWithProgress(IRecommender model, InteractionSet data, double from, double to, string label,
        Action<double, string> report, CancellationToken ct)
    {
        if (model is IReportsFitProgress reporting)
            reporting.FitProgress = new CallbackProgress<FitProgress>(p => report(from + (to - from) * Math.Clamp(p.Fraction, 0, 1), $"{label}: {p.Text}"));
        try { model.Fit(data, ct); }
        finally { if (model is IReportsFitProgress r) r.FitProgress = null; }
    }

    /// <summary>An <see cref="IProgress{T}"/> that reports synchronously on the calling thread.</summary>
    private sealed class CallbackProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }

    /// <summary>A new model with parameters <paramref name="p"/> (defaults where absent), the run's seed and the catalogue text when it reads text.</summary>
    private static IRecommender CreateModel(string model, IReadOnlyDictionary<string, double>? p, PipelineOptions options)
    {
        var m = Recommenders.Create(model, p);
        // Models with a seed parameter train with the run's seed unless the grid sets one.
        if (m.Parameters.ContainsKey("seed") && p?.ContainsKey("seed") != true && m.Parameters["seed"] != options.Seed)
            m = Recommenders.Create(model, new Dictionary<string, double>(p ?? new Dictionary<string, double>()) { ["seed"] = options.Seed });
        if (m is Embeddings.ICatalogueTextModel t && options.CatalogueText is { } text) t.UseCatalogueText(text);
        if (m is IItemPriceModel priced && options.ItemPrices is { } prices) priced.UseItemPrices(prices);
        return m;
    }

    private static T MaxByFirst<T>(this IEnumerable<T> items, Func<T, double> key)
    {
        T best = default!; var bestKey = double.NegativeInfinity; var any = false;
        foreach (var x in items)
        {
            var k = key(x);
            if (!any || k > bestKey) { best = x; bestKey = k; any = true; }
        }
        return any ? best : throw new InvalidOperationException("Empty search grid.");
    }

    private static bool SameParams(IReadOnlyDictionary<string, double> a, IReadOnlyDictionary<string, double> b) =>
        a.Count == b.Count && a.All(kv => b.TryGetValue(kv.Key, out var v) && v == kv.Value);

    private static string FitKey(IReadOnlyDictionary<string, double> p, IReadOnlySet<string> scoring) =>
        string.Join(";", p.Where(kv => !scoring.Contains(kv.Key)).OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={kv.Value:R}"));

    /// <summary><c>k=100 shrink=10</c> style text of a configuration.</summary>
    public static string Describe(IReadOnlyDictionary<string, double> p) =>
        p.Count == 0 ? "(no parameters)" : string.Join(" ", p.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={kv.Value:G6}"));

    private static string Fmt(double? x) => x is null ? "-" : x.Value.ToString("F4", System.Globalization.CultureInfo.InvariantCulture);
}
