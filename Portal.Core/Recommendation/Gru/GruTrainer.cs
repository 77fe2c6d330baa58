using System.Diagnostics;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Portal.Core.Recommendation.Gru;

/// <summary>Progress of a GRU training run, reported about once a second and at the end of every epoch.</summary>
/// <param name="Epoch">1-based epoch.</param>
/// <param name="Epochs">Number of epochs.</param>
/// <param name="EpochFraction">Done of the current epoch, 0 to 1 (by training pairs).</param>
/// <param name="Loss">Mean loss per training pair so far in this epoch.</param>
/// <param name="EventsPerSecond">Training pairs (events with a next event) per second of wall time in this epoch.</param>
/// <param name="EpochDone">True for the report that closes an epoch.</param>
/// <param name="Network">1-based network of the ensemble being trained (<c>ensemble</c>; 1 for a single network).</param>
/// <param name="Networks">Number of networks in the ensemble.</param>
public sealed record GruProgress(int Epoch, int Epochs, double EpochFraction, double Loss, double EventsPerSecond, bool EpochDone, int Network = 1, int Networks = 1);

/// <summary>The hyper-parameters of one training run (see <see cref="GruRecommender"/> for their names and meaning).</summary>
internal sealed record GruTrainingOptions
{
    public int Hidden { get; init; } = 224;
    public int Layers { get; init; } = 1;
    public int EmbeddingSize { get; init; }
    public bool BprMax { get; init; } = true;
    public bool Adam { get; init; }
    public double LearningRate { get; init; } = 0.05;
    public double Momentum { get; init; } = 0.4;
    public int BatchSize { get; init; } = 80;
    public int NegativeSamples { get; init; } = 2048;
    public double SampleAlpha { get; init; } = 0.4;
    public double BprReg { get; init; } = 1.95;
    public double EluParam { get; init; } = 0.5;
    public double DropoutEmbed { get; init; } = 0.5;
    public double DropoutHidden { get; init; } = 0.05;
    public int Epochs { get; init; } = 5;
    public int TargetWindow { get; init; } = 1;
    public bool NewItemTargets { get; init; }
    public double LogQ { get; init; }
    public long Seed { get; init; } = 42;
}

/// <summary>
/// Session-parallel mini-batch training of a <see cref="GruNetwork"/> (Hidasi et al., ICLR 2016, section 3.1.1):
/// <c>BatchSize</c> sessions are processed side by side, one event each per step; when a session ends its lane takes
/// the next session (in order of first timestamp) and its hidden state is reset to zero; when no session is left the
/// lane is dropped. The targets of the lanes plus <c>NegativeSamples</c> items drawn with probability ∝ popularity^
/// <c>SampleAlpha</c> are scored, the samples shared by the whole mini-batch (Hidasi and Karatzoglou, CIKM 2018,
/// section 3.3). Losses: cross-entropy over that subset, or BPR-max with score regularisation
/// (−log Σ_j s_j σ(r_i − r_j) + λ Σ_j s_j r_j², s = softmax over the negatives; scores through ELU first as the
/// official implementation does). Optimiser: Adagrad with momentum (the official implementation's) or Adam.
/// All randomness (initialisation, dropout, negative sampling, target choice) comes from the seed.
/// </summary>
internal static class GruTrainer
{
    /// <summary>Trains a new network on <paramref name="sessions"/>.</summary>
    /// <exception cref="OperationCanceledException">Checked between mini-batches.</exception>
    public static GruNetwork Train(GruSessions sessions, int itemCount, int[] popularity, GruTrainingOptions o,
        Action<GruProgress>? progress, CancellationToken ct)
    {
        using var generator = new Generator((ulong)o.Seed);
        var net = new GruNetwork(itemCount, o.Hidden, o.Layers, o.EmbeddingSize, generator);
        try
        {
            var parameters = net.RecurrentParameters();
            using var optimizer = o.Adam ? new AdamStep(parameters, o.LearningRate) : (IStep)new AdagradMomentumStep(parameters, o.LearningRate, o.Momentum);
            var sampler = new NegativeSampler(popularity, o.SampleAlpha);
            var rng = new Random(unchecked((int)o.Seed));
            for (var epoch = 1; epoch <= o.Epochs; epoch++)
                RunEpoch(net, sessions, optimizer, sampler, rng, generator, o, epoch, progress, ct);
            return net;
        }
        catch
        {
            net.Dispose();
            throw;
        }
    }

    /// <summary>One pass over all sessions; returns (mean loss per pair, pairs per second).</summary>
    internal static (double Loss, double EventsPerSecond) RunEpoch(GruNetwork net, GruSessions sessions, IStep optimizer, NegativeSampler sampler,
        Random rng, Generator generator, GruTrainingOptions o, int epoch, Action<GruProgress>? progress, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var lastReport = 0L;
        var order = sessions.Order;
        var batch = Math.Max(1, o.BatchSize);
        var pos = new int[batch];
        var end = new int[batch];
        var lanes = 0;
        var next = 0;
        while (lanes < batch && next < order.Length)
        {
            pos[lanes] = sessions.Offsets[order[next]];
            end[lanes] = sessions.Offsets[order[next] + 1];
            lanes++; next++;
        }
        var h = new Tensor[net.Layers];
        for (var l = 0; l < net.Layers; l++) h[l] = zeros(lanes, net.Hidden);
        var negatives = new long[o.NegativeSamples];
        var candidates = new List<int>();
        double lossSum = 0;
        long pairs = 0;
        Tensor? mask = null;
        var maskLanes = -1;
        var seen = new int[net.ItemCount];
        var slot = new int[net.ItemCount];
        var stamp = 0;
        var rows = new List<long>();
        var prof = Environment.GetEnvironmentVariable("GRU_PROFILE") == "1" ? new Laps() : null;
        // Every Scalar a libtorch call takes is held (HeldScalars): these until the end of the epoch.
        using Scalar batchSize = (double)batch, dropEmbed = o.DropoutEmbed, dropHidden = o.DropoutHidden, elu = o.EluParam, bprReg = o.BprReg, logq = o.LogQ;
        using Scalar keepEmbed = 1.0 / (1.0 - o.DropoutEmbed), keepHidden = 1.0 / (1.0 - o.DropoutHidden); // rates below 1 (checked by the fit)
        try
        {
            while (lanes > 0)
            {
                ct.ThrowIfCancellationRequested();
                prof?.Lap(4);
                var input = new long[lanes];
                var targets = new long[lanes + negatives.Length];
                var weights = new float[lanes];
                for (var i = 0; i < lanes; i++)
                {
                    input[i] = sessions.Items[pos[i]];
                    var t = pos[i] + 1;
                    if (o.NewItemTargets) t = NewItemTarget(sessions, pos[i], end[i], o.TargetWindow, rng, candidates);
                    else if (o.TargetWindow > 1) t += rng.Next(Math.Min(o.TargetWindow, end[i] - pos[i] - 1));
                    targets[i] = sessions.Items[t];
                    weights[i] = sessions.Weights[t];
                }
                sampler.Fill(rng, negatives);
                negatives.CopyTo(targets, lanes);
                if (o.BprMax && maskLanes != lanes)
                {
                    mask?.Dispose();
                    mask = zeros(lanes, lanes + negatives.Length);
                    using var diagonal = mask.diagonal();
                    diagonal.fill_(HeldScalars.MaskedOut);
                    maskLanes = lanes;
                }

                // The item rows this step touches (inputs, targets, negatives), each once; local ids index them.
                stamp++;
                rows.Clear();
                long Local(long item)
                {
                    if (seen[item] != stamp) { seen[item] = stamp; slot[item] = rows.Count; rows.Add(item); }
                    return slot[item];
                }
                var inputLocal = new long[lanes];
                var targetLocal = new long[targets.Length];
                for (var i = 0; i < lanes; i++) inputLocal[i] = Local(input[i]);
                for (var j = 0; j < targets.Length; j++) targetLocal[j] = Local(targets[j]);

                using (var scope = NewDisposeScope())
                {
                    var rowIds = rows.ToArray();
                    var rowIndex = tensor(rowIds);
                    Tensor wy, by;
                    Tensor? e = null;
                    using (no_grad())
                    {
                        wy = net.Wy.index_select(0, rowIndex);
                        by = net.By.index_select(0, rowIndex);
                        if (net.E is not null) e = net.E.index_select(0, rowIndex);
                    }
                    wy.requires_grad_(true); by.requires_grad_(true); e?.requires_grad_(true);
                    var x = Dropout((e ?? wy).index_select(0, tensor(inputLocal)), o.DropoutEmbed, dropEmbed, keepEmbed, generator);
                    var newH = new Tensor[net.Layers];
                    for (var l = 0; l < net.Layers; l++)
                    {
                        x = Dropout(net.Cell(l, x, h[l]), o.DropoutHidden, dropHidden, keepHidden, generator);
                        newH[l] = x;
                    }
                    var targetIndex = tensor(targetLocal);
                    // Score the distinct rows once ([B, U], U ≤ B + S), then spread them to the targets' columns [B, B + S]
                    // (repeated negatives keep their multiplicity, as in the official implementation).
                    var scores = addmm(by.unsqueeze(0), x, wy.t(), 1, 1).index_select(1, targetIndex);
                    // logQ correction of the sampled softmax (Yi et al., RecSys 2019; the official implementation's `logq`):
                    // each column's score minus logq · log of its item's sampling probability.
                    if (!o.BprMax && o.LogQ > 0) scores = LogQCorrected(scores, sampler.LogProbabilities(targets), logq);
                    var perRow = o.BprMax ? BprMax(scores, mask!, o.EluParam > 0 ? elu : null, bprReg) : CrossEntropy(scores);
                    var weighted = (perRow * tensor(weights)).sum();
                    var loss = weighted.div(batchSize);
                    prof?.Lap(0);
                    optimizer.ZeroGrad();
                    loss.backward();
                    prof?.Lap(1);
                    optimizer.Step();
                    prof?.Lap(5);
                    optimizer.StepRows(net.Wy, rowIds, rowIndex, wy.grad!);
                    optimizer.StepRows(net.By, rowIds, rowIndex, by.grad!);
                    if (net.E is not null) optimizer.StepRows(net.E, rowIds, rowIndex, e!.grad!);
                    prof?.Lap(2);
                    lossSum += weighted.item<float>();
                    pairs += lanes;
                    for (var l = 0; l < net.Layers; l++)
                    {
                        h[l].Dispose();
                        h[l] = newH[l].detach().MoveToOuterDisposeScope();
                    }
                }

                prof?.Lap(3);
                // Advance every lane; finished sessions are replaced (state reset) or their lane is dropped.
                List<long>? reset = null;
                List<long>? keep = null;
                var kept = 0;
                for (var i = 0; i < lanes; i++)
                {
                    pos[i]++;
                    var alive = true;
                    if (pos[i] + 1 >= end[i])
                    {
                        if (next < order.Length)
                        {
                            pos[i] = sessions.Offsets[order[next]];
                            end[i] = sessions.Offsets[order[next] + 1];
                            next++;
                            (reset ??= []).Add(kept);
                        }
                        else alive = false;
                    }
                    if (alive)
                    {
                        pos[kept] = pos[i]; end[kept] = end[i];
                        (keep ??= []).Add(i);
                        kept++;
                    }
                }
                if (kept < lanes)
                {
                    for (var l = 0; l < net.Layers; l++)
                    {
                        using var idx = tensor(keep?.ToArray() ?? []);
                        var old = h[l];
                        h[l] = old.index_select(0, idx);
                        old.Dispose();
                    }
                }
                lanes = kept;
                if (reset is not null && lanes > 0)
                {
                    using var idx = tensor(reset.ToArray());
                    for (var l = 0; l < net.Layers; l++) h[l].index_fill_(0, idx, HeldScalars.Zero);
                }

                if (progress is not null && clock.ElapsedMilliseconds - lastReport >= 1000)
                {
                    lastReport = clock.ElapsedMilliseconds;
                    progress(new GruProgress(epoch, o.Epochs, (double)pairs / Math.Max(1, sessions.TrainingPairs), lossSum / Math.Max(1, pairs),
                        pairs / clock.Elapsed.TotalSeconds, false));
                }
            }
        }
        finally
        {
            foreach (var t in h) t?.Dispose();
            mask?.Dispose();
        }
        var result = (lossSum / Math.Max(1, pairs), pairs / Math.Max(1e-9, clock.Elapsed.TotalSeconds));
        if (prof is not null) Console.Error.WriteLine($"GRU_PROFILE forward {prof.Ms[0]:F0} ms, backward {prof.Ms[1]:F0} ms, step {prof.Ms[2]:F0} ms, lanes {prof.Ms[3]:F0} ms, batch prep {prof.Ms[4]:F0} ms, dense step {prof.Ms[5]:F0} ms");
        progress?.Invoke(new GruProgress(epoch, o.Epochs, 1, result.Item1, result.Item2, true));
        return result;
    }

    /// <summary>
    /// The target position for the event at <paramref name="pos"/> when targets are new items: one of the next
    /// <paramref name="window"/> events of the session whose item has not occurred earlier in the session, drawn
    /// uniformly (looking at most 4 × window events ahead); the next event when there is none.
    /// </summary>
    private static int NewItemTarget(GruSessions sessions, int pos, int end, int window, Random rng, List<int> candidates)
    {
        candidates.Clear();
        var limit = Math.Min(end, pos + 1 + 4 * window);
        for (var p = pos + 1; p < limit && candidates.Count < window; p++)
            if (sessions.FirstInSession[p]) candidates.Add(p);
        return candidates.Count == 0 ? pos + 1 : candidates[candidates.Count == 1 ? 0 : rng.Next(candidates.Count)];
    }

    /// <summary>Inverted dropout with the given generator (identity when <paramref name="p"/> ≤ 0); <paramref name="pScalar"/> is p and <paramref name="scale"/> 1/(1 − p), held by the caller.</summary>
    private static Tensor Dropout(Tensor x, double p, Scalar pScalar, Scalar scale, Generator generator)
    {
        if (p <= 0) return x;
        var keep = rand(x.shape, ScalarType.Float32, generator: generator).ge_(pScalar).to_type(ScalarType.Float32);
        return x * keep.mul_(scale);
    }

    /// <summary>
    /// The logQ correction of a sampled softmax (Yi et al., RecSys 2019): scores [B, C] minus <paramref name="logq"/> ·
    /// log Q(column's item), <paramref name="logProbabilities"/> [C] the log sampling probabilities of the columns' items.
    /// </summary>
    internal static Tensor LogQCorrected(Tensor scores, float[] logProbabilities, Scalar logq) =>
        scores - tensor(logProbabilities).mul_(logq).unsqueeze(0);

    /// <summary>Cross-entropy of the diagonal target among the row's items: logsumexp(o_i) − o_ii, per row [B].</summary>
    internal static Tensor CrossEntropy(Tensor scores) => scores.logsumexp(1) - scores.diagonal();

    /// <summary>
    /// BPR-max with score regularisation per row [B] (Hidasi and Karatzoglou, CIKM 2018, eq. 6 and 7):
    /// −log Σ_j s_j σ(r_i − r_j) + λ Σ_j s_j r_j², s_j the softmax of the negatives' scores (the target excluded by
    /// <paramref name="mask"/>, −10⁹ on the diagonal and 0 elsewhere), scores through ELU(<paramref name="elu"/>) first when it is positive.
    /// </summary>
    internal static Tensor BprMax(Tensor scores, Tensor mask, Scalar? elu, Scalar reg)
    {
        var o = elu is null ? scores : scores.elu(elu, HeldScalars.One, HeldScalars.One);
        var s = o.add(mask, HeldScalars.One).softmax(1);
        var target = o.diagonal().unsqueeze(1);
        var bpr = -((target - o).sigmoid() * s).sum(1).add(HeldScalars.Tiny, HeldScalars.One).log();
        return bpr.add((o.pow(HeldScalars.Two) * s).sum(1), reg);
    }

    /// <summary>
    /// The final hidden states of every user after feeding the user's last session (all of the user's events when
    /// sessions are not split) through the network in evaluation mode (no dropout), plus the scoring state: the
    /// last layer's states over the session averaged with weights <paramref name="decay"/>^(steps before the end)
    /// (Σ λ^k h_{T−k} / Σ λ^k; <paramref name="decay"/> = 0 gives the final state itself).
    /// </summary>
    /// <returns>Per layer, then the scoring state: [UserCount · Hidden] row-major each (Layers + 1 arrays).</returns>
    public static float[][] FinalStates(GruNetwork net, GruSessions sessions, int userCount, double decay)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        using Scalar decayScalar = decay;
        var pooled = zeros(userCount, net.Hidden);
        var norm = zeros(userCount, 1);
        var users = ReplayOrder(sessions, userCount);
        var h = Replay(net, sessions, users, (_, active, x) =>
        {
            if (decay <= 0) return;
            pooled.narrow(0, 0, active).mul_(decayScalar).add_(x, HeldScalars.One);
            norm.narrow(0, 0, active).mul_(decayScalar).add_(HeldScalars.One, HeldScalars.One);
        });
        if (decay > 0) pooled.div_(norm.clamp_min(HeldScalars.NormFloor));
        else pooled.copy_(h[net.Layers - 1]);
        var result = new float[net.Layers + 1][];
        for (var l = 0; l <= net.Layers; l++)
        {
            var sorted = (l < net.Layers ? h[l] : pooled).contiguous().data<float>().ToArray();
            var byUser = new float[sorted.Length];
            for (var i = 0; i < users.Length; i++)
                Array.Copy(sorted, (long)i * net.Hidden, byUser, (long)users[i].User * net.Hidden, net.Hidden);
            result[l] = byUser;
        }
        return result;
    }

    /// <summary>
    /// The last <paramref name="steps"/> hidden states of the last GRU layer along every user's last session, most
    /// recent first (evaluation mode, no dropout): the inputs of the mixture score (the average of the next-item
    /// distributions after each of the user's recent events).
    /// </summary>
    /// <returns>States [UserCount · steps · Hidden] row-major (user, step back, unit; unused steps are zero) and, per user, how many steps are filled.</returns>
    /// <exception cref="ArgumentException">UserCount · steps · Hidden exceeds the largest array (lower <c>pool_steps</c>).</exception>
    public static (float[] States, int[] Filled) StateHistory(GruNetwork net, GruSessions sessions, int userCount, int steps)
    {
        var size = (long)userCount * steps * net.Hidden;
        if (size > Array.MaxLength)
            throw new ArgumentException($"pool_steps={steps} needs {size:N0} floats for {userCount:N0} users × {net.Hidden} units (at most {Array.MaxLength:N0}); lower pool_steps.", nameof(steps));
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var hidden = net.Hidden;
        var result = new float[(long)userCount * steps * hidden];
        var filled = new int[userCount];
        var order = ReplayOrder(sessions, userCount);
        Replay(net, sessions, order, (t, active, x) =>
        {
            // Only the users whose last `steps` events include step t keep its state: step back k = Length − 1 − t.
            float[]? values = null;
            for (var i = 0; i < active; i++)
            {
                var back = order[i].Length - 1 - t;
                if (back >= steps) continue;
                values ??= x.contiguous().data<float>().ToArray();
                Array.Copy(values, (long)i * hidden, result, ((long)order[i].User * steps + back) * hidden, hidden);
                filled[order[i].User] = Math.Max(filled[order[i].User], back + 1);
            }
        });
        return (result, filled);
    }

    /// <summary>
    /// Feeds every user's last session through the network in evaluation mode, all users side by side in the order of
    /// <paramref name="users"/> (longest session first, so the users still running at step t are a prefix); after each step t calls <paramref name="onStep"/>(t,
    /// active, x) with the last layer's output x [active, Hidden] of users [0, active) of that order. Tensors belong to
    /// the caller's dispose scope (x only lives during the call).
    /// </summary>
    /// <returns>Per layer the final states [UserCount, Hidden] in the order of <paramref name="users"/> (<see cref="ReplayOrder"/>).</returns>
    private static Tensor[] Replay(GruNetwork net, GruSessions sessions, (int User, int Start, int Length)[] users, Action<int, int, Tensor> onStep)
    {
        var h = new Tensor[net.Layers];
        for (var l = 0; l < net.Layers; l++) h[l] = zeros(users.Length, net.Hidden);
        var maxLength = users.Length == 0 ? 0 : users[0].Length;
        var active = users.Length;
        var input = new long[users.Length];
        for (var t = 0; t < maxLength; t++)
        {
            while (active > 0 && users[active - 1].Length <= t) active--;
            using var step = NewDisposeScope();
            for (var i = 0; i < active; i++) input[i] = sessions.Items[users[i].Start + t];
            var x = net.Embed(tensor(input.AsSpan(0, active).ToArray()));
            for (var l = 0; l < net.Layers; l++)
            {
                var prefix = h[l].narrow(0, 0, active);
                x = net.Cell(l, x, prefix);
                prefix.copy_(x);
            }
            onStep(t, active, x);
        }
        return h;
    }

    /// <summary>Every user's last session (user, first event index, length), longest first, then by user.</summary>
    private static (int User, int Start, int Length)[] ReplayOrder(GruSessions sessions, int userCount) =>
        Enumerable.Range(0, userCount)
            .Select(u => (User: u, Start: sessions.Offsets[sessions.LastSession[u]], Length: sessions.Offsets[sessions.LastSession[u] + 1] - sessions.Offsets[sessions.LastSession[u]]))
            .OrderByDescending(x => x.Length).ThenBy(x => x.User).ToArray();
}

/// <summary>Wall-time accumulator for the GRU_PROFILE=1 diagnostic (time since the previous lap, per slot).</summary>
internal sealed class Laps
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private double _last;
    /// <summary>Milliseconds per slot.</summary>
    public double[] Ms { get; } = new double[8];
    /// <summary>Adds the time since the previous lap to <paramref name="slot"/>.</summary>
    public void Lap(int slot)
    {
        var now = _clock.Elapsed.TotalMilliseconds;
        Ms[slot] += now - _last;
        _last = now;
    }
}

/// <summary>Draws items with probability ∝ popularity^alpha (inverse CDF by binary search).</summary>
internal sealed class NegativeSampler
{
    private readonly double[] _cdf;

    /// <summary>Builds the distribution from event counts per item.</summary>
    public NegativeSampler(int[] popularity, double alpha)
    {
        _cdf = new double[popularity.Length];
        double sum = 0;
        for (var i = 0; i < popularity.Length; i++) { sum += Math.Pow(popularity[i], alpha); _cdf[i] = sum; }
        for (var i = 0; i < _cdf.Length; i++) _cdf[i] /= sum;
        if (_cdf.Length > 0) _cdf[^1] = 1;
    }

    /// <summary>log of each item's sampling probability, as float32, one per entry of <paramref name="items"/>.</summary>
    public float[] LogProbabilities(long[] items)
    {
        var result = new float[items.Length];
        for (var k = 0; k < items.Length; k++)
        {
            var i = (int)items[k];
            result[k] = (float)Math.Log(Math.Max(1e-12, _cdf[i] - (i == 0 ? 0 : _cdf[i - 1])));
        }
        return result;
    }

    /// <summary>Fills <paramref name="items"/> with independent draws.</summary>
    public void Fill(Random rng, long[] items)
    {
        for (var k = 0; k < items.Length; k++)
        {
            var x = rng.NextDouble();
            var p = Array.BinarySearch(_cdf, x);
            if (p < 0) p = ~p; else p++;
            items[k] = Math.Min(p, _cdf.Length - 1);
        }
    }
}

/// <summary>
/// An optimiser over a fixed list of dense parameters (<see cref="Step"/>) plus row-indexed ("sparse") updates of the
/// item matrices (<see cref="StepRows"/>): only the rows a mini-batch touched are read and written, as the official
/// implementation's IndexedAdagradM does for its sparse embeddings.
/// </summary>
internal interface IStep : IDisposable
{
    /// <summary>Clears the dense parameters' gradients.</summary>
    void ZeroGrad();
    /// <summary>Updates the dense parameters from their gradients.</summary>
    void Step();
    /// <summary>Updates rows <paramref name="rows"/> (distinct; also as int64 [U] <paramref name="rowIndex"/>) of <paramref name="parameter"/> with their gradient <paramref name="grad"/> [U, …].</summary>
    void StepRows(Parameter parameter, long[] rows, Tensor rowIndex, Tensor grad);
}

/// <summary>
/// Adagrad with momentum as in the official GRU4Rec implementation:
/// acc += g²; m = μ·m − lr·g/√(acc + ε); p += m (μ = 0: p −= lr·g/√(acc + ε)); ε = 1e-6. Row updates touch only the
/// given rows of acc, m and p. The update is one fused SIMD pass in C# over the CPU tensors' memory (about ten
/// libtorch calls per tensor otherwise); on another device it falls back to tensor operations.
/// </summary>
internal sealed class AdagradMomentumStep(IReadOnlyList<Parameter> parameters, double lr, double momentum) : IStep
{
    private readonly Dictionary<IntPtr, (Tensor Acc, Tensor? Mom)> _state = [];
    // The tensor-operation path's Scalars, held for the optimiser's life (HeldScalars explains why).
    private readonly Scalar _minusLr = -lr, _momentum = momentum;

    private (Tensor Acc, Tensor? Mom) State(Parameter p)
    {
        if (!_state.TryGetValue(p.Handle, out var st))
            _state[p.Handle] = st = (zeros_like(p).DetachFromDisposeScope(), momentum > 0 ? zeros_like(p).DetachFromDisposeScope() : null);
        return st;
    }

    /// <inheritdoc />
    public void ZeroGrad()
    {
        foreach (var p in parameters) p.grad?.zero_();
    }

    /// <inheritdoc />
    public void Step()
    {
        using var noGrad = no_grad();
        foreach (var p in parameters)
        {
            var g = p.grad;
            if (g is null) continue;
            var (acc, mom) = State(p);
            if (p.device_type == DeviceType.CPU && g.is_contiguous()) { Fused(p, acc, mom, g, 0, 0, p.numel()); continue; }
            using var scope = NewDisposeScope();
            acc.addcmul_(g, g, HeldScalars.One);
            var denom = acc.add(HeldScalars.AdagradEpsilon, HeldScalars.One).sqrt_();
            if (mom is null) p.addcdiv_(g, denom, _minusLr);
            else
            {
                mom.mul_(_momentum).addcdiv_(g, denom, _minusLr);
                p.add_(mom, HeldScalars.One);
            }
        }
    }

    /// <inheritdoc />
    public void StepRows(Parameter parameter, long[] rows, Tensor rowIndex, Tensor grad)
    {
        using var noGrad = no_grad();
        var (acc, mom) = State(parameter);
        if (parameter.device_type == DeviceType.CPU && grad.is_contiguous())
        {
            var width = parameter.numel() / Math.Max(1, parameter.shape[0]);
            for (var r = 0; r < rows.Length; r++) Fused(parameter, acc, mom, grad, rows[r] * width, r * width, width);
            return;
        }
        using var scope = NewDisposeScope();
        var accRows = acc.index_select(0, rowIndex).addcmul_(grad, grad, HeldScalars.One);
        acc.index_copy_(0, rowIndex, accRows);
        var update = (grad / accRows.add_(HeldScalars.AdagradEpsilon, HeldScalars.One).sqrt_()).mul_(_minusLr);
        if (mom is not null)
        {
            update = mom.index_select(0, rowIndex).mul_(_momentum).add_(update, HeldScalars.One);
            mom.index_copy_(0, rowIndex, update);
        }
        parameter.index_add_(0, rowIndex, update, HeldScalars.One);
    }

    /// <summary>The update of <paramref name="n"/> elements from <paramref name="at"/> of p, acc, m with gradient elements from <paramref name="gradAt"/>.</summary>
    private unsafe void Fused(Tensor p, Tensor acc, Tensor? mom, Tensor g, long at, long gradAt, long n)
    {
        var ps = new Span<float>((float*)Data(p) + at, (int)n);
        var accs = new Span<float>((float*)Data(acc) + at, (int)n);
        var ms = mom is null ? Span<float>.Empty : new Span<float>((float*)Data(mom) + at, (int)n);
        var gs = new ReadOnlySpan<float>((float*)Data(g) + gradAt, (int)n);
        Update(ps, accs, ms, gs, (float)lr, (float)momentum);
    }

    /// <summary>Address of a contiguous float32 CPU tensor's first element (libtorch's data pointer, through TorchSharp's native library).</summary>
    private static IntPtr Data(Tensor t)
    {
        if (t.dtype != ScalarType.Float32 || !t.is_contiguous()) throw new ArgumentException("Expected a contiguous float32 tensor.", nameof(t));
        return THSTensor_data(t.Handle);
    }

    [System.Runtime.InteropServices.DllImport("LibTorchSharp")]
    private static extern IntPtr THSTensor_data(IntPtr handle);

    /// <summary>acc += g²; u = −lr·g/√(acc + 1e-6); with momentum m = μ·m + u, p += m; else p += u (SIMD).</summary>
    internal static void Update(Span<float> p, Span<float> acc, Span<float> mom, ReadOnlySpan<float> g, float lr, float mu)
    {
        var w = System.Numerics.Vector<float>.Count;
        var eps = new System.Numerics.Vector<float>(1e-6f);
        var nlr = new System.Numerics.Vector<float>(-lr);
        var vmu = new System.Numerics.Vector<float>(mu);
        var i = 0;
        for (; i <= p.Length - w; i += w)
        {
            var gv = new System.Numerics.Vector<float>(g[i..]);
            var a = new System.Numerics.Vector<float>(acc[i..]) + gv * gv;
            a.CopyTo(acc[i..]);
            var u = nlr * gv / System.Numerics.Vector.SquareRoot(a + eps);
            if (!mom.IsEmpty)
            {
                u = vmu * new System.Numerics.Vector<float>(mom[i..]) + u;
                u.CopyTo(mom[i..]);
            }
            (new System.Numerics.Vector<float>(p[i..]) + u).CopyTo(p[i..]);
        }
        for (; i < p.Length; i++)
        {
            acc[i] += g[i] * g[i];
            var u = -lr * g[i] / MathF.Sqrt(acc[i] + 1e-6f);
            if (!mom.IsEmpty) { u = mu * mom[i] + u; mom[i] = u; }
            p[i] += u;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var (acc, mom) in _state.Values) { acc.Dispose(); mom?.Dispose(); }
        _minusLr.Dispose();
        _momentum.Dispose();
    }
}

/// <summary>
/// Adam (Kingma and Ba, ICLR 2015; β = 0.9, 0.999, ε = 1e-8): libtorch's implementation for the dense parameters;
/// row updates keep per-row moments and the step count of the dense parameters for the bias correction ("lazy" Adam,
/// as PyTorch's SparseAdam).
/// </summary>
internal sealed class AdamStep(IReadOnlyList<Parameter> parameters, double lr) : IStep
{
    private readonly optim.Optimizer _optimizer = optim.Adam(parameters, lr, 0.9, 0.999, 1e-8);
    private readonly Dictionary<IntPtr, (Tensor M, Tensor V)> _state = [];
    private long _t;

    /// <inheritdoc />
    public void ZeroGrad() => _optimizer.zero_grad();

    /// <inheritdoc />
    public void Step() { _optimizer.step(); _t++; }

    /// <inheritdoc />
    public void StepRows(Parameter parameter, long[] rowIds, Tensor rows, Tensor grad)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        if (!_state.TryGetValue(parameter.Handle, out var st))
            _state[parameter.Handle] = st = (zeros_like(parameter).DetachFromDisposeScope(), zeros_like(parameter).DetachFromDisposeScope());
        var t = Math.Max(1, _t);
        var m = st.M.index_select(0, rows).mul_(0.9).add_(grad, 0.1);
        var v = st.V.index_select(0, rows).mul_(0.999).addcmul_(grad, grad, 0.001);
        st.M.index_copy_(0, rows, m);
        st.V.index_copy_(0, rows, v);
        var mHat = m / (1 - Math.Pow(0.9, t));
        var vHat = v / (1 - Math.Pow(0.999, t));
        parameter.index_add_(0, rows, mHat / vHat.sqrt_().add_(1e-8) * -lr, 1);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _optimizer.Dispose();
        foreach (var (m, v) in _state.Values) { m.Dispose(); v.Dispose(); }
    }
}
