using Portal.Core.Ctr;
using Portal.Core.Embeddings;
using Portal.Core.Evaluation;
using Portal.Core.Recommendation;

namespace Portal.Core.PushLists;

/// <summary>One candidate of a push list with everything the pipeline knows about it.</summary>
/// <param name="Item">Dense item id.</param>
/// <param name="RankerScore">The learning-to-rank model's score (higher = more likely bought).</param>
/// <param name="Probability">The binary or FFM ranker's probability of a purchase in the next 30 days; NaN for a LambdaRank ranker.</param>
/// <param name="RankBeforeMmr">1-based position by ranker score alone.</param>
/// <param name="MmrPenalty">The MMR diversity adjustment (1 − λ)·max similarity to the items above it; 0 outside the MMR pool.</param>
/// <param name="ChannelScores">Score per channel (channel order of <see cref="BlendRecommender.Channels"/>; NaN when the channel cannot score it).</param>
/// <param name="ChannelRanks">1-based rank per channel when the channel proposed it, else 0.</param>
public sealed record PushCandidate(int Item, float RankerScore, float Probability, int RankBeforeMmr, double MmrPenalty, float[] ChannelScores, int[] ChannelRanks);

/// <summary>A user's push list.</summary>
/// <param name="User">Dense user id, or -1.</param>
/// <param name="Items">The ordered list (MMR-re-ranked head, then the remaining candidates by ranker score).</param>
/// <param name="IntraListDiversity">Intra-list diversity of the first 20 items (mean 1 − cosine of item vectors; NaN without vectors).</param>
/// <param name="Lambda">The MMR λ used.</param>
public sealed record PushListResult(int User, IReadOnlyList<PushCandidate> Items, double IntraListDiversity, double Lambda);

/// <summary>
/// <c>blend</c>, the push-list pipeline as one model: (1) recall channels, each with a quota (repeat-buy, ItemKNN,
/// UserKNN, EASE^R, text2vec, item2vec and GRU when their quota is &gt; 0, popular in the last 30 days, new products by text
/// similarity), (2) a learning-to-rank stage over <see cref="PushFeatures"/> (LightGBM LambdaRank, LightGBM binary or a
/// field-aware factorisation machine, chosen by validation NDCG@20; <see cref="RankerObjective"/>), (3) maximal marginal relevance re-ranking on item vectors (Carbonell and Goldstein, SIGIR 1998;
/// λ chosen on validation unless <c>mmr_lambda</c> ≥ 0). Business rules are applied by <see cref="PushList"/>.
/// <para>
/// Labels follow shared/EVALUATION.md: <see cref="IRecommender.Fit"/> splits its data once more (the validation split:
/// the last 30 days of the data are the label window), fits the channels on the part before it, builds each evaluated
/// user's candidates, labels a candidate 1 when the user bought it in the window, trains the rankers (one for task
/// "all", one for "novel", whose candidates exclude the user's own items), then refits the channels on all the data.
/// The ranker objective and λ are chosen on 30 % of the validation users held out from the ranker's training; the final
/// ranker is then trained on all of them. Each objective's ROC AUC over the held-out users' candidates (label: bought in
/// the window) is reported beside its NDCG@20, but NDCG@20 decides, as shared/EVALUATION.md asks for every
/// hyper-parameter: the product is a top-20 list per customer, and AUC weighs every pair of candidates alike (including
/// the order among the ~190 candidates that never reach the list, and pairs across customers, which no list compares),
/// so the CTR model with the better AUC can still make the worse list. The parameter <c>novel</c> (scoring only) selects the task's ranker.
/// </para>
/// The parameter <c>objective</c> (−1: choose by validation) fixes the ranker objective to a <see cref="RankerObjective"/>
/// value (0 LambdaRank, 1 binary, 2 FFM), e.g. to benchmark one.
/// Channel hyper-parameters are fixed (ItemKNN k=100 shrink=10, UserKNN k=100, EASE λ=400, repeat half-life 30 days,
/// text2vec/item2vec with decay 30 days; all without the re-purchase term, which the ranker learns from the features).
/// </summary>
public sealed class BlendRecommender(IReadOnlyDictionary<string, double>? parameters = null)
    : RecommenderBase(parameters, new Dictionary<string, double>
    {
        ["novel"] = 0, ["mmr_lambda"] = -1, ["mmr_pool"] = 50,
        ["quota_repeat"] = 50, ["quota_itemknn"] = 100, ["quota_userknn"] = 100, ["quota_ease"] = 100, ["quota_text2vec"] = 30,
        ["quota_item2vec"] = 0, ["quota_gru"] = 0, ["quota_popular"] = 20, ["quota_segment"] = 20, ["quota_new"] = 20,
        ["iterations"] = 150, ["leaves"] = 31, ["seed"] = 42,
        ["ffm_dim"] = -1, ["ffm_iterations"] = -1, ["ffm_lambda"] = 1e-4, ["objective"] = -1,
    }), ICatalogueTextModel, ISelfValidatingRecommender, IReportsFitProgress, IItemPriceModel
{
    /// <summary>The λ values tried on validation when <c>mmr_lambda</c> is −1.</summary>
    public static readonly double[] LambdaGrid = [1.0, 0.95, 0.9, 0.8, 0.7];

    /// <summary>
    /// The FFM settings tried on validation, (latent dimension k, passes over the data), when <c>ffm_dim</c> and
    /// <c>ffm_iterations</c> are −1 (a value ≥ 1 fixes one of them); λ is <c>ffm_lambda</c>. Each takes seconds.
    /// </summary>
    public static readonly (int Dim, int Iterations)[] FfmGrid = [(4, 5), (4, 15), (8, 5), (8, 15), (16, 5), (16, 15)];

    private IReadOnlyDictionary<string, string>? _text;
    private IReadOnlyDictionary<string, double>? _prices;
    private PushFeatures? _features;
    private readonly PushRanker?[] _rankers = new PushRanker?[2];
    private readonly double[] _lambdas = [1, 1];
    private ThreadLocal<(int User, bool[]? Mask, PushListResult Result)?> _cache = new();

    /// <inheritdoc />
    public override string Name => "blend";
    /// <inheritdoc />
    public override string ImplementationVersion => "1";
    /// <inheritdoc />
    public override IReadOnlySet<string> ScoringParameters { get; } = new HashSet<string>(StringComparer.Ordinal) { "novel", "mmr_lambda", "mmr_pool" };

    /// <inheritdoc />
    public TaskMetrics? ValidationAll { get; private set; }
    /// <inheritdoc />
    public TaskMetrics? ValidationNovel { get; private set; }
    /// <summary>
    /// What the validation chose and measured, for logs and reports: per task (<c>all</c>, <c>novel</c>) the objective
    /// (<c>{task}.objective</c>, the <see cref="RankerObjective"/> value), each objective's NDCG@20 and ROC AUC on the
    /// held-out validation users (<c>{task}.ndcg@20.{objective}</c>, <c>{task}.auc.{objective}</c>, objective in lower
    /// case: <c>lambdarank</c>, <c>binary</c>, <c>fieldawarefactorizationmachine</c>; for the FFM those of its best
    /// <see cref="FfmGrid"/> setting, which <c>{task}.ffm_dim</c> and <c>{task}.ffm_iterations</c> name), λ, NDCG@20 and intra-list
    /// diversity per λ, candidate recall and candidates per user.
    /// </summary>
    public IReadOnlyDictionary<string, double> ValidationChoices { get; private set; } = new Dictionary<string, double>();

    /// <summary>The fitted channels, in feature order.</summary>
    /// <exception cref="InvalidOperationException">Not fitted.</exception>
    public IReadOnlyList<IRecallChannel> Channels => Features.Channels;
    /// <summary>The item text vectors MMR uses (row = dense item id of <c>Data</c>), or null when the text channels are off.</summary>
    public Embeddings.VectorIndex? ItemVectors => Features.Vectors.Count > 0 ? Features.Vectors[0] : null;

    /// <summary>The ranker of the current task (<c>novel</c> parameter).</summary>
    /// <exception cref="InvalidOperationException">Not fitted.</exception>
    public PushRanker Ranker => _rankers[Task] ?? throw new InvalidOperationException("blend is not fitted.");

    /// <summary>The MMR λ of the current task (the parameter when ≥ 0, else the one chosen on validation).</summary>
    public double Lambda => P("mmr_lambda") >= 0 ? Math.Clamp(P("mmr_lambda"), 0, 1) : _lambdas[Task];

    private PushFeatures Features => _features ?? throw new InvalidOperationException("blend is not fitted.");
    private int Task => P("novel") != 0 ? 1 : 0;

    /// <inheritdoc />
    public void UseCatalogueText(IReadOnlyDictionary<string, string> text) => _text = text ?? throw new ArgumentNullException(nameof(text));

    /// <inheritdoc />
    /// <remarks>For the price-band and monetary features; items without a price get the "unknown" sentinel (−1).</remarks>
    public void UseItemPrices(IReadOnlyDictionary<string, double> prices) => _prices = prices ?? throw new ArgumentNullException(nameof(prices));

    /// <inheritdoc />
    public IProgress<FitProgress>? FitProgress { get; set; }

    private double _fitFraction;
    private void FitLog(string text, double? fraction = null)
    {
        if (fraction is { } f) _fitFraction = f;
        FitProgress?.Report(new FitProgress(_fitFraction, text));
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentException">The data spans 30 days or less (no label window), no validation user bought a candidate, or <c>objective</c> is not −1, 0, 1 or 2.</exception>
    protected override void FitCore(InteractionSet data, CancellationToken ct)
    {
        if (P("objective") >= 0 && (P("objective") != Math.Floor(P("objective")) || !Enum.IsDefined((RankerObjective)(int)P("objective"))))
            throw new ArgumentException($"Parameter objective = {P("objective")}: expected −1 (choose by validation), 0 (LambdaRank), 1 (binary) or 2 (FFM).");
        var inner = TemporalSplit.Create(data.Events().ToList());
        FitLog($"blend: fitting channels on the validation part (T_val = {inner.T:yyyy-MM-dd HH:mm:ss}, {inner.Train.EventCount} events)", 0.0);
        var validationFeatures = BuildFeatures(inner.Train, ct);
        var choices = new Dictionary<string, double>();
        var settings = new PushRanker.Settings((int)P("iterations"), (int)P("leaves"), Seed: (int)P("seed"), FfmLambda: (float)P("ffm_lambda"));
        var ffmGrid = FfmGrid.Select(g => (Dim: P("ffm_dim") >= 1 ? (int)P("ffm_dim") : g.Dim, Iterations: P("ffm_iterations") >= 1 ? (int)P("ffm_iterations") : g.Iterations))
            .Distinct().Select(g => settings with { FfmLatentDimension = g.Dim, FfmIterations = g.Iterations }).ToArray();
        var fields = validationFeatures.Fields;
        for (var task = 0; task < 2; task++)
        {
            ct.ThrowIfCancellationRequested();
            var novel = task == 1;
            var users = inner.Users(novel ? EvaluationTask.Novel : EvaluationTask.All);
            var name = novel ? "novel" : "all";
            FitLog($"blend: {name}: candidates for {users.Count} validation users", 0.3 + 0.2 * task);
            var sets = new UserCandidates[users.Count];
            Parallel.For(0, users.Count, new ParallelOptions { CancellationToken = ct }, x => sets[x] = validationFeatures.Candidates(users[x].User, novel, null));
            var recall = users.Select((u, x) => u.Relevant.Count(r => Array.IndexOf(sets[x].Items, r) >= 0) / (double)u.Relevant.Length).Average();
            choices[$"{name}.candidate_recall"] = recall;
            choices[$"{name}.candidates_per_user"] = sets.Average(s => s.Items.Length);
            FitLog($"blend: {name}: {sets.Average(s => s.Items.Length):F0} candidates per user, candidate recall {recall:F4}");

            var holdout = Enumerable.Range(0, users.Count).Where(x => users[x].User % 10 >= 7).ToArray();
            var fit = Enumerable.Range(0, users.Count).Where(x => users[x].User % 10 < 7).ToArray();
            var bestObjective = RankerObjective.LambdaRank; var bestNdcg = double.NegativeInfinity;
            PushRanker? bestRanker = null;
            var bestSettings = settings;
            var fitRows = Rows(users, sets, fit);
            // AUC is reported, NDCG@20 decides (see the class remarks). The FFM's k and passes are searched the same way.
            var objectives = P("objective") >= 0 ? [(RankerObjective)(int)P("objective")] : Enum.GetValues<RankerObjective>();
            foreach (var objective in objectives)
            {
                var key = objective.ToString().ToLowerInvariant();
                var grid = objective == RankerObjective.FieldAwareFactorizationMachine ? ffmGrid : [settings];
                var objectiveNdcg = double.NegativeInfinity;
                foreach (var s in grid)
                {
                    ct.ThrowIfCancellationRequested();
                    var clock = System.Diagnostics.Stopwatch.StartNew();
                    var ranker = PushRanker.Train(fitRows, validationFeatures.Count, objective, s, fields);
                    var trained = clock.Elapsed.TotalSeconds;
                    var (m, _, auc) = Measure(validationFeatures, ranker, users, sets, holdout, 1.0);
                    var label = objective == RankerObjective.FieldAwareFactorizationMachine ? $"{objective} k={s.FfmLatentDimension} passes={s.FfmIterations}" : objective.ToString();
                    FitLog($"blend: {name}: {label} validation ndcg@20 {m.Ndcg20:F4} auc {auc:F4} (trained in {trained:F1} s)");
                    if (m.Ndcg20 > objectiveNdcg)
                    {
                        objectiveNdcg = m.Ndcg20;
                        choices[$"{name}.ndcg@20.{key}"] = m.Ndcg20;
                        choices[$"{name}.auc.{key}"] = auc;
                        if (objective == RankerObjective.FieldAwareFactorizationMachine) { choices[$"{name}.ffm_dim"] = s.FfmLatentDimension; choices[$"{name}.ffm_iterations"] = s.FfmIterations; }
                    }
                    if (m.Ndcg20 > bestNdcg) { bestNdcg = m.Ndcg20; bestObjective = objective; bestRanker = ranker; bestSettings = s; }
                }
            }
            var bestLambda = 1.0; var lambdaNdcg = double.NegativeInfinity;
            TaskMetrics? chosen = null;
            // Without item vectors (no text model) MMR cannot measure similarity: λ = 1.
            double[] lambdas = validationFeatures.Vectors.Count == 0 ? [1.0] : P("mmr_lambda") >= 0 ? [Math.Clamp(P("mmr_lambda"), 0, 1)] : LambdaGrid;
            foreach (var lambda in lambdas)
            {
                var (m, ild, _) = Measure(validationFeatures, bestRanker!, users, sets, holdout, lambda);
                choices[$"{name}.ndcg@20.mmr{lambda:0.##}"] = m.Ndcg20;
                choices[$"{name}.ild@20.mmr{lambda:0.##}"] = ild;
                FitLog($"blend: {name}: MMR λ={lambda:0.##} validation ndcg@20 {m.Ndcg20:F4} recall@20 {m.Recall20:F4} ILD@20 {ild:F4}");
                if (m.Ndcg20 > lambdaNdcg) { lambdaNdcg = m.Ndcg20; bestLambda = lambda; chosen = m; }
            }
            choices[$"{name}.objective"] = (int)bestObjective;
            choices[$"{name}.mmr_lambda"] = bestLambda;
            _lambdas[task] = bestLambda;
            if (novel) ValidationNovel = chosen; else ValidationAll = chosen;
            FitLog($"blend: {name}: training the {bestObjective} ranker on all {users.Count} validation users");
            _rankers[task] = PushRanker.Train(Rows(users, sets, Enumerable.Range(0, users.Count).ToArray()), validationFeatures.Count, bestObjective, bestSettings, fields);
        }
        ValidationChoices = choices;
        ct.ThrowIfCancellationRequested();
        FitLog($"blend: refitting channels on all {data.EventCount} events", 0.7);
        _features = BuildFeatures(data, ct);
        _cache = new();
    }

    /// <summary>
    /// The ranker on the <paramref name="subset"/> users: their top-20 lists' metrics, the mean intra-list diversity of
    /// those lists, and the ROC AUC of the ranker's scores over all their candidates (label: bought in the window; NaN
    /// when the candidates hold no positive or no negative).
    /// </summary>
    private (TaskMetrics Metrics, double Ild, double Auc) Measure(PushFeatures features, PushRanker ranker, IReadOnlyList<EvaluatedUser> users, UserCandidates[] sets, int[] subset, double lambda)
    {
        var rows = Rows(users, sets, subset, keepAll: true);
        var scores = ranker.PredictMany(rows);
        var lists = new int[subset.Length][];
        var ild = new double[subset.Length];
        var offset = 0;
        for (var s = 0; s < subset.Length; s++)
        {
            var set = sets[subset[s]];
            var result = Order(features, set, scores.AsSpan(offset, set.Items.Length), new float[set.Items.Length], lambda);
            offset += set.Items.Length;
            lists[s] = result.Items.Take(20).Select(c => c.Item).ToArray();
            ild[s] = result.IntraListDiversity;
        }
        var labels = rows.Select(r => r.Label > 0).ToArray();
        var auc = labels.Contains(true) && labels.Contains(false) ? CtrMetrics.RocAuc(scores.Select(x => (double)x).ToArray(), labels) : double.NaN;
        return (TaskMetrics.Compute(subset.Select(x => users[x]).ToList(), lists, features.Data.ItemCount), ild.Length == 0 ? double.NaN : ild.Average(), auc);
    }

    private static List<RankerRow> Rows(IReadOnlyList<EvaluatedUser> users, UserCandidates[] sets, int[] subset, bool keepAll = false)
    {
        var rows = new List<RankerRow>();
        foreach (var x in subset)
        {
            var set = sets[x];
            var rel = users[x].Relevant;
            var labels = set.Items.Select(i => Array.BinarySearch(rel, i) >= 0 ? 1f : 0f).ToArray();
            if (!keepAll && !labels.Any(l => l > 0)) continue; // a group without a positive teaches LambdaRank nothing
            var f = set.FeatureCount;
            for (var c = 0; c < set.Items.Length; c++)
                rows.Add(new RankerRow((uint)users[x].User, labels[c], set.Features.AsSpan(c * f, f).ToArray()));
        }
        return rows;
    }

    private PushFeatures BuildFeatures(InteractionSet data, CancellationToken ct)
    {
        var channels = new List<IRecallChannel>();
        IRecommender Fitted(string model, Dictionary<string, double> p)
        {
            ct.ThrowIfCancellationRequested();
            var m = Recommenders.Create(model, p);
            if (m is ICatalogueTextModel t && _text is not null) t.UseCatalogueText(_text);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            m.Fit(data, ct);
            FitLog($"blend:   {model} fitted in {clock.Elapsed.TotalSeconds:F1} s");
            return m;
        }
        int Q(string name) => (int)P("quota_" + name);
        var seed = P("seed");
        IRecommender? first = null;
        if (Q("repeat") > 0) channels.Add(new RecommenderChannel("repeat", Q("repeat"), first = Fitted("repeat", new() { ["halflife_days"] = 30 }), ownItemsOnly: true));
        if (Q("itemknn") > 0) channels.Add(new RecommenderChannel("itemknn", Q("itemknn"), Fitted("itemknn", new() { ["k"] = 100, ["shrink"] = 10, ["alpha"] = 0 })));
        if (Q("userknn") > 0) channels.Add(new RecommenderChannel("userknn", Q("userknn"), Fitted("userknn", new() { ["k"] = 100, ["alpha"] = 0 })));
        if (Q("ease") > 0) channels.Add(new RecommenderChannel("ease", Q("ease"), Fitted("ease", new() { ["lambda"] = 400, ["alpha"] = 0 })));
        IRecommender? text = null;
        if (_text is not null && (Q("text2vec") > 0 || Q("new") > 0))
        {
            text = Fitted("text2vec", new() { ["decay_days"] = 30, ["seed"] = seed });
            if (Q("text2vec") > 0) channels.Add(new RecommenderChannel("text2vec", Q("text2vec"), text));
        }
        IRecommender? item2vec = null;
        if (Q("item2vec") > 0) channels.Add(new RecommenderChannel("item2vec", Q("item2vec"), item2vec = Fitted("item2vec", new() { ["decay_days"] = 30, ["seed"] = seed })));
        if (Q("gru") > 0) channels.Add(new RecommenderChannel("gru", Q("gru"), Fitted("gru", new() { ["seed"] = seed })));
        if (Q("popular") > 0) channels.Add(new RecentPopularChannel(Q("popular"), first ?? Fitted("popularity", [])));
        if (Q("segment") > 0) channels.Add(new SegmentPopularChannel(Q("segment"), first ?? channels[0].Model));
        if (text is not null && Q("new") > 0) channels.Add(new NewProductsChannel(Q("new"), text));
        if (channels.Count == 0) throw new ArgumentException("blend needs at least one recall channel (every quota is 0).");
        var vectors = new List<Embeddings.VectorIndex>();
        if (text is IItemVectorModel tv) vectors.Add(tv.Index);
        if (item2vec is IItemVectorModel iv) vectors.Add(iv.Index);
        return new PushFeatures(data, channels, vectors, _prices);
    }

    /// <summary>
    /// The push list of <paramref name="user"/> for the current task: candidates from every channel (the user's own
    /// items left out for task "novel"), items that <paramref name="allowed"/> rejects removed, ranked by the ranker,
    /// the first <c>mmr_pool</c> re-ranked by MMR.
    /// </summary>
    /// <param name="user">Dense user id, or -1 for a customer without history (popular and new products).</param>
    /// <param name="allowed">Mask over dense item ids (false = excluded by a business rule), or null.</param>
    /// <exception cref="InvalidOperationException">Not fitted.</exception>
    public PushListResult PushList(int user, bool[]? allowed = null)
    {
        var cached = _cache.Value;
        if (cached is { } c && c.User == user && ReferenceEquals(c.Mask, allowed)) return c.Result;
        var features = Features;
        var set = features.Candidates(user, Task == 1, allowed);
        var scores = new float[set.Items.Length];
        var probabilities = new float[set.Items.Length];
        Ranker.Predict(set.Features, scores, probabilities);
        var result = Order(features, set, scores, probabilities, Lambda);
        _cache.Value = (user, allowed, result);
        return result;
    }

    private PushListResult Order(PushFeatures features, UserCandidates set, ReadOnlySpan<float> scores, float[] probabilities, double lambda)
    {
        var n = set.Items.Length;
        var byScore = Enumerable.Range(0, n).ToArray();
        var s = scores.ToArray();
        Array.Sort(byScore, (a, b) => s[a] != s[b] ? s[b].CompareTo(s[a]) : set.Items[a].CompareTo(set.Items[b]));
        var pool = Math.Min(n, Math.Max(1, (int)P("mmr_pool")));
        var head = byScore[..pool];
        var order = new List<(int Local, double Penalty)>(n);
        var vectors = features.Vectors.Count > 0 ? features.Vectors[0] : null;
        if (vectors is not null && lambda < 1 && pool > 1)
        {
            // Relevance normalised to [0, 1] over the pool, so that λ means the same for every user.
            double min = s[head[^1]], max = s[head[0]];
            var rel = head.Select(h => max > min ? (s[h] - min) / (max - min) : 1.0).ToArray();
            var picks = Mmr.Rerank(rel, pool, lambda, (a, b) => vectors.Cosine(set.Items[head[a]], set.Items[head[b]]));
            foreach (var p in picks) order.Add((head[p.Index], p.Penalty));
        }
        else foreach (var h in head) order.Add((h, 0));
        foreach (var h in byScore[pool..]) order.Add((h, 0));
        var rankBefore = new int[n];
        for (var r = 0; r < n; r++) rankBefore[byScore[r]] = r + 1;
        var items = order.Select(o => new PushCandidate(set.Items[o.Local], s[o.Local], probabilities[o.Local], rankBefore[o.Local], o.Penalty,
            set.ChannelScores(o.Local), set.ChannelRanks(o.Local))).ToList();
        var top = Math.Min(20, items.Count);
        var ild = vectors is null ? double.NaN : Mmr.IntraListDiversity(top, (a, b) => vectors.Cosine(items[a].Item, items[b].Item));
        return new PushListResult(set.User, items, ild, lambda);
    }

    /// <inheritdoc />
    /// <remarks>The list's items get decreasing scores (list length − position), every other item −∞, so that a top-K by score is the list.</remarks>
    protected override void ScoreCore(int user, Span<float> scores)
    {
        var result = PushList(user);
        scores.Fill(float.NegativeInfinity);
        var n = result.Items.Count;
        for (var p = 0; p < n; p++) scores[result.Items[p].Item] = n - p;
    }

    /// <inheritdoc />
    /// <remarks>
    /// Kind and past items come from a proposing channel: repeat-buy, ItemKNN, text2vec or new products when one of them
    /// proposed the item (their reasons name the customer's purchases), else the one with the best rank;
    /// <c>Detail</c> holds <c>ranker_score</c>, <c>probability</c> (binary ranker), <c>rank_before_mmr</c>, <c>mmr_penalty</c>,
    /// <c>score.{channel}</c> and <c>rank.{channel}</c> for every proposing channel, and the channel explanation's numbers.
    /// </remarks>
    protected override Explanation ExplainCore(int user, int item, int maxItems) => Explain(PushList(user), user, item, maxItems);

    /// <summary>The explanation of <paramref name="item"/> in <paramref name="list"/> (see <see cref="ExplainCore"/>).</summary>
    /// <param name="list">A push list from <see cref="PushList"/>.</param>
    /// <param name="user">Its dense user id, or -1.</param>
    /// <param name="item">Dense item id.</param>
    /// <param name="maxItems">Past items at most.</param>
    public Explanation Explain(PushListResult list, int user, int item, int maxItems = 3)
    {
        var channels = Channels;
        var candidate = list.Items.FirstOrDefault(c => c.Item == item);
        if (candidate is null) return channels[0].Model.Explain(user, item, maxItems);
        var proposing = Enumerable.Range(0, channels.Count).Where(c => candidate.ChannelRanks[c] > 0).ToList();
        // The reason names the customer's own purchases when a channel can: repeat-buy, then ItemKNN and text similarity
        // ("Because you bought …"), else the proposing channel with the best rank.
        var primary = -1;
        foreach (var preferred in new[] { "repeat", "itemknn", "text2vec", "new" })
            if (primary < 0) primary = proposing.FirstOrDefault(c => channels[c].Name == preferred, -1);
        if (primary < 0 && proposing.Count > 0) primary = proposing.MinBy(c => (candidate.ChannelRanks[c], c));
        var channel = primary >= 0 ? channels[primary] : channels[0];
        var inner = channel switch
        {
            RecentPopularChannel => new Explanation("popular", [], new Dictionary<string, double> { ["events"] = Data.ItemEventCounts[item] }),
            // The segment travels as its index in RfmSegments.All (explanation details are numbers).
            SegmentPopularChannel sp when sp.SegmentOf(user) is { } segment => new Explanation("popular-segment", [], new Dictionary<string, double>
            {
                ["segment"] = Tiers.RfmSegments.IndexOf(segment), ["buyers"] = sp.BuyersInSegment(user, item),
            }),
            _ => channel.Model.Explain(user, item, maxItems),
        };
        var detail = new Dictionary<string, double>(StringComparer.Ordinal);
        if (inner.Detail is not null) foreach (var (k, v) in inner.Detail) detail[k] = v;
        detail["ranker_score"] = candidate.RankerScore;
        if (!float.IsNaN(candidate.Probability)) detail["probability"] = candidate.Probability;
        detail["rank_before_mmr"] = candidate.RankBeforeMmr;
        detail["mmr_penalty"] = candidate.MmrPenalty;
        foreach (var c in proposing)
        {
            detail[$"rank.{channels[c].Name}"] = candidate.ChannelRanks[c];
            if (!float.IsNaN(candidate.ChannelScores[c])) detail[$"score.{channels[c].Name}"] = candidate.ChannelScores[c];
        }
        return new Explanation(inner.Kind, inner.BecauseOf, detail);
    }

    /// <inheritdoc />
    protected override void OnScoringParametersChanged(InteractionSet data) => _cache = new();

    /// <inheritdoc />
    /// <remarks>Layout: λ per task, validation choices, each channel's state (in channel order; models that refit cheaply write nothing), the two rankers.</remarks>
    public override void SaveState(BinaryWriter writer)
    {
        var features = Features;
        writer.Write(_lambdas[0]); writer.Write(_lambdas[1]);
        writer.Write(ValidationChoices.Count);
        foreach (var (k, v) in ValidationChoices) { writer.Write(k); writer.Write(v); }
        writer.Write(_prices?.Count ?? -1);
        if (_prices is not null) foreach (var (k, v) in _prices) { writer.Write(k); writer.Write(v); }
        var models = DistinctModels(features);
        writer.Write(models.Count);
        foreach (var m in models) { writer.Write(m.Name); m.SaveState(writer); }
        foreach (var r in _rankers) (r ?? throw new InvalidOperationException("blend is not fitted.")).Save(writer);
    }

    /// <inheritdoc />
    protected override void LoadStateCore(BinaryReader reader, InteractionSet data)
    {
        _lambdas[0] = reader.ReadDouble(); _lambdas[1] = reader.ReadDouble();
        var choices = new Dictionary<string, double>();
        for (int i = 0, n = reader.ReadInt32(); i < n; i++) choices[reader.ReadString()] = reader.ReadDouble();
        ValidationChoices = choices;
        var priceCount = reader.ReadInt32();
        if (priceCount >= 0)
        {
            var prices = new Dictionary<string, double>(priceCount, StringComparer.Ordinal);
            for (var i = 0; i < priceCount; i++) prices[reader.ReadString()] = reader.ReadDouble();
            _prices = prices;
        }
        var count = reader.ReadInt32();
        var loaded = new Dictionary<string, IRecommender>(StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
        {
            var name = reader.ReadString();
            var m = Recommenders.Create(name, ChannelParameters(name));
            m.LoadState(reader, data);
            loaded[name] = m;
        }
        _rankers[0] = PushRanker.Load(reader);
        _rankers[1] = PushRanker.Load(reader);
        _features = Rebuild(data, loaded);
        // An artifact saved before a channel was added has fewer features than today's defaults build: say so plainly.
        if (_rankers.Any(r => r!.FeatureCount != _features.Count))
            throw new InvalidDataException($"This blend artifact has {_rankers[0]!.FeatureCount} ranker features but its channels now give " +
                $"{_features.Count} (it was saved by an older version with other channels); train blend again.");
        if (_rankers.Any(r => r!.Fields is { } fields && !fields.SequenceEqual(_features.Fields)))
            throw new InvalidDataException("This blend artifact's FFM ranker groups the features into other fields than its channels now give; train blend again.");
        _cache = new();
    }

    private Dictionary<string, double> ChannelParameters(string model) => model switch
    {
        "repeat" => new() { ["halflife_days"] = 30 },
        "itemknn" => new() { ["k"] = 100, ["shrink"] = 10, ["alpha"] = 0 },
        "userknn" => new() { ["k"] = 100, ["alpha"] = 0 },
        "ease" => new() { ["lambda"] = 400, ["alpha"] = 0 },
        "text2vec" or "item2vec" => new() { ["decay_days"] = 30, ["seed"] = P("seed") },
        "gru" => new() { ["seed"] = P("seed") },
        _ => [],
    };

    private static List<IRecommender> DistinctModels(PushFeatures features)
    {
        var list = new List<IRecommender>();
        foreach (var c in features.Channels) if (!list.Contains(c.Model)) list.Add(c.Model);
        return list;
    }

    private PushFeatures Rebuild(InteractionSet data, Dictionary<string, IRecommender> m)
    {
        var channels = new List<IRecallChannel>();
        int Q(string name) => (int)P("quota_" + name);
        IRecommender? first = null;
        if (Q("repeat") > 0) channels.Add(new RecommenderChannel("repeat", Q("repeat"), first = m["repeat"], ownItemsOnly: true));
        if (Q("itemknn") > 0) channels.Add(new RecommenderChannel("itemknn", Q("itemknn"), m["itemknn"]));
        if (Q("userknn") > 0) channels.Add(new RecommenderChannel("userknn", Q("userknn"), m["userknn"]));
        if (Q("ease") > 0) channels.Add(new RecommenderChannel("ease", Q("ease"), m["ease"]));
        m.TryGetValue("text2vec", out var text);
        if (text is not null && Q("text2vec") > 0) channels.Add(new RecommenderChannel("text2vec", Q("text2vec"), text));
        m.TryGetValue("item2vec", out var item2vec);
        if (item2vec is not null) channels.Add(new RecommenderChannel("item2vec", Q("item2vec"), item2vec));
        if (m.TryGetValue("gru", out var gru)) channels.Add(new RecommenderChannel("gru", Q("gru"), gru));
        if (Q("popular") > 0) channels.Add(new RecentPopularChannel(Q("popular"), first ?? m["popularity"]));
        if (Q("segment") > 0) channels.Add(new SegmentPopularChannel(Q("segment"), first ?? channels[0].Model));
        if (text is not null && Q("new") > 0) channels.Add(new NewProductsChannel(Q("new"), text));
        var vectors = new List<Embeddings.VectorIndex>();
        if (text is IItemVectorModel tv) vectors.Add(tv.Index);
        if (item2vec is IItemVectorModel iv) vectors.Add(iv.Index);
        return new PushFeatures(data, channels, vectors, _prices);
    }
}
