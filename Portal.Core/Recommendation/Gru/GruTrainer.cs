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
public sealed record GruProgress(int Epoch, int Epochs, double EpochFraction, double Loss, double EventsPerSecond, bool EpochDone);

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
            var parameters = net.Parameters();
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
        double lossSum = 0;
        long pairs = 0;
        Tensor? mask = null;
        var maskLanes = -1;
        try
        {
            while (lanes > 0)
            {
                ct.ThrowIfCancellationRequested();
                var input = new long[lanes];
                var targets = new long[lanes + negatives.Length];
                var weights = new float[lanes];
                for (var i = 0; i < lanes; i++)
                {
                    input[i] = sessions.Items[pos[i]];
                    var t = pos[i] + 1;
                    if (o.TargetWindow > 1) t += rng.Next(Math.Min(o.TargetWindow, end[i] - pos[i] - 1));
                    targets[i] = sessions.Items[t];
                    weights[i] = sessions.Weights[t];
                }
                sampler.Fill(rng, negatives);
                negatives.CopyTo(targets, lanes);
                if (!o.BprMax && maskLanes != lanes) { mask?.Dispose(); mask = null; }
                if (o.BprMax && maskLanes != lanes)
                {
                    mask?.Dispose();
                    mask = ones(lanes, lanes + negatives.Length);
                    mask.diagonal().fill_(0);
                    maskLanes = lanes;
                }

                using (var scope = NewDisposeScope())
                {
                    var x = Dropout(net.Embed(tensor(input)), o.DropoutEmbed, generator);
                    var newH = new Tensor[net.Layers];
                    for (var l = 0; l < net.Layers; l++)
                    {
                        x = Dropout(net.Cell(l, x, h[l]), o.DropoutHidden, generator);
                        newH[l] = x;
                    }
                    var scores = net.ScoreItems(x, tensor(targets));
                    var w = tensor(weights);
                    var perRow = o.BprMax ? BprMax(scores, mask!, o.EluParam, o.BprReg) : CrossEntropy(scores);
                    var loss = (perRow * w).sum() / batch;
                    optimizer.ZeroGrad();
                    loss.backward();
                    optimizer.Step();
                    lossSum += (perRow * w).sum().item<float>();
                    pairs += lanes;
                    for (var l = 0; l < net.Layers; l++)
                    {
                        h[l].Dispose();
                        h[l] = newH[l].detach().MoveToOuterDisposeScope();
                    }
                }

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
                    for (var l = 0; l < net.Layers; l++) h[l].index_fill_(0, idx, 0);
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
        progress?.Invoke(new GruProgress(epoch, o.Epochs, 1, result.Item1, result.Item2, true));
        return result;
    }

    /// <summary>Inverted dropout with the given generator (identity when <paramref name="p"/> ≤ 0).</summary>
    private static Tensor Dropout(Tensor x, double p, Generator generator)
    {
        if (p <= 0) return x;
        var keep = rand(x.shape, ScalarType.Float32, generator: generator).ge_(p).to_type(ScalarType.Float32);
        return x * keep.mul_(1.0 / (1.0 - p));
    }

    /// <summary>Cross-entropy of the diagonal target among the row's items: logsumexp(o_i) − o_ii, per row [B].</summary>
    internal static Tensor CrossEntropy(Tensor scores) => scores.logsumexp(1) - scores.diagonal();

    /// <summary>
    /// BPR-max with score regularisation per row [B] (Hidasi and Karatzoglou, CIKM 2018, eq. 6 and 7):
    /// −log Σ_j s_j σ(r_i − r_j) + λ Σ_j s_j r_j², s_j the softmax of the negatives' scores (the target excluded by
    /// <paramref name="mask"/>, 0 on the diagonal), scores through ELU(<paramref name="elu"/>) first when it is positive.
    /// </summary>
    internal static Tensor BprMax(Tensor scores, Tensor mask, double elu, double reg)
    {
        var o = elu > 0 ? nn.functional.elu(scores, elu) : scores;
        var masked = o * mask;
        var e = (masked - masked.max(1, true).values).exp() * mask;
        var s = e / e.sum(1, true);
        var target = o.diagonal().unsqueeze(1);
        return -((target - o).sigmoid() * s).sum(1).add(1e-24).log() + reg * (o.pow(2) * s).sum(1);
    }

    /// <summary>
    /// The final hidden states of every user after feeding the user's last session (all of the user's events when
    /// sessions are not split) through the network in evaluation mode (no dropout).
    /// </summary>
    /// <returns>Per layer, [UserCount · Hidden] row-major.</returns>
    public static float[][] FinalStates(GruNetwork net, GruSessions sessions, int userCount)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var users = Enumerable.Range(0, userCount)
            .Select(u => (User: u, Start: sessions.Offsets[sessions.LastSession[u]], Length: sessions.Offsets[sessions.LastSession[u] + 1] - sessions.Offsets[sessions.LastSession[u]]))
            .OrderByDescending(x => x.Length).ThenBy(x => x.User).ToArray();
        var h = new Tensor[net.Layers];
        for (var l = 0; l < net.Layers; l++) h[l] = zeros(userCount, net.Hidden);
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
        }
        var result = new float[net.Layers][];
        for (var l = 0; l < net.Layers; l++)
        {
            var sorted = h[l].contiguous().data<float>().ToArray();
            var byUser = new float[sorted.Length];
            for (var i = 0; i < users.Length; i++)
                Array.Copy(sorted, (long)i * net.Hidden, byUser, (long)users[i].User * net.Hidden, net.Hidden);
            result[l] = byUser;
        }
        return result;
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

/// <summary>An optimiser step over a fixed parameter list.</summary>
internal interface IStep : IDisposable
{
    /// <summary>Clears the gradients.</summary>
    void ZeroGrad();
    /// <summary>Updates the parameters from their gradients.</summary>
    void Step();
}

/// <summary>
/// Adagrad with momentum as in the official GRU4Rec implementation (dense form):
/// acc += g²; m = μ·m − lr·g/√(acc + ε); p += m (μ = 0: p −= lr·g/√(acc + ε)).
/// </summary>
internal sealed class AdagradMomentumStep : IStep
{
    private readonly IReadOnlyList<Parameter> _parameters;
    private readonly Tensor[] _acc;
    private readonly Tensor[]? _mom;
    private readonly double _lr;
    private readonly double _momentum;

    /// <summary>Creates zero accumulators for every parameter.</summary>
    public AdagradMomentumStep(IReadOnlyList<Parameter> parameters, double lr, double momentum)
    {
        _parameters = parameters; _lr = lr; _momentum = momentum;
        _acc = parameters.Select(p => zeros_like(p)).ToArray();
        _mom = momentum > 0 ? parameters.Select(p => zeros_like(p)).ToArray() : null;
    }

    /// <inheritdoc />
    public void ZeroGrad()
    {
        foreach (var p in _parameters) p.grad?.zero_();
    }

    /// <inheritdoc />
    public void Step()
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        for (var i = 0; i < _parameters.Count; i++)
        {
            var g = _parameters[i].grad;
            if (g is null) continue;
            _acc[i].addcmul_(g, g, 1);
            var denom = _acc[i].add(1e-6).sqrt_();
            if (_mom is null) _parameters[i].addcdiv_(g, denom, -_lr);
            else
            {
                _mom[i].mul_(_momentum).addcdiv_(g, denom, -_lr);
                _parameters[i].add_(_mom[i]);
            }
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var t in _acc) t.Dispose();
        if (_mom is not null) foreach (var t in _mom) t.Dispose();
    }
}

/// <summary>Adam (Kingma and Ba, 2015) through libtorch's implementation.</summary>
internal sealed class AdamStep(IReadOnlyList<Parameter> parameters, double lr) : IStep
{
    private readonly optim.Optimizer _optimizer = optim.Adam(parameters, lr);

    /// <inheritdoc />
    public void ZeroGrad() => _optimizer.zero_grad();

    /// <inheritdoc />
    public void Step() => _optimizer.step();

    /// <inheritdoc />
    public void Dispose() => _optimizer.Dispose();
}
