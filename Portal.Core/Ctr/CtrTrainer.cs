using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;
using Microsoft.ML.Trainers.LightGbm;
using Microsoft.ML.Transforms;

namespace Portal.Core.Ctr;

/// <summary>The CTR trainers the portal knows.</summary>
public static class CtrTrainers
{
    /// <summary>LightGBM gradient-boosted trees, binary objective (Ke et al., "LightGBM: A Highly Efficient Gradient Boosting Decision Tree", NeurIPS 2017), through ML.NET.</summary>
    public const string LightGbm = "lightgbm";
    /// <summary>Field-aware factorisation machine (Juan, Zhuang, Chin &amp; Lin, "Field-aware Factorization Machines for CTR Prediction", RecSys 2016), ML.NET's FieldAwareFactorizationMachine.</summary>
    public const string Ffm = "ffm";
    /// <summary>Logistic regression fitted by L-BFGS (Liu &amp; Nocedal, Math. Programming 45, 1989): the baseline.</summary>
    public const string Logistic = "logistic";

    /// <summary>The trainers the chosen model is picked from (by mean validation AUC over the forward-chaining folds); on a tie the earlier one in this list wins.</summary>
    public static IReadOnlyList<string> Candidates { get; } = [LightGbm, Ffm];
}

/// <summary>One hyper-parameter setting of one trainer.</summary>
/// <param name="Trainer">One of <see cref="CtrTrainers"/>.</param>
/// <param name="Params">Hyper-parameters by name (numbers).</param>
public sealed record CtrConfig(string Trainer, IReadOnlyDictionary<string, double> Params)
{
    /// <summary>
    /// The settings tried by the forward-chaining validation of <see cref="CtrTrainer.Evaluate"/>, per trainer (small
    /// grids: the Open Bandit sample has tens of clicks, so each fold's AUC has a standard error near 0.1 and a larger
    /// grid would mostly add selection noise). On a tie of mean validation AUC the earlier setting wins.
    /// </summary>
    public static IReadOnlyList<CtrConfig> Grid { get; } =
    [
        .. from leaves in new[] { 4.0, 16 } from iterations in new[] { 50.0, 200 } from minLeaf in new[] { 20.0, 100 }
           select new CtrConfig(CtrTrainers.LightGbm, new Dictionary<string, double> { ["leaves"] = leaves, ["iterations"] = iterations, ["min_leaf"] = minLeaf, ["learning_rate"] = 0.05 }),
        .. from latent in new[] { 4.0, 8 } from iterations in new[] { 5.0, 20 } from lambda in new[] { 1e-4, 1e-3 }
           select new CtrConfig(CtrTrainers.Ffm, new Dictionary<string, double> { ["latent"] = latent, ["iterations"] = iterations, ["lambda"] = lambda, ["learning_rate"] = 0.1 }),
        .. from l2 in new[] { 0.1, 1, 10 }
           select new CtrConfig(CtrTrainers.Logistic, new Dictionary<string, double> { ["l2"] = l2 }),
    ];

    /// <summary>The parameters as a JSON object.</summary>
    public JsonObject ParamsJson()
    {
        var o = new JsonObject();
        foreach (var (k, v) in Params.OrderBy(kv => kv.Key, StringComparer.Ordinal)) o[k] = v;
        return o;
    }
}

/// <summary>The test-slice result of one trainer.</summary>
/// <param name="Config">Trainer and the hyper-parameters chosen by forward-chaining validation.</param>
/// <param name="Role"><c>candidate</c> (LightGBM, FFM) or <c>baseline</c> (logistic regression).</param>
/// <param name="ValidationAuc">Mean AUC of these parameters over the usable validation folds (<see cref="CtrFold.Usable"/>), each fitted on everything before its window.</param>
/// <param name="Auc">AUC on the test slice (fitted on the whole train part).</param>
/// <param name="LogLoss">Log loss on the test slice, nats.</param>
/// <param name="TrainSeconds">Wall time of the fit on the whole train part, seconds.</param>
/// <param name="AucStandardError">Standard error of <paramref name="Auc"/> (<see cref="CtrMetrics.AucStandardError"/>).</param>
/// <param name="ValidationFoldAucs">AUC of these parameters on each fold's window, in fold order (one per <see cref="CtrSplit.Folds"/>); null for a fold that is not usable.</param>
public sealed record CtrTrainerResult(CtrConfig Config, string Role, double ValidationAuc, double Auc, double LogLoss, double TrainSeconds,
    double AucStandardError, IReadOnlyList<double?> ValidationFoldAucs);

/// <summary>
/// One fold of the forward-chaining (rolling-origin) validation inside the train part: the model is fitted on train
/// impressions [0, <paramref name="ValidationStart"/>) and scored on the window [<paramref name="ValidationStart"/>,
/// <paramref name="ValidationEnd"/>) that follows them in time (Tashman, "Out-of-sample tests of forecasting accuracy:
/// an analysis and review", International Journal of Forecasting 16, 2000).
/// </summary>
/// <param name="Index">0-based fold number; windows are in time order.</param>
/// <param name="ValidationStart">Index (in the time-ordered train part) of the window's first impression = the number of impressions the fold fits on.</param>
/// <param name="ValidationEnd">Index one past the window's last impression.</param>
/// <param name="FitClicks">Clicked impressions in the fit part [0, <paramref name="ValidationStart"/>).</param>
/// <param name="ValidationClicks">Clicked impressions in the window.</param>
/// <param name="ValidationFrom">Timestamp of the window's first impression (UTC).</param>
/// <param name="ValidationTo">Timestamp of the window's last impression (UTC).</param>
public sealed record CtrFold(int Index, int ValidationStart, int ValidationEnd, int FitClicks, int ValidationClicks,
    DateTime ValidationFrom, DateTime ValidationTo)
{
    /// <summary>Impressions the fold fits on (train [0, <see cref="ValidationStart"/>)).</summary>
    public int FitImpressions => ValidationStart;

    /// <summary>Impressions in the validation window.</summary>
    public int ValidationImpressions => ValidationEnd - ValidationStart;

    /// <summary>
    /// True when the fold can score a setting: its window has a click and a non-click (AUC is defined) and its fit
    /// part has a click and a non-click (a binary trainer can fit). Unusable folds are reported and left out of the mean.
    /// </summary>
    public bool Usable => ValidationClicks > 0 && ValidationClicks < ValidationImpressions && FitClicks > 0 && FitClicks < FitImpressions;
}

/// <summary>Counts of the temporal split (shared/EVALUATION.md, CTR models) and of the validation folds inside train.</summary>
/// <param name="TrainImpressions">First 80 % of impressions by time.</param>
/// <param name="TrainClicks">Clicked impressions among them.</param>
/// <param name="Folds">The forward-chaining validation folds inside train (<see cref="CtrTrainer.TemporalFolds"/>).</param>
/// <param name="TestImpressions">The last 20 % of impressions by time.</param>
/// <param name="TestClicks">Clicked impressions in test.</param>
/// <param name="T">Timestamp of the first test impression (UTC).</param>
public sealed record CtrSplit(int TrainImpressions, int TrainClicks, IReadOnlyList<CtrFold> Folds, int TestImpressions, int TestClicks, DateTime T)
{
    /// <summary>Impressions in all validation windows together (the windows do not overlap).</summary>
    public int ValidationImpressions => Folds.Sum(f => f.ValidationImpressions);

    /// <summary>Clicked impressions in all validation windows together.</summary>
    public int ValidationClicks => Folds.Sum(f => f.ValidationClicks);

    /// <summary>Timestamp of the first impression of the first validation window (UTC).</summary>
    public DateTime TValidation => Folds[0].ValidationFrom;
}

/// <summary>What one CTR evaluation run measured: dataset, split, every trainer's AUC and log loss, the chosen model.</summary>
/// <param name="Dataset">The data.</param>
/// <param name="Split">The temporal split and the validation folds.</param>
/// <param name="Seed">Random seed of ML.NET.</param>
/// <param name="Results">One result per trainer (candidates then the baseline).</param>
/// <param name="Chosen">The candidate with the highest mean validation AUC.</param>
/// <param name="Baseline">The logistic-regression baseline.</param>
/// <param name="SearchSeconds">Wall time of the validation search (every grid setting on every usable fold), seconds.</param>
public sealed record CtrEvaluationReport(CtrDataset Dataset, CtrSplit Split, int Seed, IReadOnlyList<CtrTrainerResult> Results,
    CtrTrainerResult Chosen, CtrTrainerResult Baseline, double SearchSeconds)
{
    /// <summary>
    /// The JSON of the <c>evaluate-ctr</c> verb (README): <c>{"dataset":{name, sha256, impressions, clicks, rejected_rows},
    /// "split":{T, T_validation, train_impressions, train_clicks, validation_impressions, validation_clicks, test_impressions,
    /// test_clicks, folds:[{fold, fit_impressions, fit_clicks, validation_impressions, validation_clicks, T_from, T_to, usable}]},
    /// "seed", "search_seconds", "chosen":{trainer, auc, auc_se, log_loss}, "baseline":{...}, "trainers":[{trainer, role, params,
    /// validation_auc, validation_fold_aucs, auc, auc_se, log_loss, train_seconds}]}</c>. <c>validation_impressions</c> and
    /// <c>validation_clicks</c> are summed over the folds' windows, <c>T_validation</c> is the start of the first window,
    /// <c>validation_auc</c> is the mean over the usable folds (<c>validation_fold_aucs</c> holds null for the others);
    /// AUC (with its Hanley-McNeil standard error) and log loss are on the test slice.
    /// </summary>
    /// <param name="indented">Pretty-print.</param>
    public string ToJson(bool indented = false)
    {
        static string Time(DateTime t) => t.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture);
        static double R(double x) => Math.Round(x, 6);
        JsonObject Summary(CtrTrainerResult r) => new() { ["trainer"] = r.Config.Trainer, ["auc"] = R(r.Auc), ["auc_se"] = R(r.AucStandardError), ["log_loss"] = R(r.LogLoss) };
        var trainers = new JsonArray();
        foreach (var r in Results)
        {
            var foldAucs = new JsonArray();
            foreach (var a in r.ValidationFoldAucs) foldAucs.Add(a is { } x ? JsonValue.Create(R(x)) : null);
            trainers.Add(new JsonObject
            {
                ["trainer"] = r.Config.Trainer, ["role"] = r.Role, ["params"] = r.Config.ParamsJson(), ["validation_auc"] = R(r.ValidationAuc),
                ["validation_fold_aucs"] = foldAucs,
                ["auc"] = R(r.Auc), ["auc_se"] = R(r.AucStandardError), ["log_loss"] = R(r.LogLoss), ["train_seconds"] = Math.Round(r.TrainSeconds, 3),
            });
        }
        var folds = new JsonArray();
        foreach (var f in Split.Folds)
            folds.Add(new JsonObject
            {
                ["fold"] = f.Index, ["fit_impressions"] = f.FitImpressions, ["fit_clicks"] = f.FitClicks,
                ["validation_impressions"] = f.ValidationImpressions, ["validation_clicks"] = f.ValidationClicks,
                ["T_from"] = Time(f.ValidationFrom), ["T_to"] = Time(f.ValidationTo), ["usable"] = f.Usable,
            });
        var root = new JsonObject
        {
            ["dataset"] = new JsonObject
            {
                ["name"] = Dataset.Name, ["sha256"] = Dataset.Sha256, ["impressions"] = Dataset.Impressions.Count,
                ["clicks"] = Dataset.Impressions.Count(i => i.Clicked), ["rejected_rows"] = Dataset.Rejections.Count,
            },
            ["split"] = new JsonObject
            {
                ["T"] = Time(Split.T), ["T_validation"] = Time(Split.TValidation),
                ["train_impressions"] = Split.TrainImpressions, ["train_clicks"] = Split.TrainClicks,
                ["validation_impressions"] = Split.ValidationImpressions, ["validation_clicks"] = Split.ValidationClicks,
                ["test_impressions"] = Split.TestImpressions, ["test_clicks"] = Split.TestClicks,
                ["folds"] = folds,
            },
            ["seed"] = Seed,
            ["search_seconds"] = Math.Round(SearchSeconds, 3),
            ["chosen"] = Summary(Chosen),
            ["baseline"] = Summary(Baseline),
            ["trainers"] = trainers,
        };
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = indented });
    }
}

/// <summary>
/// Trains and evaluates CTR models on labelled impressions with the protocol of shared/EVALUATION.md: impressions
/// ordered by time, the first 80 % train and the last 20 % test. Hyper-parameters and the chosen model are picked by
/// forward-chaining temporal cross-validation inside train (the rolling-origin evaluation of Tashman, "Out-of-sample
/// tests of forecasting accuracy: an analysis and review", International Journal of Forecasting 16, 2000; the scheme of
/// scikit-learn's <c>TimeSeriesSplit</c>): <see cref="ValidationFolds"/> consecutive, equal, non-overlapping windows of
/// <see cref="ValidationWindowShare"/> of train each end the train part, and each window's model is fitted on everything
/// before it (<see cref="TemporalFolds"/>). A setting's validation AUC is the mean AUC over the usable folds
/// (<see cref="CtrFold.Usable"/>); each trainer's setting (<see cref="CtrConfig.Grid"/>) and the chosen candidate
/// (LightGBM or FFM) are those with the highest mean, ties going to the earlier one (grid order,
/// <see cref="CtrTrainers.Candidates"/> order), so runs are deterministic. Then every trainer is refitted on the whole
/// train part and scored on test (AUC, log loss by <see cref="CtrMetrics"/>); the L-BFGS logistic regression is the
/// baseline, trained in the same run on the same features. Test is never looked at for any choice.
/// </summary>
public static class CtrTrainer
{
    /// <summary>Share of impressions (by time) in the train part.</summary>
    public const double TrainShare = 0.8;

    /// <summary>Number of forward-chaining validation folds inside train.</summary>
    public const int ValidationFolds = 3;

    /// <summary>Size of each validation window as a share of the train part (3 × 0.2: the windows cover the last 60 % of train; the first fold fits on the first 40 %).</summary>
    public const double ValidationWindowShare = 0.2;

    /// <summary>
    /// The forward-chaining folds of a time-ordered train part: with n = <paramref name="train"/>.Count and
    /// w = ⌊n · <paramref name="windowShare"/>⌋, fold k (0-based, of K = <paramref name="folds"/>) validates on
    /// [n − (K − k)·w, n − (K − k − 1)·w) and fits on [0, n − (K − k)·w): the windows are consecutive, of equal size,
    /// do not overlap, the last ends at n, and each fold's fit part comes before its window in the time order (cuts are
    /// by position, like the protocol's own 80/20 cut, so impressions sharing one timestamp may fall on both sides)
    /// (Tashman, IJF 16, 2000).
    /// </summary>
    /// <param name="train">The train part, ordered by time.</param>
    /// <param name="folds">K ≥ 1.</param>
    /// <param name="windowShare">Window size as a share of train, in (0, 1); K · share must be below 1 so that the first fold has something to fit on.</param>
    /// <returns>K folds in time order.</returns>
    /// <exception cref="ArgumentOutOfRangeException">K &lt; 1, the share is outside (0, 1), K · share ≥ 1, or train is too short for a window of one impression.</exception>
    public static IReadOnlyList<CtrFold> TemporalFolds(IReadOnlyList<CtrImpression> train, int folds = ValidationFolds, double windowShare = ValidationWindowShare)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentOutOfRangeException.ThrowIfLessThan(folds, 1);
        if (!(windowShare > 0 && windowShare < 1) || folds * windowShare >= 1)
            throw new ArgumentOutOfRangeException(nameof(windowShare), windowShare, $"the window share must be in (0, 1) and {folds} windows must leave part of train to fit the first fold on.");
        var n = train.Count;
        var w = (int)(n * windowShare);
        if (w < 1 || n - folds * w < 1)
            throw new ArgumentOutOfRangeException(nameof(train), n, $"{n} train impressions are too few for {folds} validation windows of {windowShare:P0}.");
        var clicksBefore = new int[n + 1];
        for (var i = 0; i < n; i++) clicksBefore[i + 1] = clicksBefore[i] + (train[i].Clicked ? 1 : 0);
        var result = new List<CtrFold>(folds);
        for (var k = 0; k < folds; k++)
        {
            var start = n - (folds - k) * w;
            var end = start + w;
            result.Add(new CtrFold(k, start, end, clicksBefore[start], clicksBefore[end] - clicksBefore[start], train[start].Timestamp, train[end - 1].Timestamp));
        }
        return result;
    }

    /// <summary>Runs the protocol on <paramref name="dataset"/>.</summary>
    /// <param name="dataset">Impressions ordered by time (as the loaders return them).</param>
    /// <param name="seed">ML.NET seed.</param>
    /// <param name="progress">Optional progress text.</param>
    /// <param name="ct">Cancellation (checked between fits).</param>
    /// <exception cref="ArgumentException">Too few impressions; the train or test slice without a click or without a non-click (AUC undefined); or no validation fold with both labels in its window and its fit part.</exception>
    public static CtrEvaluationReport Evaluate(CtrDataset dataset, int seed = 42, Action<string>? progress = null, CancellationToken ct = default)
    {
        var all = dataset.Impressions;
        if (all.Count < 50) throw new ArgumentException($"{dataset.Name}: {all.Count} impressions are too few for a CTR evaluation (at least 50).");
        var cut = (int)(all.Count * TrainShare);
        var train = all.Take(cut).ToList();
        var test = all.Skip(cut).ToList();
        RequireBothLabels(dataset.Name, "test", test);
        RequireBothLabels(dataset.Name, "train", train);
        var folds = TemporalFolds(train);
        if (!folds.Any(f => f.Usable))
            throw new ArgumentException($"{dataset.Name}: no validation fold has clicks and non-clicks in both its fit part and its window " +
                                        $"(window clicks: {string.Join(", ", folds.Select(f => $"{f.ValidationClicks} of {f.ValidationImpressions}"))}); AUC cannot choose a model.");
        var split = new CtrSplit(train.Count, train.Count(i => i.Clicked), folds, test.Count, test.Count(i => i.Clicked), test[0].Timestamp);
        foreach (var f in folds)
            progress?.Invoke($"fold {f.Index}: fit {f.FitImpressions} impressions ({f.FitClicks} clicks), validate {f.ValidationImpressions} ({f.ValidationClicks} clicks)" +
                             (f.Usable ? "" : ", not usable (a label is missing)"));

        var clock = Stopwatch.StartNew();
        var best = new Dictionary<string, (CtrConfig Config, double Auc, double?[] FoldAucs)>(StringComparer.Ordinal);
        foreach (var config in CtrConfig.Grid)
        {
            var foldAucs = new double?[folds.Count];
            foreach (var f in folds.Where(f => f.Usable))
            {
                ct.ThrowIfCancellationRequested();
                var model = CtrModel.Fit(config, train.GetRange(0, f.ValidationStart), seed);
                var window = train.GetRange(f.ValidationStart, f.ValidationImpressions);
                foldAucs[f.Index] = CtrMetrics.RocAuc(model.Predict(window.Select(i => i.Features).ToList()), window.Select(i => i.Clicked).ToList());
            }
            var auc = foldAucs.Where(a => a.HasValue).Average(a => a!.Value);
            progress?.Invoke($"validation {config.Trainer} {config.ParamsJson().ToJsonString()}: mean AUC {auc:F4} " +
                             $"(folds {string.Join(", ", foldAucs.Select(a => a is { } x ? x.ToString("F4", CultureInfo.InvariantCulture) : "-"))})");
            // Strictly greater: the earlier setting of the grid wins ties (deterministic).
            if (!best.TryGetValue(config.Trainer, out var b) || auc > b.Auc) best[config.Trainer] = (config, auc, foldAucs);
        }
        var searchSeconds = clock.Elapsed.TotalSeconds;

        var results = new List<CtrTrainerResult>();
        var labels = test.Select(i => i.Clicked).ToList();
        foreach (var trainer in new[] { CtrTrainers.LightGbm, CtrTrainers.Ffm, CtrTrainers.Logistic })
        {
            ct.ThrowIfCancellationRequested();
            var (config, validationAuc, foldAucs) = best[trainer];
            var fitClock = Stopwatch.StartNew();
            var model = CtrModel.Fit(config, train, seed);
            var seconds = fitClock.Elapsed.TotalSeconds;
            var p = model.Predict(test.Select(i => i.Features).ToList());
            var auc = CtrMetrics.RocAuc(p, labels);
            var result = new CtrTrainerResult(config, trainer == CtrTrainers.Logistic ? "baseline" : "candidate", validationAuc,
                auc, CtrMetrics.LogLoss(p, labels), seconds, CtrMetrics.AucStandardError(auc, split.TestClicks, split.TestImpressions - split.TestClicks), foldAucs);
            progress?.Invoke($"test {trainer}: AUC {result.Auc:F4}, log loss {result.LogLoss:F5}");
            results.Add(result);
        }
        var chosen = ChooseCandidate(results);
        return new CtrEvaluationReport(dataset, split, seed, results, chosen, results.Single(r => r.Role == "baseline"), searchSeconds);
    }

    /// <summary>
    /// The candidate with the highest mean validation AUC; on a tie the one earlier in <see cref="CtrTrainers.Candidates"/>
    /// (then earlier in <paramref name="results"/>). Never looks at test metrics.
    /// </summary>
    /// <param name="results">Trainer results, at least one with role <c>candidate</c>.</param>
    /// <exception cref="InvalidOperationException">No candidate among the results.</exception>
    public static CtrTrainerResult ChooseCandidate(IReadOnlyList<CtrTrainerResult> results)
    {
        CtrTrainerResult? chosen = null;
        foreach (var name in CtrTrainers.Candidates)
            foreach (var r in results.Where(r => r.Role == "candidate" && r.Config.Trainer == name))
                if (chosen is null || r.ValidationAuc > chosen.ValidationAuc) chosen = r;
        return chosen ?? throw new InvalidOperationException("no candidate trainer among the results.");
    }

    private static void RequireBothLabels(string name, string slice, IReadOnlyList<CtrImpression> part)
    {
        var clicks = part.Count(i => i.Clicked);
        if (clicks == 0 || clicks == part.Count)
            throw new ArgumentException($"{name}: the {slice} slice ({part.Count} impressions) has {clicks} clicks; AUC needs clicks and non-clicks in it.");
    }
}

/// <summary>
/// A fitted CTR model: ML.NET's featurisation (one-hot item id, position, user and item-context categories; min-max
/// scaled numeric features) followed by one binary trainer, with the <see cref="CtrFeatureLayout"/> it was fitted on.
/// Thread-safe for prediction. Saved as an ML.NET model zip (<see cref="ModelOperationsCatalog.Save(ITransformer, DataViewSchema, Stream)"/>)
/// plus the layout JSON.
/// </summary>
public sealed class CtrModel
{
    private readonly MLContext _ml;
    private readonly ITransformer _model;

    private CtrModel(MLContext ml, ITransformer model, CtrFeatureLayout layout, CtrConfig config)
    {
        _ml = ml;
        _model = model;
        Layout = layout;
        Config = config;
    }

    /// <summary>The column layout of the model's input.</summary>
    public CtrFeatureLayout Layout { get; }

    /// <summary>The trainer and its hyper-parameters.</summary>
    public CtrConfig Config { get; }

    /// <summary>Fits <paramref name="config"/> on <paramref name="impressions"/>.</summary>
    /// <param name="config">Trainer and hyper-parameters.</param>
    /// <param name="impressions">Labelled impressions (both labels present).</param>
    /// <param name="seed">ML.NET seed.</param>
    /// <exception cref="ArgumentException">Unknown trainer or no impressions.</exception>
    public static CtrModel Fit(CtrConfig config, IReadOnlyList<CtrImpression> impressions, int seed = 42)
    {
        if (impressions.Count == 0) throw new ArgumentException("no impressions to fit on.", nameof(impressions));
        var ml = new MLContext(seed);
        var layout = CtrFeatureLayout.From(impressions);
        var data = ml.Data.LoadFromEnumerable(impressions.Select(i => layout.ToRow(i.Features, i.Clicked)), Schema(layout));
        IEstimator<ITransformer> featurize = ml.Transforms.Categorical.OneHotEncoding(
            [
                new InputOutputColumnPair("ItemIdF", nameof(CtrRow.ItemId)),
                new InputOutputColumnPair("PositionF", nameof(CtrRow.Position)),
                new InputOutputColumnPair("UserF", nameof(CtrRow.User)),
                new InputOutputColumnPair("ItemContextF", nameof(CtrRow.ItemContext)),
            ], OneHotEncodingEstimator.OutputKind.Indicator)
            .Append(ml.Transforms.NormalizeMinMax("NumericF", nameof(CtrRow.Numeric)));
        string[] fields = ["ItemIdF", "PositionF", "UserF", "ItemContextF", "NumericF"];
        double P(string name) => config.Params[name];
        IEstimator<ITransformer> pipeline = config.Trainer switch
        {
            CtrTrainers.LightGbm => featurize.Append(ml.Transforms.Concatenate("Features", fields)).Append(ml.BinaryClassification.Trainers.LightGbm(
                new LightGbmBinaryTrainer.Options
                {
                    NumberOfLeaves = (int)P("leaves"), NumberOfIterations = (int)P("iterations"), MinimumExampleCountPerLeaf = (int)P("min_leaf"),
                    LearningRate = P("learning_rate"), NumberOfThreads = 1, Seed = seed, Verbose = false, Silent = true,
                })),
            CtrTrainers.Ffm => featurize.Append(ml.BinaryClassification.Trainers.FieldAwareFactorizationMachine(
                new FieldAwareFactorizationMachineTrainer.Options
                {
                    FeatureColumnName = fields[0], ExtraFeatureColumns = fields[1..], LatentDimension = (int)P("latent"),
                    NumberOfIterations = (int)P("iterations"), LambdaLatent = (float)P("lambda"), LambdaLinear = (float)P("lambda"),
                    LearningRate = (float)P("learning_rate"), NormalizeFeatures = true, Shuffle = true,
                })),
            CtrTrainers.Logistic => featurize.Append(ml.Transforms.Concatenate("Features", fields)).Append(ml.BinaryClassification.Trainers.LbfgsLogisticRegression(
                new LbfgsLogisticRegressionBinaryTrainer.Options { L2Regularization = (float)P("l2"), L1Regularization = 0, NumberOfThreads = 1 })),
            _ => throw new ArgumentException($"unknown CTR trainer '{config.Trainer}' (known: {CtrTrainers.LightGbm}, {CtrTrainers.Ffm}, {CtrTrainers.Logistic}).", nameof(config)),
        };
        return new CtrModel(ml, pipeline.Fit(data), layout, config);
    }

    /// <summary>Click probability of each feature row, in [0, 1], in the order given.</summary>
    /// <param name="rows">Feature rows.</param>
    public double[] Predict(IReadOnlyList<CtrFeatures> rows)
    {
        if (rows.Count == 0) return [];
        var data = _ml.Data.LoadFromEnumerable(rows.Select(r => Layout.ToRow(r)), Schema(Layout));
        var scored = _model.Transform(data);
        return scored.GetColumn<float>("Probability").Select(p => float.IsNaN(p) ? 0.5 : Math.Clamp((double)p, 0, 1)).ToArray();
    }

    /// <summary>Writes the model (ML.NET zip) to <paramref name="zipPath"/> and its layout and configuration to <paramref name="zipPath"/>.json, atomically (temporary files, then rename).</summary>
    /// <param name="zipPath">Target file, e.g. <c>models/ctr/20261130-061500.zip</c>.</param>
    public void Save(string zipPath)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(zipPath))!);
        using (var s = File.Create(zipPath + ".tmp"))
            _ml.Model.Save(_model, _ml.Data.LoadFromEnumerable(Array.Empty<CtrRow>(), Schema(Layout)).Schema, s);
        File.WriteAllText(zipPath + ".json.tmp", JsonSerializer.Serialize(new SavedMeta(Layout, Config.Trainer, Config.Params.ToDictionary())));
        File.Move(zipPath + ".tmp", zipPath, overwrite: true);
        File.Move(zipPath + ".json.tmp", zipPath + ".json", overwrite: true);
    }

    /// <summary>Loads a model written by <see cref="Save"/>.</summary>
    /// <param name="zipPath">The zip; its <c>.json</c> companion must be beside it.</param>
    /// <exception cref="FileNotFoundException">The zip or its companion is missing.</exception>
    /// <exception cref="InvalidDataException">The companion is not a CTR model description.</exception>
    public static CtrModel Load(string zipPath)
    {
        var meta = JsonSerializer.Deserialize<SavedMeta>(File.ReadAllText(zipPath + ".json"))
            ?? throw new InvalidDataException($"{zipPath}.json: not a CTR model description.");
        var ml = new MLContext();
        using var s = File.OpenRead(zipPath);
        var model = ml.Model.Load(s, out _);
        return new CtrModel(ml, model, meta.Layout, new CtrConfig(meta.Trainer, meta.Params));
    }

    private sealed record SavedMeta(CtrFeatureLayout Layout, string Trainer, Dictionary<string, double> Params);

    private static SchemaDefinition Schema(CtrFeatureLayout layout)
    {
        var schema = SchemaDefinition.Create(typeof(CtrRow));
        schema[nameof(CtrRow.User)].ColumnType = new VectorDataViewType(TextDataViewType.Instance, layout.UserSlots);
        schema[nameof(CtrRow.ItemContext)].ColumnType = new VectorDataViewType(TextDataViewType.Instance, layout.ItemSlots);
        schema[nameof(CtrRow.Numeric)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, layout.NumericSlots);
        return schema;
    }
}
