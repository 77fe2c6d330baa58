using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;
using Microsoft.ML.Trainers.LightGbm;

namespace Portal.Core.PushLists;

/// <summary>The learning objective of <see cref="PushRanker"/>.</summary>
public enum RankerObjective
{
    /// <summary>LambdaRank over each user's candidates (Burges, "From RankNet to LambdaRank to LambdaMART: an overview", MSR-TR-2010-82); score only.</summary>
    LambdaRank = 0,
    /// <summary>Binary log loss (pointwise CTR-style model); score and probability.</summary>
    Binary = 1,
    /// <summary>
    /// Field-aware factorisation machine on binary log loss (Juan, Zhuang, Chin &amp; Lin, "Field-aware factorization
    /// machines for CTR prediction", RecSys 2016), ML.NET's AdaGrad implementation; pointwise, score and probability.
    /// The features are grouped into fields (<see cref="PushFeatures.Fields"/>); every feature has one latent vector per
    /// field, and a pair of features interacts through the vectors each keeps for the other's field.
    /// </summary>
    FieldAwareFactorizationMachine = 2,
}

/// <summary>One labelled candidate for <see cref="PushRanker.Train"/>.</summary>
/// <param name="Group">The user's query group (candidates of one user share it).</param>
/// <param name="Label">1 = the user bought the item in the label window, else 0.</param>
/// <param name="Features">The candidate's features (<see cref="PushFeatures"/>; length = the ranker's feature count).</param>
public readonly record struct RankerRow(uint Group, float Label, float[] Features);

/// <summary>
/// The learning-to-rank stage: a gradient-boosted tree ensemble from ML.NET's LightGBM (Ke et al., "LightGBM: a highly
/// efficient gradient boosting decision tree", NeurIPS 2017) trained either with the LambdaRank objective or as a
/// binary classifier on implicit labels, or a field-aware factorisation machine (Juan et al., RecSys 2016) as a binary
/// classifier. Deterministic (one thread, fixed seed). Prediction is thread-safe (one prediction engine per thread).
/// <para>
/// The FFM needs inputs on one bounded scale, and the features hold sentinels far outside their real range
/// (<see cref="PushFeatures.MissingScore"/> −1e6, <see cref="PushFeatures.MissingRank"/> 1000,
/// <see cref="PushFeatures.NeverDays"/> 10,000, −2 for a missing similarity): min-max or mean-variance scaling would
/// squash every real value of such a slot onto one point. The ranker therefore feeds each field as its own column
/// (<c>Field0</c>, <c>Field1</c>, ...: the slots of that field, in feature order) and the model scales each with ML.NET's
/// equal-frequency binning normaliser (each slot to bin / (bins − 1) in [0, 1]; a sentinel lands in the lowest or
/// highest bin and keeps its order: a missing score reads as the lowest, a missing rank as the worst), a discretisation
/// of numerical features like the one Juan et al. used on Criteo. The binning is fitted on the training rows and saved
/// inside the model zip. The split into field columns happens here, not in ML.NET (its slot-dropping transform is not
/// public in ML.NET 5.0.1), so an FFM ranker's saved state carries its field layout after the zip.
/// </para>
/// </summary>
public sealed class PushRanker
{
    // One MLContext per ranker: MLContext is not thread-safe, and pushes are ranked on many threads while another
    // ranker may be training (a shared static context would share its random state and caches between them).
    private readonly MLContext _ml;
    private readonly ITransformer _model;
    private readonly SchemaDefinition _schema;
    private readonly ThreadLocal<PredictionEngine<InputRow, OutputRow>> _engine;
    // FFM only: the field of every feature slot, and the slots of every field (null for the LightGBM objectives).
    private readonly int[]? _fields;
    private readonly int[][]? _fieldSlots;

    /// <summary>The most fields an FFM ranker takes (the input row has this many field columns).</summary>
    public const int MaxFields = 8;

    private PushRanker(MLContext ml, ITransformer model, int featureCount, RankerObjective objective, int[]? fields)
    {
        _ml = ml;
        _model = model;
        FeatureCount = featureCount;
        Objective = objective;
        _fields = fields;
        _fieldSlots = fields is null ? null : SlotsOf(fields);
        _schema = Schema(featureCount, _fieldSlots);
        _engine = new ThreadLocal<PredictionEngine<InputRow, OutputRow>>(() =>
            _ml.Model.CreatePredictionEngine<InputRow, OutputRow>(_model, inputSchemaDefinition: _schema, outputSchemaDefinition: OutputSchema(objective)));
    }

    /// <summary>Number of features per candidate.</summary>
    public int FeatureCount { get; }
    /// <summary>The objective it was trained with.</summary>
    public RankerObjective Objective { get; }
    /// <summary>FFM rankers: the field of every feature slot (length <see cref="FeatureCount"/>); null for the LightGBM objectives.</summary>
    public IReadOnlyList<int>? Fields => _fields;

    /// <summary>Settings of a training (LightGBM's for LambdaRank and binary, the FFM's for <see cref="RankerObjective.FieldAwareFactorizationMachine"/>).</summary>
    /// <param name="Iterations">LightGBM: boosting rounds (trees).</param>
    /// <param name="Leaves">LightGBM: leaves per tree.</param>
    /// <param name="LearningRate">LightGBM: shrinkage.</param>
    /// <param name="MinLeafExamples">LightGBM: minimum candidates per leaf.</param>
    /// <param name="Seed">LightGBM: random seed (the FFM's shuffling and initialisation use the ranker's fixed ML.NET seed).</param>
    /// <param name="FfmLatentDimension">FFM: length of each latent vector (k in Juan et al.).</param>
    /// <param name="FfmIterations">FFM: passes (epochs) over the training rows.</param>
    /// <param name="FfmLambda">FFM: L2 penalty on the linear and the latent weights (λ).</param>
    /// <param name="FfmLearningRate">FFM: AdaGrad's initial step (η).</param>
    /// <param name="FfmBins">FFM: most bins per feature slot of the binning normaliser.</param>
    public sealed record Settings(int Iterations = 150, int Leaves = 31, double LearningRate = 0.05, int MinLeafExamples = 50, int Seed = 42,
        int FfmLatentDimension = 8, int FfmIterations = 10, float FfmLambda = 1e-4f, float FfmLearningRate = 0.1f, int FfmBins = 256);

    /// <summary>Trains a ranker.</summary>
    /// <param name="rows">Labelled candidates, grouped by user (rows of one group consecutive).</param>
    /// <param name="featureCount">Length of every feature vector.</param>
    /// <param name="objective">LambdaRank, binary or FFM.</param>
    /// <param name="settings">Settings (null: defaults).</param>
    /// <param name="fields">
    /// FFM only: the field of every feature slot (length <paramref name="featureCount"/>, fields numbered 0..F−1 with F ≤ <see cref="MaxFields"/>, each
    /// used by at least one slot; <see cref="PushFeatures.Fields"/>); null: one field (a plain factorisation machine).
    /// Ignored by the LightGBM objectives.
    /// </param>
    /// <exception cref="ArgumentException">No rows, no positive label, a feature vector of another length, or a field layout of the wrong length or with an empty field.</exception>
    public static PushRanker Train(IReadOnlyList<RankerRow> rows, int featureCount, RankerObjective objective, Settings? settings = null, IReadOnlyList<int>? fields = null)
    {
        settings ??= new Settings();
        if (rows.Count == 0) throw new ArgumentException("No training rows for the ranker.", nameof(rows));
        if (!rows.Any(r => r.Label > 0)) throw new ArgumentException("The ranker's training rows hold no positive label (no candidate was bought in the label window).", nameof(rows));
        var bad = rows.FirstOrDefault(r => r.Features.Length != featureCount);
        if (bad.Features is not null)
        {
            var index = rows.ToList().FindIndex(r => r.Features.Length != featureCount);
            throw new ArgumentException($"Ranker training row {index} (group {bad.Group}): the feature vector has {bad.Features.Length} values; expected {featureCount}.", nameof(rows));
        }
        int[]? layout = null;
        if (objective == RankerObjective.FieldAwareFactorizationMachine) layout = CheckLayout(fields, featureCount);
        var slots = layout is null ? null : SlotsOf(layout);
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(rows.Select(r => ToInput(r.Label, r.Group, r.Features, slots)), Schema(featureCount, slots));
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
            RankerObjective.FieldAwareFactorizationMachine => FfmPipeline(ml, slots!.Length, settings),
            _ => throw new ArgumentOutOfRangeException(nameof(objective)),
        };
        return new PushRanker(ml, pipeline.Fit(data), featureCount, objective, layout);
    }

    /// <summary>
    /// Label to boolean, the binning normaliser on every field column (<c>Field{f}</c> → <c>Scaled{f}</c>), and ML.NET's
    /// FFM trainer with those columns as its fields.
    /// </summary>
    private static IEstimator<ITransformer> FfmPipeline(MLContext ml, int fieldCount, Settings settings)
    {
        var scaled = Enumerable.Range(0, fieldCount).Select(f => $"Scaled{f}").ToArray();
        var pairs = Enumerable.Range(0, fieldCount).Select(f => new InputOutputColumnPair(scaled[f], $"Field{f}")).ToArray();
        return ml.Transforms.Conversion.ConvertType("BoolLabel", nameof(InputRow.Label), DataKind.Boolean)
            .Append(ml.Transforms.NormalizeBinning(pairs, fixZero: false, maximumBinCount: settings.FfmBins))
            .Append(ml.BinaryClassification.Trainers.FieldAwareFactorizationMachine(new FieldAwareFactorizationMachineTrainer.Options
            {
                LabelColumnName = "BoolLabel", FeatureColumnName = scaled[0], ExtraFeatureColumns = scaled[1..],
                LatentDimension = settings.FfmLatentDimension, NumberOfIterations = settings.FfmIterations,
                LambdaLinear = settings.FfmLambda, LambdaLatent = settings.FfmLambda, LearningRate = settings.FfmLearningRate,
                Shuffle = true, Verbose = false,
            }));
    }

    /// <summary>Checks an FFM field layout (null: one field) and returns it as an array.</summary>
    private static int[] CheckLayout(IReadOnlyList<int>? fields, int featureCount)
    {
        var layout = fields?.ToArray() ?? new int[featureCount];
        if (layout.Length != featureCount) throw new ArgumentException($"The field layout has {layout.Length} entries; expected one per feature ({featureCount}).", nameof(fields));
        for (var slot = 0; slot < layout.Length; slot++)
            if (layout[slot] < 0 || layout[slot] >= MaxFields)
                throw new ArgumentException($"Feature slot {slot} has field {layout[slot]}; fields are numbered 0..{MaxFields - 1}.", nameof(fields));
        var fieldCount = layout.Max() + 1;
        for (var f = 0; f < fieldCount; f++)
            if (Array.IndexOf(layout, f) < 0) throw new ArgumentException($"Field {f} has no feature slot (fields must be numbered 0..{fieldCount - 1} without gaps).", nameof(fields));
        return layout;
    }

    private static int[][] SlotsOf(int[] layout) =>
        Enumerable.Range(0, layout.Max() + 1).Select(f => Enumerable.Range(0, layout.Length).Where(slot => layout[slot] == f).ToArray()).ToArray();

    /// <summary>The ML.NET input row: the whole vector for LightGBM, the field columns (new arrays) for the FFM.</summary>
    private static InputRow ToInput(float label, uint group, float[] features, int[][]? fieldSlots)
    {
        var row = new InputRow { Label = label, Group = group };
        if (fieldSlots is null) { row.Features = features; return row; }
        for (var f = 0; f < fieldSlots.Length; f++)
        {
            var slots = fieldSlots[f];
            var v = new float[slots.Length];
            for (var j = 0; j < slots.Length; j++) v[j] = features[slots[j]];
            row.SetField(f, v);
        }
        return row;
    }

    /// <summary>Scores candidates: <paramref name="features"/> holds <c>count × FeatureCount</c> values, row after row.</summary>
    /// <param name="features">The candidates' features, row-major.</param>
    /// <param name="scores">Output: the ranker's score per candidate (higher = more likely bought).</param>
    /// <param name="probabilities">Output: the binary or FFM model's probability per candidate; NaN for LambdaRank. May be empty.</param>
    /// <exception cref="ArgumentException">The buffer lengths do not match.</exception>
    public void Predict(ReadOnlySpan<float> features, Span<float> scores, Span<float> probabilities)
    {
        var n = scores.Length;
        if (features.Length != n * FeatureCount) throw new ArgumentException($"Expected {n * FeatureCount} feature values, got {features.Length}.", nameof(features));
        var engine = _engine.Value!;
        var buffer = new float[FeatureCount];
        var output = new OutputRow();
        for (var r = 0; r < n; r++)
        {
            features.Slice(r * FeatureCount, FeatureCount).CopyTo(buffer);
            engine.Predict(ToInput(0, 0, buffer, _fieldSlots), ref output);
            scores[r] = output.Score;
            if (probabilities.Length > r) probabilities[r] = HasProbability(Objective) ? output.Probability : float.NaN;
        }
    }

    /// <summary>Scores many candidates at once (faster than <see cref="Predict"/> for bulk work such as validation).</summary>
    /// <param name="rows">Feature vectors (labels and groups are ignored).</param>
    /// <returns>One score per row, in order.</returns>
    /// <exception cref="ArgumentException">A feature vector's length is not <see cref="FeatureCount"/>.</exception>
    public float[] PredictMany(IReadOnlyList<RankerRow> rows)
    {
        for (var r = 0; r < rows.Count; r++)
            if (rows[r].Features.Length != FeatureCount)
                throw new ArgumentException($"Row {r} (group {rows[r].Group}): the feature vector has {rows[r].Features.Length} values; expected {FeatureCount}.", nameof(rows));
        var data = _ml.Data.LoadFromEnumerable(rows.Select(r => ToInput(0, r.Group, r.Features, _fieldSlots)), _schema);
        return _model.Transform(data).GetColumn<float>("Score").ToArray();
    }

    /// <summary>
    /// Writes the objective, the feature count and the ML.NET model (length-prefixed zip; for the FFM it holds the
    /// binning normaliser too), then, for an FFM ranker only, the field of every feature slot (<see cref="FeatureCount"/>
    /// integers). LambdaRank and binary rankers are written exactly as before the FFM existed, so older files still load.
    /// </summary>
    public void Save(BinaryWriter writer)
    {
        writer.Write((int)Objective);
        writer.Write(FeatureCount);
        using var ms = new MemoryStream();
        _ml.Model.Save(_model, _ml.Data.LoadFromEnumerable(Array.Empty<InputRow>(), _schema).Schema, ms);
        writer.Write(ms.Length);
        writer.Write(ms.GetBuffer(), 0, (int)ms.Length);
        if (_fields is not null) foreach (var f in _fields) writer.Write(f);
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
        int[]? fields = null;
        if (objective == RankerObjective.FieldAwareFactorizationMachine)
        {
            fields = new int[features];
            for (var slot = 0; slot < features; slot++) fields[slot] = reader.ReadInt32();
            try { CheckLayout(fields, features); }
            catch (ArgumentException e) { throw new InvalidDataException($"Ranker state is damaged: {e.Message}"); }
        }
        using var ms = new MemoryStream(bytes);
        var ml = new MLContext(seed: 1);
        return new PushRanker(ml, ml.Model.Load(ms, out _), features, objective, fields);
    }

    /// <summary>The input schema: <c>Features</c> (LightGBM) or <c>Field0</c>.. with their slot counts (FFM); unused columns removed.</summary>
    private static SchemaDefinition Schema(int featureCount, int[][]? fieldSlots)
    {
        var s = SchemaDefinition.Create(typeof(InputRow));
        if (fieldSlots is null) s[nameof(InputRow.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, featureCount);
        else s.Remove(s.First(c => c.MemberName == nameof(InputRow.Features)));
        for (var f = 0; f < MaxFields; f++)
        {
            var column = s.First(c => c.MemberName == $"Field{f}");
            if (fieldSlots is not null && f < fieldSlots.Length) column.ColumnType = new VectorDataViewType(NumberDataViewType.Single, fieldSlots[f].Length);
            else s.Remove(column);
        }
        return s;
    }

    private static SchemaDefinition OutputSchema(RankerObjective objective)
    {
        var s = SchemaDefinition.Create(typeof(OutputRow));
        if (!HasProbability(objective)) s.Remove(s.First(c => c.MemberName == nameof(OutputRow.Probability)));
        return s;
    }

    /// <summary>True for the pointwise objectives, whose model outputs a calibrated probability (LambdaRank's does not).</summary>
    private static bool HasProbability(RankerObjective objective) => objective != RankerObjective.LambdaRank;

    /// <summary>ML.NET input row (public for ML.NET's reflection).</summary>
    public sealed class InputRow
    {
        /// <summary>Label, 0 or 1.</summary>
        public float Label { get; set; }
        /// <summary>User group.</summary>
        public uint Group { get; set; }
        /// <summary>Feature vector (LightGBM objectives).</summary>
        public float[] Features { get; set; } = [];
        /// <summary>FFM: the slots of field 0.</summary>
        public float[] Field0 { get; set; } = [];
        /// <summary>FFM: the slots of field 1.</summary>
        public float[] Field1 { get; set; } = [];
        /// <summary>FFM: the slots of field 2.</summary>
        public float[] Field2 { get; set; } = [];
        /// <summary>FFM: the slots of field 3.</summary>
        public float[] Field3 { get; set; } = [];
        /// <summary>FFM: the slots of field 4.</summary>
        public float[] Field4 { get; set; } = [];
        /// <summary>FFM: the slots of field 5.</summary>
        public float[] Field5 { get; set; } = [];
        /// <summary>FFM: the slots of field 6.</summary>
        public float[] Field6 { get; set; } = [];
        /// <summary>FFM: the slots of field 7.</summary>
        public float[] Field7 { get; set; } = [];

        internal void SetField(int field, float[] values)
        {
            switch (field)
            {
                case 0: Field0 = values; break;
                case 1: Field1 = values; break;
                case 2: Field2 = values; break;
                case 3: Field3 = values; break;
                case 4: Field4 = values; break;
                case 5: Field5 = values; break;
                case 6: Field6 = values; break;
                case 7: Field7 = values; break;
                default: throw new ArgumentOutOfRangeException(nameof(field));
            }
        }
    }

    /// <summary>ML.NET output row (public for ML.NET's reflection).</summary>
    public sealed class OutputRow
    {
        /// <summary>The model's score.</summary>
        public float Score { get; set; }
        /// <summary>Binary and FFM models only: calibrated probability.</summary>
        public float Probability { get; set; }
    }
}
