using Portal.Core.Behavior;
using static TorchSharp.torch;

namespace Portal.Core.Recommendation.Gru;

/// <summary>
/// GRU4Rec, the recurrent session model of Hidasi, Karatzoglou, Baltrunas and Tikk ("Session-based Recommendations with
/// Recurrent Neural Networks", ICLR 2016) with the improvements of Hidasi and Karatzoglou ("Recurrent Neural Networks
/// with Top-k Gains for Session-based Recommendations", CIKM 2018: shared negative samples, BPR-max, score
/// regularisation), trained with TorchSharp on each user's time-ordered events (one session per user, optionally split
/// on long gaps), plus a repeat-aware output for re-purchases.
/// <para>
/// Score(u, i) = softmax_i(s_u·Wyᵀ + by) + <c>alpha</c> · r(u,i) / Σ_j r(u,j), where s_u [hidden] is the scoring
/// state: with <c>state_decay</c> λ &gt; 0 (default 0.98) the recency-weighted average Σ_k λ^k h_{T−k} / Σ_k λ^k of the
/// last layer's states along the user's (last) session, with λ = 0 the final hidden state h_T itself (GRU4Rec); h_T is
/// always the user's short-term interest vector (<see cref="InterestVector"/>). With <c>pool_steps</c> &gt; 0 the
/// softmax term is replaced by a mixture of softmaxes (see the parameter list). r the user's recency-weighted own count of i (half-life <c>halflife_days</c>, see
/// <see cref="RepeatRecommender.RecencyWeights"/>). The softmax is a distribution over the catalogue and so is the
/// normalised history, so <c>alpha</c> is the weight of "buy again" against "buy next" (searched on validation).
/// </para>
/// <para>Parameters (all numbers; integers are whole):</para>
/// <list type="bullet">
/// <item><c>hidden</c> units per GRU layer (224); <c>layers</c> (1); <c>embedding</c>: 0 = the input embedding is the output item matrix Wy (shared, "constrained"), n &gt; 0 = a separate input embedding of n columns.</item>
/// <item><c>loss</c>: 0 = cross-entropy over the targets of the mini-batch plus the sampled negatives, 1 = BPR-max with score regularisation <c>bpreg</c> and ELU <c>elu</c> on the scores.</item>
/// <item><c>optimizer</c>: 0 = Adagrad with <c>momentum</c> (the official implementation's), 1 = Adam; <c>learning_rate</c>.</item>
/// <item><c>batch</c> sessions per mini-batch; <c>n_sample</c> shared negatives per mini-batch drawn ∝ popularity^<c>sample_alpha</c>.</item>
/// <item><c>dropout_embed</c>, <c>dropout_hidden</c>; <c>epochs</c>; <c>seed</c>.</item>
/// <item><c>target_window</c>: 1 = the target of an event is the next event (GRU4Rec); w &gt; 1 = one of the next w events of the session, drawn uniformly each time (teaches the state a longer horizon, as the offline task asks for the next 30 days' items).</item>
/// <item><c>logq</c>: with cross-entropy, the logQ correction of the sampled softmax (Yi et al., "Sampling-bias-corrected neural modeling for large corpus item recommendations", RecSys 2019; the official implementation's <c>logq</c>): every scored column minus logq · log of its item's sampling probability (0: off).</item>
/// <item><c>pool_steps</c>, <c>pool_decay</c> (scoring only): with pool_steps = m &gt; 0 the GRU term of the score is the mixture Σ_k pool_decay^k · softmax(h_{T−k}·Wyᵀ + by) / Σ_k pool_decay^k of the next-item distributions after each of the user's last m events (the long history seen as many "next item" predictions, each weighted by its recency), instead of one softmax of the (decayed) state; 0: off.</item>
/// <item><c>state_decay</c>: λ of the scoring state, the last layer's states over the session averaged with weights λ^(steps before the end) (0: the final state, as GRU4Rec; 0.9: about the last ten events). The interest vector stays the final state.</item>
/// <item><c>new_targets</c>: 1 = targets are only events whose item is new in the session (not bought earlier in it), chosen among the next <c>target_window</c> such events: the network learns what the user will buy that they have not bought before, and the re-purchases are left to the history term of the score (<c>alpha</c>); 0 = every event is a target.</item>
/// <item><c>gap_days</c>: split a user's sequence where consecutive events are more than this many days apart (0: never).</item>
/// <item><c>weight_view</c>, <c>weight_click</c>, <c>weight_cart</c>, <c>weight_purchase</c>: loss weight of a target by event type (favourite counts as cart, return and comment as view), normalised to mean 1 over the training targets.</item>
/// <item><c>ensemble</c>: the number of networks (seeds <c>seed</c>, <c>seed</c> + 1, …; trained <c>parallel</c> at a time, so on two cores two networks take about 1.2 times one's time) whose next-item distributions are averaged at scoring (1: one network, GRU4Rec). A deep ensemble (Lakshminarayanan, Pritzel and Blundell, NeurIPS 2017): networks from different seeds disagree (on the UCI validation split one 10-epoch network scores novel NDCG@20 0.0867 with seed 42 and 0.0804 with seed 43), and their average is steadier and better than the networks' mean. Scoring and explanations cost N times one network's, and so does the memory of the users' states (users × hidden × (layers + 1) floats per network, about 1.8 GB per network at a million customers).</item>
/// <item><c>parallel</c>: how many of the ensemble's networks train at once, each on its own thread (0: one per core; 1: one after the other; always 1 with Adam, whose dense step is TorchSharp's own and passes implicit Scalars, see <see cref="HeldScalars"/>). Each network's thread sets its own libtorch thread count (<c>threads</c>), so parallel networks give the same weights as one after the other. The networks' final-state passes may overlap too, so peak memory is up to <c>parallel</c> times one network's.</item>
/// <item><c>threads</c>: libtorch intra-op threads while fitting (1; 0: leave libtorch's setting). It is set on the thread that trains each network for that network's training and restored after it. One thread is the default because it is deterministic and, on a small shared CPU, much faster: the mini-batch matrices are small and libtorch's OpenMP threads spin-wait when the cores are oversubscribed (measured 4,600 events/s with 1 thread against 460 with 2 on this 2-core machine under load).</item>
/// <item>Scoring only: <c>alpha</c>, <c>halflife_days</c>.</item>
/// </list>
/// <para>
/// Determinism: initialisation, dropout, negative sampling and target choice draw from a <see cref="Generator"/> and a
/// <see cref="Random"/> seeded with <c>seed</c> (<c>seed</c> + k for network k of an ensemble; libtorch's global generator is not used), the session order is fixed,
/// and libtorch's CPU kernels used here are deterministic for a fixed thread count; so the same seed, data and
/// parameters give the same weights and scores.
/// </para>
/// </summary>
public sealed class GruRecommender(IReadOnlyDictionary<string, double>? parameters = null)
    : RecommenderBase(parameters, Defaults), IReportsFitProgress
{
    /// <summary>
    /// The default hyper-parameters (see the class remarks): the official implementation's best RetailRocket BPR-max
    /// setting (224 units, batch 80, 2,048 negatives with sample_alpha 0.4, bpreg 1.95, ELU 0.5, dropout 0.5/0.05,
    /// Adagrad lr 0.05 with momentum 0.4, shared embedding) with 10 epochs (the official setting; 442 s for the UCI
    /// train part on one core of this machine), a target window of 40 and a scoring state averaged over the session with decay 0.98,
    /// chosen with <c>bench gru-validate</c> on the UCI validation split (novel NDCG@20, 3 epochs: 0.0513 with window 1,
    /// 0.0610 with 10, 0.0646 with 40, new-item-only targets worse; window 40 with 10 epochs: 0.0715 with the final
    /// state, 0.0849 with state_decay 0.95, 0.0867 with 0.98, 0.0860 pooling 200 steps; cross-entropy with logq 1 for 6
    /// epochs: 0.0740 final state, 0.0797 pooled). An ensemble of two networks (seeds 42 and 43), trained side by side:
    /// one network scores 0.0867, 0.0804 or 0.0793 with seeds 42, 43, 44, two score 0.0877 (42+43) and 0.0843 (43+44);
    /// on two cores the pair trains in 527 s against 442 s for one. <c>evaluate</c> still searches state_decay (and
    /// alpha) per task.
    /// </summary>
    public static IReadOnlyDictionary<string, double> Defaults { get; } = new Dictionary<string, double>
    {
        ["hidden"] = 224, ["layers"] = 1, ["embedding"] = 0,
        ["loss"] = 1, ["bpreg"] = 1.95, ["elu"] = 0.5, ["logq"] = 0,
        ["optimizer"] = 0, ["learning_rate"] = 0.05, ["momentum"] = 0.4,
        ["batch"] = 80, ["n_sample"] = 2048, ["sample_alpha"] = 0.4,
        ["dropout_embed"] = 0.5, ["dropout_hidden"] = 0.05,
        ["epochs"] = 10, ["seed"] = 42, ["target_window"] = 40, ["new_targets"] = 0, ["gap_days"] = 0, ["state_decay"] = 0.98,
        ["weight_view"] = 1, ["weight_click"] = 1.5, ["weight_cart"] = 3, ["weight_purchase"] = 4,
        ["threads"] = 1,
        ["alpha"] = 0, ["halflife_days"] = 30, ["pool_steps"] = 0, ["pool_decay"] = 1, ["ensemble"] = 2, ["parallel"] = 0,
    };

    private int _hidden;
    private int _layers;
    private Member[] _members = [];
    private float[] _repeat = [];
    private int[][] _recent = [];
    // The preview explains 20 items of one user right after scoring them, and every explanation needs the user's
    // next-item distribution (a pass over the catalogue per network): keep the last user's, as UserKnnRecommender keeps
    // its neighbours. Keyed by the members (new ones after a fit, a load or a state_decay/pool_steps change) and
    // pool_decay, so a copy from WithScoringParameters never reads the original's.
    private DistributionCache? _lastDistribution;

    private sealed record DistributionCache(int User, Member[] Members, double PoolDecay, float[] Probabilities);

    /// <summary>
    /// One trained network of the ensemble and what scoring needs from it: the output item matrix Wy [items × hidden]
    /// and bias by [items] (flattened), per layer the users' final states plus the scoring state (layers + 1 arrays of
    /// [users × hidden]), and the pooling history [users × pool_steps × hidden] with its fill counts [users].
    /// </summary>
    private sealed record Member
    {
        public required byte[] Network { get; init; }
        public required float[] OutW { get; init; }
        public required float[] OutB { get; init; }
        public required float[][] States { get; init; }
        public required double Decay { get; init; }
        public int PoolSteps { get; init; }
        public float[] History { get; init; } = [];
        public int[] HistoryFilled { get; init; } = [];
    }

    /// <inheritdoc />
    public override string Name => "gru";

    /// <summary>Receives training progress (epoch, loss, events/s) while <see cref="IRecommender.Fit"/> runs; may be null.</summary>
    public Action<GruProgress>? TrainingProgress { get; set; }

    /// <inheritdoc />
    /// <remarks>
    /// Fraction = the mean over the networks of each one's epochs done / epochs (the final states after each network's
    /// last epoch are not counted); text <c>epoch 2/5 (40 %), loss 0.5731, 5120 events/s</c>, with
    /// <c>network 1/2, </c> in front when <c>ensemble</c> &gt; 1, about once a second and at the end of every epoch.
    /// </remarks>
    public IProgress<FitProgress>? FitProgress { get; set; }

    /// <summary>Statistics of the last epoch of the last fit (of the network that finished an epoch last when <c>ensemble</c> &gt; 1): mean loss per training pair and training pairs per second.</summary>
    public (double Loss, double EventsPerSecond) LastEpoch { get; private set; }

    /// <summary>Units of the GRU layers (the length of <see cref="InterestVector"/>).</summary>
    public int HiddenSize => _hidden;

    /// <summary>Number of networks whose next-item distributions are averaged: the <c>ensemble</c> parameter of the fit, or the loaded artifact's count (1 for a version-1 artifact); 0 before a fit or load.</summary>
    public int EnsembleSize => _members.Length;

    internal GruTrainingOptions Options() => new()
    {
        Hidden = (int)P("hidden"), Layers = (int)P("layers"), EmbeddingSize = (int)P("embedding"),
        BprMax = P("loss") != 0, Adam = P("optimizer") != 0, LearningRate = P("learning_rate"), Momentum = P("momentum"),
        BatchSize = (int)P("batch"), NegativeSamples = (int)P("n_sample"), SampleAlpha = P("sample_alpha"),
        BprReg = P("bpreg"), EluParam = P("elu"), DropoutEmbed = P("dropout_embed"), DropoutHidden = P("dropout_hidden"),
        Epochs = (int)P("epochs"), TargetWindow = Math.Max(1, (int)P("target_window")), NewItemTargets = P("new_targets") != 0, LogQ = P("logq"), Seed = (long)P("seed"),
    };

    internal GruSessions Sessions(InteractionSet data) => new(data, P("gap_days"), TypeWeight);

    private double TypeWeight(EventType type) => type switch
    {
        EventType.View => P("weight_view"),
        EventType.Click => P("weight_click"),
        EventType.Cart or EventType.Favorite => P("weight_cart"),
        EventType.Purchase => P("weight_purchase"),
        _ => P("weight_view"),
    };

    /// <inheritdoc />
    /// <remarks>
    /// Trains the <c>ensemble</c> networks, <c>parallel</c> at a time (<c>epochs</c> passes each, cancellable between
    /// mini-batches; a network that fails stops the others), feeding every user's sequence through each after its
    /// training to get the final states. Progress reports of parallel networks are delivered one at a time.
    /// </remarks>
    /// <exception cref="OperationCanceledException"><paramref name="ct"/> was cancelled; nothing of the fit is kept.</exception>
    protected override void FitCore(InteractionSet data, CancellationToken ct)
    {
        if (data.ItemCount == 0) throw new ArgumentException("No items to train on.", nameof(data));
        if (P("ensemble") is var ensemble && (ensemble < 1 || ensemble > 64 || ensemble != Math.Floor(ensemble)))
            throw new ArgumentException($"ensemble={ensemble}: the number of networks must be a whole number from 1 to 64.");
        if (P("logq") > 0 && P("loss") != 0)
            throw new ArgumentException($"logq={P("logq")} corrects the sampled cross-entropy only; set loss=0 with it (loss={P("loss")} is BPR-max).");
        foreach (var name in new[] { "dropout_embed", "dropout_hidden" })
            if (P(name) is var p && (p < 0 || p >= 1))
                throw new ArgumentException($"{name}={p}: a dropout rate must be at least 0 and below 1.");
        if (P("parallel") is var parallel && (parallel < 0 || parallel != Math.Floor(parallel)))
            throw new ArgumentException($"parallel={parallel}: the number of networks trained at once must be a whole number (0: one per core).");
        Train(data, ct);
    }

    /// <summary>
    /// Runs <paramref name="action"/> with libtorch's intra-op thread count set to <c>threads</c> on the current thread
    /// (OpenMP keeps the count per thread, so each network's thread sets its own) and restores it after.
    /// </summary>
    private void WithTorchThreads(Action action)
    {
        var threads = (int)P("threads");
        var previous = get_num_threads();
        if (threads > 0) set_num_threads(threads);
        try { action(); }
        finally { if (threads > 0) set_num_threads(previous); }
    }

    private void Train(InteractionSet data, CancellationToken ct)
    {
        var sessions = Sessions(data);
        var size = (int)P("ensemble");
        var members = new Member[size];
        var fractions = new double[size];
        var gate = new object();
        // Member k is seeded with seed + k, so each is the single network that seed would give, whichever thread trains
        // it. Networks train on parallel threads, one libtorch thread each (set on each network's own thread: OpenMP
        // keeps the count per thread). Two networks on two cores take about 1.2 times one's time (527 s against 442 s
        // on the UCI train part). Only held Scalars reach libtorch from the training step (HeldScalars); Adam's dense
        // step is TorchSharp's own, which passes implicit ones, so with Adam the networks train one after the other.
        var parallel = ParallelNetworks(size);
        void Member(int k, CancellationToken token) => WithTorchThreads(() =>
        {
            var options = Options() with { Seed = (long)P("seed") + k };
            using var net = GruTrainer.Train(sessions, data.ItemCount, data.ItemEventCounts, options, p =>
            {
                // Reports from parallel networks are delivered one at a time, so the callbacks need no locking.
                lock (gate)
                {
                    fractions[k] = (p.Epoch - 1 + p.EpochFraction) / p.Epochs;
                    if (p.EpochDone) LastEpoch = (p.Loss, p.EventsPerSecond);
                    TrainingProgress?.Invoke(p with { Network = k + 1, Networks = size });
                    var networks = size == 1 ? "" : $"network {k + 1}/{size}, ";
                    FitProgress?.Report(new FitProgress(fractions.Sum() / size, string.Create(System.Globalization.CultureInfo.InvariantCulture,
                        $"{networks}epoch {p.Epoch}/{p.Epochs} ({p.EpochFraction:P0}), loss {p.Loss:F4}, {p.EventsPerSecond:F0} events/s")));
                }
            }, token);
            token.ThrowIfCancellationRequested();
            using var ms = new MemoryStream();
            using (var w = new BinaryWriter(ms, System.Text.Encoding.UTF8, leaveOpen: true)) net.Write(w);
            members[k] = NewMember(net, GruTrainer.FinalStates(net, sessions, data.UserCount, P("state_decay")), ms.ToArray(), sessions, data.UserCount);
        });
        if (parallel <= 1)
            for (var k = 0; k < size; k++) Member(k, ct);
        else
        {
            // A network that fails stops the others (through `stop`); the failure, not their cancellation, is thrown.
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            Exception? failure = null;
            try
            {
                Parallel.For(0, size, new ParallelOptions { MaxDegreeOfParallelism = parallel, CancellationToken = stop.Token }, k =>
                {
                    try { Member(k, stop.Token); }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        Interlocked.CompareExchange(ref failure, e, null);
                        stop.Cancel();
                        throw;
                    }
                });
            }
            catch (Exception e) when (e is AggregateException or OperationCanceledException)
            {
                if (failure is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(failure).Throw();
                throw new OperationCanceledException("The GRU fit was cancelled.", e, ct);
            }
        }
        Install(members, data, sessions);
    }

    /// <summary>
    /// How many of <paramref name="size"/> networks train at once: <c>parallel</c> when it is positive, otherwise one per
    /// core; always 1 with Adam (its libtorch step passes implicit Scalars, see <see cref="HeldScalars"/>).
    /// </summary>
    internal int ParallelNetworks(int size)
    {
        if (P("optimizer") != 0) return 1;
        var wanted = P("parallel") > 0 ? (int)P("parallel") : Environment.ProcessorCount;
        return Math.Clamp(wanted, 1, size);
    }

    /// <summary>A member from a trained network and its states (<see cref="GruTrainer.FinalStates"/>), with the pooling history when <c>pool_steps</c> &gt; 0.</summary>
    private Member NewMember(GruNetwork net, float[][] states, byte[] network, GruSessions sessions, int users)
    {
        var poolSteps = Math.Max(0, (int)P("pool_steps"));
        var (history, filled) = poolSteps == 0 ? ([], []) : GruTrainer.StateHistory(net, sessions, users, poolSteps);
        using var scope = NewDisposeScope(); // the detached temporaries below
        return new Member
        {
            Network = network, States = states, Decay = P("state_decay"), PoolSteps = poolSteps, History = history, HistoryFilled = filled,
            OutW = net.Wy.detach().contiguous().data<float>().ToArray(), OutB = net.By.detach().contiguous().data<float>().ToArray(),
        };
    }

    private void Install(Member[] members, InteractionSet data, GruSessions sessions)
    {
        _hidden = members[0].OutW.Length / members[0].OutB.Length;
        _layers = members[0].States.Length - 1;
        _members = members;
        _repeat = NormalisedRepeat(data);
        _recent = RecentItems(sessions, data.UserCount, 10);
    }

    /// <summary>A network from its serialised weights (<see cref="Member.Network"/>); the caller disposes it.</summary>
    private static GruNetwork ReadNetwork(byte[] network)
    {
        using var generator = new Generator(0);
        return GruNetwork.Read(new BinaryReader(new MemoryStream(network)), generator);
    }

    private float[] NormalisedRepeat(InteractionSet data)
    {
        var r = RepeatRecommender.RecencyWeights(data, P("halflife_days"));
        for (var u = 0; u < data.UserCount; u++)
        {
            double sum = 0;
            for (var p = data.UserOffsets[u]; p < data.UserOffsets[u + 1]; p++) sum += r[p];
            if (sum <= 0) continue;
            for (var p = data.UserOffsets[u]; p < data.UserOffsets[u + 1]; p++) r[p] = (float)(r[p] / sum);
        }
        return r;
    }

    /// <summary>Per user, the last <paramref name="max"/> distinct items of the user's last session, most recent first.</summary>
    private static int[][] RecentItems(GruSessions sessions, int users, int max)
    {
        var result = new int[users][];
        for (var u = 0; u < users; u++)
        {
            var s = sessions.LastSession[u];
            var list = new List<int>();
            for (var p = sessions.Offsets[s + 1] - 1; p >= sessions.Offsets[s] && list.Count < max; p--)
                if (!list.Contains(sessions.Items[p])) list.Add(sessions.Items[p]);
            result[u] = list.ToArray();
        }
        return result;
    }

    /// <summary>
    /// The user's short-term interest: the last GRU layer's hidden state after the user's (last) session, a copy of
    /// shape [<see cref="HiddenSize"/>] (float32, tanh range −1..1); of the first network when <c>ensemble</c> &gt; 1
    /// (the networks' state spaces are not aligned, so they are not averaged).
    /// </summary>
    /// <param name="user">Dense user id in <see cref="IRecommender.Data"/>.</param>
    /// <exception cref="InvalidOperationException">Not fitted.</exception>
    /// <exception cref="ArgumentOutOfRangeException">No such user.</exception>
    public float[] InterestVector(int user)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(user);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(user, Data.UserCount);
        return _members[0].States[_layers - 1].AsSpan(user * _hidden, _hidden).ToArray();
    }

    /// <summary>The user's next-item distribution [items] (<see cref="NextItemDistribution"/>), cached for the last user; read only.</summary>
    private float[] CachedDistribution(int user)
    {
        var poolDecay = P("pool_decay");
        var cached = Volatile.Read(ref _lastDistribution);
        if (cached is not null && cached.User == user && ReferenceEquals(cached.Members, _members) && cached.PoolDecay == poolDecay)
            return cached.Probabilities;
        var probabilities = new float[Data.ItemCount];
        NextItemDistribution(user, probabilities);
        Volatile.Write(ref _lastDistribution, new DistributionCache(user, _members, poolDecay, probabilities));
        return probabilities;
    }

    /// <summary>
    /// The GRU's next-item distribution for <paramref name="user"/>, written into <paramref name="probabilities"/>
    /// [items]: the mean over the <c>ensemble</c> networks of each one's distribution (a uniform mixture, so still a
    /// distribution; the deep-ensemble average of Lakshminarayanan, Pritzel and Blundell, NeurIPS 2017).
    /// </summary>
    private void NextItemDistribution(int user, Span<float> probabilities)
    {
        MemberDistribution(_members[0], user, probabilities);
        if (_members.Length == 1) return;
        var rented = System.Buffers.ArrayPool<float>.Shared.Rent(probabilities.Length);
        try
        {
            var one = rented.AsSpan(0, probabilities.Length);
            for (var k = 1; k < _members.Length; k++)
            {
                MemberDistribution(_members[k], user, one);
                for (var i = 0; i < one.Length; i++) probabilities[i] += one[i];
            }
        }
        finally { System.Buffers.ArrayPool<float>.Shared.Return(rented); }
        var inv = 1f / _members.Length;
        for (var i = 0; i < probabilities.Length; i++) probabilities[i] *= inv;
    }

    /// <summary>
    /// One network's next-item distribution: softmax over the catalogue of h_u·Wyᵀ + by; with <c>pool_steps</c> = m
    /// &gt; 0, the mixture Σ_k pool_decay^k · softmax(h_{T−k}·Wyᵀ + by) / Σ_k pool_decay^k over the user's last m
    /// events (k = 0 the last).
    /// </summary>
    private void MemberDistribution(Member m, int user, Span<float> probabilities)
    {
        var filled = m.PoolSteps == 0 ? 0 : m.HistoryFilled[user];
        if (filled == 0) { Softmax(m, m.States[_layers].AsSpan(user * _hidden, _hidden), probabilities); return; }
        probabilities.Clear();
        var one = new float[probabilities.Length];
        var decay = P("pool_decay");
        double weight = 1, total = 0;
        for (var k = 0; k < filled; k++, weight *= decay)
        {
            Softmax(m, m.History.AsSpan(((user * m.PoolSteps) + k) * _hidden, _hidden), one);
            var w = (float)weight;
            for (var i = 0; i < one.Length; i++) probabilities[i] += w * one[i];
            total += weight;
        }
        var inv = (float)(1 / total);
        for (var i = 0; i < probabilities.Length; i++) probabilities[i] *= inv;
    }

    /// <summary>softmax(h·Wyᵀ + by) of network <paramref name="m"/> over the catalogue for one state <paramref name="h"/> [hidden].</summary>
    private void Softmax(Member m, ReadOnlySpan<float> h, Span<float> probabilities)
    {
        var max = float.NegativeInfinity;
        for (var i = 0; i < probabilities.Length; i++)
        {
            var s = m.OutB[i] + Dot(m.OutW.AsSpan(i * _hidden, _hidden), h);
            probabilities[i] = s;
            if (s > max) max = s;
        }
        double sum = 0;
        for (var i = 0; i < probabilities.Length; i++) { probabilities[i] = MathF.Exp(probabilities[i] - max); sum += probabilities[i]; }
        var inv = (float)(1 / sum);
        for (var i = 0; i < probabilities.Length; i++) probabilities[i] *= inv;
    }

    private static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var w = System.Numerics.Vector<float>.Count;
        var acc = System.Numerics.Vector<float>.Zero;
        var i = 0;
        for (; i <= a.Length - w; i += w) acc += new System.Numerics.Vector<float>(a[i..]) * new System.Numerics.Vector<float>(b[i..]);
        var s = System.Numerics.Vector.Dot(acc, System.Numerics.Vector<float>.One);
        for (; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }

    /// <inheritdoc />
    protected override void ScoreCore(int user, Span<float> scores)
    {
        var data = Data;
        CachedDistribution(user).CopyTo(scores);
        var alpha = (float)P("alpha");
        if (alpha == 0) return;
        for (var p = data.UserOffsets[user]; p < data.UserOffsets[user + 1]; p++) scores[data.UserItems[p]] += alpha * _repeat[p];
    }

    /// <inheritdoc />
    /// <remarks>
    /// Kind <c>sequence</c>: the user's most recent distinct items (up to 10 back) whose output embeddings are most
    /// similar (cosine) to the item's, strongest first; detail <c>probability</c> (the GRU's next-item probability) and,
    /// for a past item, <c>repeat</c> and <c>times</c>. Kind <c>repeat</c> when the history term outweighs the GRU's.
    /// </remarks>
    protected override Explanation ExplainCore(int user, int item, int maxItems)
    {
        var data = Data;
        var probabilities = CachedDistribution(user);
        var detail = new Dictionary<string, double> { ["probability"] = probabilities[item] };
        var own = PairIndex(data, user, item);
        var self = own < 0 ? 0 : P("alpha") * _repeat[own];
        if (own >= 0) { detail["repeat"] = self; detail["times"] = data.UserItemCounts[own]; }
        if (self > 0 && self > probabilities[item]) return new Explanation("repeat", [new Contribution(data.Items[item], self)], detail);
        var parts = _recent[user].Select(j => (j, Cosine(j, item))).ToList();
        detail["recent_items"] = _recent[user].Length;
        return new Explanation("sequence", Strongest(data, parts, maxItems), detail);
    }

    /// <summary>Cosine similarity of the output embeddings of items <paramref name="a"/> and <paramref name="b"/> (in the first network).</summary>
    private double Cosine(int a, int b)
    {
        var outW = _members[0].OutW;
        var va = outW.AsSpan(a * _hidden, _hidden);
        var vb = outW.AsSpan(b * _hidden, _hidden);
        return Dot(va, vb) / Math.Max(1e-12, Math.Sqrt(Dot(va, va)) * Math.Sqrt(Dot(vb, vb)));
    }

    /// <inheritdoc />
    /// <remarks>
    /// Format: version 2, the number of networks, then per network its weights (float32), the <c>state_decay</c> its
    /// scoring state was computed with (float64), and per layer the users' final states and the scoring states.
    /// Version 1 (one network, no count, no decay) is still read.
    /// </remarks>
    public override void SaveState(BinaryWriter writer)
    {
        writer.Write(2);
        writer.Write(_members.Length);
        foreach (var m in _members)
        {
            writer.Write(m.Network.Length);
            writer.Write(m.Network);
            writer.Write(m.Decay);
            writer.Write(m.States.Length);
            foreach (var s in m.States)
            {
                writer.Write(s.Length);
                writer.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(s.AsSpan()));
            }
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// A scoring state saved with another <c>state_decay</c> than this model's parameter (version 1 records none; its
    /// state is taken as this parameter's) is recomputed from the network, so the scores always follow the parameters.
    /// </remarks>
    /// <exception cref="InvalidDataException">Unknown version; a network count other than the <c>ensemble</c> parameter (version 2); networks of different shapes; or a network or its states do not match <paramref name="data"/>'s items or users.</exception>
    protected override void LoadStateCore(BinaryReader reader, InteractionSet data)
    {
        var version = reader.ReadInt32();
        if (version is not (1 or 2)) throw new InvalidDataException($"Unknown GRU state version {version}.");
        var count = version == 1 ? 1 : reader.ReadInt32();
        if (version == 2 && count != (int)P("ensemble"))
            throw new InvalidDataException($"GRU state has {count} networks but the parameters say ensemble={P("ensemble")}.");
        var sessions = Sessions(data);
        var members = new Member[count];
        for (var k = 0; k < count; k++)
        {
            var network = reader.ReadBytes(reader.ReadInt32());
            using var net = ReadNetwork(network);
            if (net.ItemCount != data.ItemCount) throw new InvalidDataException($"GRU state (network {k + 1}) does not match the data's item count.");
            var savedDecay = version == 1 ? P("state_decay") : reader.ReadDouble();
            var layers = reader.ReadInt32();
            if (layers != net.Layers + 1) throw new InvalidDataException($"GRU state (network {k + 1}) has a wrong number of layers.");
            if (k > 0 && (members[0].OutW.Length / data.ItemCount, members[0].States.Length - 1) is var (hidden1, layers1) && (net.Hidden != hidden1 || net.Layers != layers1))
                throw new InvalidDataException($"GRU state (network {k + 1}) has {net.Layers} layers of {net.Hidden} units; network 1 has {layers1} of {hidden1}.");
            var states = new float[layers][];
            for (var l = 0; l < layers; l++)
            {
                var n = reader.ReadInt32();
                if (n != data.UserCount * net.Hidden) throw new InvalidDataException($"GRU state (network {k + 1}) does not match the data's user count.");
                states[l] = GruNetwork.ReadFloats(reader, n);
            }
            if (savedDecay != P("state_decay"))
                states[layers - 1] = GruTrainer.FinalStates(net, sessions, data.UserCount, P("state_decay"))[layers - 1];
            members[k] = NewMember(net, states, network, sessions, data.UserCount);
        }
        Install(members, data, sessions);
    }

    /// <inheritdoc />
    /// <remarks><c>alpha</c>, <c>halflife_days</c>, <c>pool_decay</c>, and <c>state_decay</c> and <c>pool_steps</c> (which re-run the users' sequences through the fitted network, seconds, no training; pooling keeps users × pool_steps × hidden floats).</remarks>
    public override IReadOnlySet<string> ScoringParameters { get; } = new HashSet<string>(StringComparer.Ordinal) { "alpha", "halflife_days", "state_decay", "pool_steps", "pool_decay" };

    /// <inheritdoc />
    protected override void OnScoringParametersChanged(InteractionSet data)
    {
        _repeat = NormalisedRepeat(data);
        var decay = P("state_decay");
        var poolSteps = Math.Max(0, (int)P("pool_steps"));
        if (_members.All(m => m.Decay == decay && m.PoolSteps == poolSteps)) return;
        var sessions = Sessions(data);
        // New members (the copy shares the old ones with the original): only what changed is recomputed.
        _members = _members.Select(m =>
        {
            using var net = ReadNetwork(m.Network);
            var states = m.Decay == decay ? m.States : [.. m.States.Take(_layers), GruTrainer.FinalStates(net, sessions, data.UserCount, decay)[_layers]];
            return m.PoolSteps == poolSteps ? m with { States = states, Decay = decay } : NewMember(net, states, m.Network, sessions, data.UserCount);
        }).ToArray();
    }
}
