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

    /// <summary>The trainers the chosen model is picked from (by validation AUC).</summary>
    public static IReadOnlyList<string> Candidates { get; } = [LightGbm, Ffm];
}

/// <summary>One hyper-parameter setting of one trainer.</summary>
/// <param name="Trainer">One of <see cref="CtrTrainers"/>.</param>
/// <param name="Params">Hyper-parameters by name (numbers).</param>
public sealed record CtrConfig(string Trainer, IReadOnlyDictionary<string, double> Params)
{
    /// <summary>The settings tried on the validation slice, per trainer (small grids: the Open Bandit sample has tens of clicks).</summary>
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
/// <param name="Config">Trainer and the hyper-parameters chosen on validation.</param>
/// <param name="Role"><c>candidate</c> (LightGBM, FFM) or <c>baseline</c> (logistic regression).</param>
/// <param name="ValidationAuc">AUC on the validation slice with these parameters (fitted on the rest of train).</param>
/// <param name="Auc">AUC on the test slice (fitted on the whole train part).</param>
/// <param name="LogLoss">Log loss on the test slice, nats.</param>
/// <param name="TrainSeconds">Wall time of the fit on the whole train part, seconds.</param>
/// <param name="AucStandardError">Standard error of <paramref name="Auc"/> (<see cref="CtrMetrics.AucStandardError"/>).</param>
public sealed record CtrTrainerResult(CtrConfig Config, string Role, double ValidationAuc, double Auc, double LogLoss, double TrainSeconds,
    double AucStandardError);

/// <summary>Counts of the temporal split (shared/EVALUATION.md, CTR models).</summary>
/// <param name="TrainImpressions">First 80 % of impressions by time.</param>
/// <param name="TrainClicks">Clicked impressions among them.</param>
/// <param name="FitImpressions">The first 80 % of train (fits the validation search).</param>
/// <param name="ValidationImpressions">The last 20 % of train (the validation slice that chooses parameters and model).</param>
/// <param name="ValidationClicks">Clicked impressions in the validation slice.</param>
/// <param name="TestImpressions">The last 20 % of impressions by time.</param>
/// <param name="TestClicks">Clicked impressions in test.</param>
/// <param name="T">Timestamp of the first test impression (UTC).</param>
/// <param name="TValidation">Timestamp of the first validation impression (UTC).</param>
public sealed record CtrSplit(int TrainImpressions, int TrainClicks, int FitImpressions, int ValidationImpressions, int ValidationClicks,
    int TestImpressions, int TestClicks, DateTime T, DateTime TValidation);

/// <summary>What one CTR evaluation run measured: dataset, split, every trainer's AUC and log loss, the chosen model.</summary>
/// <param name="Dataset">The data.</param>
/// <param name="Split">The temporal split.</param>
/// <param name="Seed">Random seed of ML.NET.</param>
/// <param name="Results">One result per trainer (candidates then the baseline).</param>
/// <param name="Chosen">The candidate with the highest validation AUC.</param>
/// <param name="Baseline">The logistic-regression baseline.</param>
/// <param name="SearchSeconds">Wall time of the validation search, seconds.</param>
public sealed record CtrEvaluationReport(CtrDataset Dataset, CtrSplit Split, int Seed, IReadOnlyList<CtrTrainerResult> Results,
    CtrTrainerResult Chosen, CtrTrainerResult Baseline, double SearchSeconds)
{
    /// <summary>
    /// The JSON of the <c>evaluate-ctr</c> verb (README): <c>{"dataset":{name, sha256, impressions, clicks, rejected_rows},
    /// "split":{T, T_validation, train_impressions, train_clicks, validation_impressions, validation_clicks, test_impressions, test_clicks},
    /// "seed", "search_seconds", "chosen":{trainer, auc, auc_se, log_loss}, "baseline":{...}, "trainers":[{trainer, role, params,
    /// validation_auc, auc, auc_se, log_loss, train_seconds}]}</c>; AUC (with its Hanley-McNeil standard error) and log
    /// loss are on the test slice.
    /// </summary>
    /// <param name="indented">Pretty-print.</param>
    public string ToJson(bool indented = false)
    {
        static string Time(DateTime t) => t.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture);
        static double R(double x) => Math.Round(x, 6);
        JsonObject Summary(CtrTrainerResult r) => new() { ["trainer"] = r.Config.Trainer, ["auc"] = R(r.Auc), ["auc_se"] = R(r.AucStandardError), ["log_loss"] = R(r.LogLoss) };
        var trainers = new JsonArray();
        foreach (var r in Results)
            trainers.Add(new JsonObject
            {
                ["trainer"] = r.Config.Trainer, ["role"] = r.Role, ["params"] = r.Config.ParamsJson(), ["validation_auc"] = R(r.ValidationAuc),
                ["auc"] = R(r.Auc), ["auc_se"] = R(r.AucStandardError), ["log_loss"] = R(r.LogLoss), ["train_seconds"] = Math.Round(r.TrainSeconds, 3),
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
/// ordered by time, the first 80 % train and the last 20 % test. Inside train, the last 20 % is the validation slice:
/// each trainer's hyper-parameters (<see cref="CtrConfig.Grid"/>) are chosen by validation AUC after a fit on the
/// rest, then every trainer is refitted on the whole train part and scored on test (AUC, log loss by
/// <see cref="CtrMetrics"/>). The chosen model is the candidate (LightGBM or FFM) with the higher validation AUC; the
/// L-BFGS logistic regression is the baseline, trained in the same run on the same features. Test is never looked at
/// for any choice.
/// </summary>
public static class CtrTrainer
{
    /// <summary>Share of impressions (by time) in the train part, and of train in the fitting part of the validation search.</summary>
    public const double TrainShare = 0.8;

    /// <summary>Runs the protocol on <paramref name="dataset"/>.</summary>
    /// <param name="dataset">Impressions ordered by time (as the loaders return them).</param>
    /// <param name="seed">ML.NET seed.</param>
    /// <param name="progress">Optional progress text.</param>
    /// <param name="ct">Cancellation (checked between fits).</param>
    /// <exception cref="ArgumentException">Too few impressions, or a slice (validation, test) without a click or without a non-click (AUC undefined).</exception>
    public static CtrEvaluationReport Evaluate(CtrDataset dataset, int seed = 42, Action<string>? progress = null, CancellationToken ct = default)
    {
        var all = dataset.Impressions;
        if (all.Count < 50) throw new ArgumentException($"{dataset.Name}: {all.Count} impressions are too few for a CTR evaluation (at least 50).");
        var cut = (int)(all.Count * TrainShare);
        var train = all.Take(cut).ToList();
        var test = all.Skip(cut).ToList();
        var vcut = (int)(train.Count * TrainShare);
        var fit = train.Take(vcut).ToList();
        var validation = train.Skip(vcut).ToList();
        RequireBothLabels(dataset.Name, "validation", validation);
        RequireBothLabels(dataset.Name, "test", test);
        RequireBothLabels(dataset.Name, "train", fit);
        var split = new CtrSplit(train.Count, train.Count(i => i.Clicked), fit.Count, validation.Count, validation.Count(i => i.Clicked),
            test.Count, test.Count(i => i.Clicked), test[0].Timestamp, validation[0].Timestamp);

        var clock = Stopwatch.StartNew();
        var best = new Dictionary<string, (CtrConfig Config, double Auc)>(StringComparer.Ordinal);
        foreach (var config in CtrConfig.Grid)
        {
            ct.ThrowIfCancellationRequested();
            var model = CtrModel.Fit(config, fit, seed);
            var auc = CtrMetrics.RocAuc(model.Predict(validation.Select(i => i.Features).ToList()), validation.Select(i => i.Clicked).ToList());
            progress?.Invoke($"validation {config.Trainer} {config.ParamsJson().ToJsonString()}: AUC {auc:F4}");
            // Strictly greater: the first setting of the grid wins ties (deterministic).
            if (!best.TryGetValue(config.Trainer, out var b) || auc > b.Auc) best[config.Trainer] = (config, auc);
        }
        var searchSeconds = clock.Elapsed.TotalSeconds;

        var results = new List<CtrTrainerResult>();
        var labels = test.Select(i => i.Clicked).ToList();
        foreach (var trainer in new[] { CtrTrainers.LightGbm, CtrTrainers.Ffm, CtrTrainers.Logistic })
        {
            ct.ThrowIfCancellationRequested();
            var (config, validationAuc) = best[trainer];
            var fitClock = Stopwatch.StartNew();
            var model = CtrModel.Fit(config, train, seed);
            var seconds = fitClock.Elapsed.TotalSeconds;
            var p = model.Predict(test.Select(i => i.Features).ToList());
            var auc = CtrMetrics.RocAuc(p, labels);
            var result = new CtrTrainerResult(config, trainer == CtrTrainers.Logistic ? "baseline" : "candidate", validationAuc,
                auc, CtrMetrics.LogLoss(p, labels), seconds, CtrMetrics.AucStandardError(auc, split.TestClicks, split.TestImpressions - split.TestClicks));
            progress?.Invoke($"test {trainer}: AUC {result.Auc:F4}, log loss {result.LogLoss:F5}");
            results.Add(result);
        }
        var chosen = results.Where(r => r.Role == "candidate").OrderByDescending(r => r.ValidationAuc).First();
        return new CtrEvaluationReport(dataset, split, seed, results, chosen, results.Single(r => r.Role == "baseline"), searchSeconds);
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
