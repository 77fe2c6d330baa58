using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.LightGbm;

namespace Portal.Core.PushLists;

/// <summary>The learning objective of <see cref="PushRanker"/>.</summary>
public enum RankerObjective
{
    /// <summary>LambdaRank over each user's candidates (Burges, "From RankNet to LambdaRank to LambdaMART: an overview", MSR-TR-2010-82); score only.</summary>
    LambdaRank = 0,
    /// <summary>Binary log loss (pointwise CTR-style model); score and probability.</summary>
    Binary = 1,
}

/// <summary>One labelled candidate for <see cref="PushRanker.Train"/>.</summary>
/// <param name="Group">The user's query group (candidates of one user share it).</param>
/// <param name="Label">1 = the user bought the item in the label window, else 0.</param>
/// <param name="Features">The candidate's features (<see cref="PushFeatures"/>; length = the ranker's feature count).</param>
public readonly record struct RankerRow(uint Group, float Label, float[] Features);

/// <summary>
/// The learning-to-rank stage: a gradient-boosted tree ensemble from ML.NET's LightGBM (Ke et al., "LightGBM: a highly
/// efficient gradient boosting decision tree", NeurIPS 2017) trained either with the LambdaRank objective or as a
/// binary classifier on implicit labels. Deterministic (one thread, fixed seed). Prediction is thread-safe (one
/// prediction engine per thread).
/// </summary>
public sealed class PushRanker
{
    // One MLContext per ranker: MLContext is not thread-safe, and pushes are ranked on many threads while another
    // ranker may be training (a shared static context would share its random state and caches between them).
    private readonly MLContext _ml;
    private readonly ITransformer _model;
    private readonly SchemaDefinition _schema;
    private readonly ThreadLocal<PredictionEngine<InputRow, OutputRow>> _engine;

    private PushRanker(MLContext ml, ITransformer model, int featureCount, RankerObjective objective)
    {
        _ml = ml;
        _model = model;
        FeatureCount = featureCount;
        Objective = objective;
        _schema = Schema(featureCount);
        _engine = new ThreadLocal<PredictionEngine<InputRow, OutputRow>>(() =>
            _ml.Model.CreatePredictionEngine<InputRow, OutputRow>(_model, inputSchemaDefinition: _schema, outputSchemaDefinition: OutputSchema(objective)));
    }

    /// <summary>Number of features per candidate.</summary>
    public int FeatureCount { get; }
    /// <summary>The objective it was trained with.</summary>
    public RankerObjective Objective { get; }

    /// <summary>LightGBM settings of a training.</summary>
    /// <param name="Iterations">Boosting rounds (trees).</param>
    /// <param name="Leaves">Leaves per tree.</param>
    /// <param name="LearningRate">Shrinkage.</param>
    /// <param name="MinLeafExamples">Minimum candidates per leaf.</param>
    /// <param name="Seed">Random seed.</param>
    public sealed record Settings(int Iterations = 150, int Leaves = 31, double LearningRate = 0.05, int MinLeafExamples = 50, int Seed = 42);

    /// <summary>Trains a ranker.</summary>
    /// <param name="rows">Labelled candidates, grouped by user (rows of one group consecutive).</param>
    /// <param name="featureCount">Length of every feature vector.</param>
    /// <param name="objective">LambdaRank or binary.</param>
    /// <param name="settings">LightGBM settings (null: defaults).</param>
    /// <exception cref="ArgumentException">No rows, no positive label, or a feature vector of another length.</exception>
    public static PushRanker Train(IReadOnlyList<RankerRow> rows, int featureCount, RankerObjective objective, Settings? settings = null)
    {
        settings ??= new Settings();
        if (rows.Count == 0) throw new ArgumentException("No training rows for the ranker.", nameof(rows));
        if (!rows.Any(r => r.Label > 0)) throw new ArgumentException("The ranker's training rows hold no positive label (no candidate was bought in the label window).", nameof(rows));
        var bad = rows.FirstOrDefault(r => r.Features.Length != featureCount);
        if (bad.Features is not null) throw new ArgumentException($"A feature vector has {bad.Features.Length} values; expected {featureCount}.", nameof(rows));
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(rows.Select(r => new InputRow { Label = r.Label, Group = r.Group, Features = r.Features }), Schema(featureCount));
        IEstimator<ITransformer> pipeline = objective switch
        {
            RankerObjective.LambdaRank => ml.Transforms.Conversion.MapValueToKey("GroupKey", nameof(InputRow.Group))
                .Append(ml.Ranking.Trainers.LightGbm(new LightGbmRankingTrainer.Options
                {
                    LabelColumnName = nameof(InputRow.Label), FeatureColumnName = nameof(InputRow.Features), RowGroupColumnName = "GroupKey",
                    NumberOfIterations = settings.Iterations, NumberOfLeaves = settings.Leaves, LearningRate = settings.LearningRate,
                    MinimumExampleCountPerLeaf = settings.MinLeafExamples, NumberOfThreads = 1, Seed = settings.Seed, Verbose = false, Silent = true,
                    CustomGains = [0, 1], EvaluationMetric = LightGbmRankingTrainer.Options.EvaluateMetricType.NormalizedDiscountedCumulativeGain,
                })),
            RankerObjective.Binary => ml.Transforms.Conversion.ConvertType("BoolLabel", nameof(InputRow.Label), DataKind.Boolean)
                .Append(ml.BinaryClassification.Trainers.LightGbm(new LightGbmBinaryTrainer.Options
                {
                    LabelColumnName = "BoolLabel", FeatureColumnName = nameof(InputRow.Features),
                    NumberOfIterations = settings.Iterations, NumberOfLeaves = settings.Leaves, LearningRate = settings.LearningRate,
                    MinimumExampleCountPerLeaf = settings.MinLeafExamples, NumberOfThreads = 1, Seed = settings.Seed, Verbose = false, Silent = true,
                })),
            _ => throw new ArgumentOutOfRangeException(nameof(objective)),
        };
        return new PushRanker(ml, pipeline.Fit(data), featureCount, objective);
    }

    /// <summary>Scores candidates: <paramref name="features"/> holds <c>count × FeatureCount</c> values, row after row.</summary>
    /// <param name="features">The candidates' features, row-major.</param>
    /// <param name="scores">Output: the ranker's score per candidate (higher = more likely bought).</param>
    /// <param name="probabilities">Output: the binary model's probability per candidate; NaN for LambdaRank. May be empty.</param>
    /// <exception cref="ArgumentException">The buffer lengths do not match.</exception>
    public void Predict(ReadOnlySpan<float> features, Span<float> scores, Span<float> probabilities)
    {
        var n = scores.Length;
        if (features.Length != n * FeatureCount) throw new ArgumentException($"Expected {n * FeatureCount} feature values, got {features.Length}.", nameof(features));
        var engine = _engine.Value!;
        var input = new InputRow { Features = new float[FeatureCount] };
        var output = new OutputRow();
        for (var r = 0; r < n; r++)
        {
            features.Slice(r * FeatureCount, FeatureCount).CopyTo(input.Features);
            engine.Predict(input, ref output);
            scores[r] = output.Score;
            if (probabilities.Length > r) probabilities[r] = Objective == RankerObjective.Binary ? output.Probability : float.NaN;
        }
    }

    /// <summary>Scores many candidates at once (faster than <see cref="Predict"/> for bulk work such as validation).</summary>
    /// <param name="rows">Feature vectors (labels and groups are ignored).</param>
    /// <returns>One score per row, in order.</returns>
    public float[] PredictMany(IReadOnlyList<RankerRow> rows)
    {
        var data = _ml.Data.LoadFromEnumerable(rows.Select(r => new InputRow { Label = 0, Group = r.Group, Features = r.Features }), _schema);
        return _model.Transform(data).GetColumn<float>("Score").ToArray();
    }

    /// <summary>Writes the objective, the feature count and the ML.NET model (length-prefixed zip).</summary>
    public void Save(BinaryWriter writer)
    {
        writer.Write((int)Objective);
        writer.Write(FeatureCount);
        using var ms = new MemoryStream();
        _ml.Model.Save(_model, _ml.Data.LoadFromEnumerable(Array.Empty<InputRow>(), _schema).Schema, ms);
        writer.Write(ms.Length);
        writer.Write(ms.GetBuffer(), 0, (int)ms.Length);
    }

    /// <summary>Reads a ranker written by <see cref="Save"/>.</summary>
    /// <exception cref="InvalidDataException">Damaged or inconsistent data.</exception>
    public static PushRanker Load(BinaryReader reader)
    {
        var objective = (RankerObjective)reader.ReadInt32();
        var features = reader.ReadInt32();
        var length = reader.ReadInt64();
        if (features < 1 || length <= 0 || length > int.MaxValue || !Enum.IsDefined(objective)) throw new InvalidDataException("Ranker state is damaged.");
        var bytes = reader.ReadBytes((int)length);
        if (bytes.Length != length) throw new InvalidDataException("Ranker state is truncated.");
        using var ms = new MemoryStream(bytes);
        var ml = new MLContext(seed: 1);
        return new PushRanker(ml, ml.Model.Load(ms, out _), features, objective);
    }

    private static SchemaDefinition Schema(int featureCount)
    {
        var s = SchemaDefinition.Create(typeof(InputRow));
        s[nameof(InputRow.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, featureCount);
        return s;
    }

    private static SchemaDefinition OutputSchema(RankerObjective objective)
    {
        var s = SchemaDefinition.Create(typeof(OutputRow));
        if (objective != RankerObjective.Binary) s.Remove(s.First(c => c.MemberName == nameof(OutputRow.Probability)));
        return s;
    }

    /// <summary>ML.NET input row (public for ML.NET's reflection).</summary>
    public sealed class InputRow
    {
        /// <summary>Label, 0 or 1.</summary>
        public float Label { get; set; }
        /// <summary>User group.</summary>
        public uint Group { get; set; }
        /// <summary>Feature vector.</summary>
        public float[] Features { get; set; } = [];
    }

    /// <summary>ML.NET output row (public for ML.NET's reflection).</summary>
    public sealed class OutputRow
    {
        /// <summary>The model's score.</summary>
        public float Score { get; set; }
        /// <summary>Binary models only: calibrated probability.</summary>
        public float Probability { get; set; }
    }
}
