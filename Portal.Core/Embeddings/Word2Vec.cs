using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace Portal.Core.Embeddings;

/// <summary>Hyper-parameters of <see cref="Word2Vec.Train"/>.</summary>
public sealed record Word2VecOptions
{
    /// <summary>Vector size d.</summary>
    public int Dimensions { get; init; } = 64;
    /// <summary>Largest context distance; each centre token draws its window uniformly from 1..Window (as word2vec does). 0 or less: the whole sentence.</summary>
    public int Window { get; init; } = 5;
    /// <summary>Negative samples per (centre, context) pair, drawn from the unigram distribution raised to 0.75.</summary>
    public int Negatives { get; init; } = 5;
    /// <summary>Passes over the corpus.</summary>
    public int Epochs { get; init; } = 5;
    /// <summary>
    /// Frequent-token subsampling threshold t: a token of relative frequency f is kept with probability
    /// min(1, (√(f/t) + 1)·t/f) (the word2vec implementation of Mikolov et al., 2013); 0 disables it.
    /// </summary>
    public double Subsample { get; init; } = 1e-3;
    /// <summary>Adam learning rate.</summary>
    public double LearningRate { get; init; } = 0.01;
    /// <summary>(centre, context) pairs per optimisation step.</summary>
    public int BatchSize { get; init; } = 2048;
    /// <summary>
    /// Least number of optimisation steps: a small corpus (a dozen product names) gets more epochs than
    /// <see cref="Epochs"/> until this many batches are done, since a few Adam steps leave the vectors near their start.
    /// </summary>
    public int MinSteps { get; init; } = 1000;
    /// <summary>Random seed: same seed, corpus and options give the same vectors.</summary>
    public int Seed { get; init; } = 42;
}

/// <summary>Trained skip-gram vectors: input ("word") and output ("context") embeddings, row-major V × d.</summary>
/// <param name="VocabularySize">V, the number of token ids.</param>
/// <param name="Dimensions">d.</param>
/// <param name="Input">Input vectors, V × d floats; the usual word vectors.</param>
/// <param name="Output">Output (context) vectors, V × d floats.</param>
/// <param name="Counts">Occurrences of each token id in the corpus (length V).</param>
/// <param name="FinalLoss">Mean loss per pair over the last epoch (negative-sampling objective, nats).</param>
/// <param name="Seconds">Training wall time, seconds.</param>
public sealed record Word2VecModel(int VocabularySize, int Dimensions, float[] Input, float[] Output, long[] Counts, double FinalLoss, double Seconds);

/// <summary>
/// Skip-gram with negative sampling (SGNS) and frequent-word subsampling (Mikolov, Sutskever, Chen, Corrado and Dean,
/// "Distributed representations of words and phrases and their compositionality", NeurIPS 2013), trained with
/// TorchSharp on the CPU (or the default device) by Adam on mini-batches. For each kept centre token c and context
/// token o within its window, the loss is −log σ(v_c·u_o) − Σ_{k=1..K} log σ(−v_c·u_{n_k}), with v the input and u the
/// output embeddings and n_k drawn from P(w) ∝ count(w)^0.75. Used for product text (<see cref="Text2VecRecommender"/>)
/// and, on users' item sequences, for item2vec (Barkan and Koenigstein, "Item2Vec: neural item embedding for
/// collaborative filtering", MLSP 2016; <see cref="Item2VecRecommender"/>).
/// Deterministic for a seed: pairs, shuffling and negatives come from a seeded <see cref="Random"/>, the initial
/// vectors from a seeded torch generator.
/// </summary>
public static class Word2Vec
{
    /// <summary>Trains vectors for token ids 0..<paramref name="vocabularySize"/>−1.</summary>
    /// <param name="sentences">The corpus: sequences of token ids (a product's tokens, or a user's items in time order).</param>
    /// <param name="vocabularySize">V; every id in the corpus is below it. Ids that never occur keep their initial (small random) input vector.</param>
    /// <param name="options">Hyper-parameters (null: defaults).</param>
    /// <param name="progress">Receives the fraction of epochs done (0 to 1); may be null.</param>
    /// <param name="ct">Cancellation, checked between batches.</param>
    /// <exception cref="ArgumentException">An id out of range, or invalid options.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="ct"/> was cancelled.</exception>
    public static Word2VecModel Train(IReadOnlyList<int[]> sentences, int vocabularySize, Word2VecOptions? options = null,
        IProgress<double>? progress = null, CancellationToken ct = default)
    {
        options ??= new Word2VecOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(vocabularySize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Dimensions, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Negatives, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.BatchSize, 1);
        var clock = Stopwatch.StartNew();
        var v = vocabularySize;
        var d = options.Dimensions;
        var counts = new long[v];
        long total = 0;
        foreach (var s in sentences)
            foreach (var t in s)
            {
                if ((uint)t >= (uint)v) throw new ArgumentException($"Token id {t} is outside the vocabulary of {v}.", nameof(sentences));
                counts[t]++; total++;
            }

        // Keep probabilities (subsampling) and the noise distribution's cumulative table (unigram^0.75).
        var keep = new double[v];
        for (var t = 0; t < v; t++)
        {
            if (options.Subsample <= 0 || counts[t] == 0) { keep[t] = 1; continue; }
            var f = counts[t] / (double)total;
            keep[t] = Math.Min(1, (Math.Sqrt(f / options.Subsample) + 1) * options.Subsample / f);
        }
        var cumulative = new double[v];
        double acc = 0;
        for (var t = 0; t < v; t++) { acc += Math.Pow(counts[t], 0.75); cumulative[t] = acc; }

        var random = new Random(options.Seed);
        var generator = new Generator((ulong)options.Seed);
        using var scope = NewDisposeScope();
        var input = (rand(new long[] { v, d }, generator: generator) - 0.5f) / d; // word2vec's uniform(−0.5/d, 0.5/d)
        var inW = new TorchSharp.Modules.Parameter(input);
        var outW = new TorchSharp.Modules.Parameter(zeros(v, d));
        var optimizer = optim.Adam([inW, outW], lr: options.LearningRate);
        var k = options.Negatives;
        var lastLoss = double.NaN;
        if (acc > 0)
        {
            var steps = 0;
            for (var epoch = 0; epoch < options.Epochs || (steps < options.MinSteps && epoch < 100_000); epoch++)
            {
                ct.ThrowIfCancellationRequested();
                var (centres, contexts) = Pairs(sentences, keep, options.Window, random);
                var n = centres.Count;
                // Fisher–Yates shuffle of the pairs.
                for (var i = n - 1; i > 0; i--)
                {
                    var j = random.Next(i + 1);
                    (centres[i], centres[j]) = (centres[j], centres[i]);
                    (contexts[i], contexts[j]) = (contexts[j], contexts[i]);
                }
                double lossSum = 0;
                for (var start = 0; start < n; start += options.BatchSize)
                {
                    ct.ThrowIfCancellationRequested();
                    var b = Math.Min(options.BatchSize, n - start);
                    var negatives = new long[b * k];
                    for (var i = 0; i < negatives.Length; i++) negatives[i] = Sample(cumulative, random);
                    var c = new long[b]; var o = new long[b];
                    for (var i = 0; i < b; i++) { c[i] = centres[start + i]; o[i] = contexts[start + i]; }
                    using var step = NewDisposeScope();
                    var ct_ = tensor(c); var ot = tensor(o); var nt = tensor(negatives);
                    var vc = inW.index_select(0, ct_);                                 // [b, d]
                    var uo = outW.index_select(0, ot);                                 // [b, d]
                    var un = outW.index_select(0, nt).view(b, k, d);                   // [b, k, d]
                    var pos = (vc * uo).sum(1);                                        // [b]
                    var neg = bmm(un, vc.unsqueeze(2)).squeeze(2);                     // [b, k]
                    var loss = -(nn.functional.logsigmoid(pos).sum() + nn.functional.logsigmoid(-neg).sum()) / b;
                    optimizer.zero_grad();
                    loss.backward();
                    optimizer.step();
                    lossSum += loss.item<float>() * b;
                    steps++;
                }
                if (n == 0) break;
                lastLoss = n == 0 ? double.NaN : lossSum / n;
                progress?.Report(Math.Min(1, (epoch + 1.0) / options.Epochs));
            }
        }
        var inArr = inW.detach().contiguous().data<float>().ToArray();
        var outArr = outW.detach().contiguous().data<float>().ToArray();
        return new Word2VecModel(v, d, inArr, outArr, counts, lastLoss, clock.Elapsed.TotalSeconds);
    }

    /// <summary>
    /// One epoch's (centre, context) pairs: subsampled tokens, then for each centre a window b drawn uniformly from
    /// 1..<paramref name="window"/> (the whole sentence when <paramref name="window"/> ≤ 0).
    /// </summary>
    private static (List<int> Centres, List<int> Contexts) Pairs(IReadOnlyList<int[]> sentences, double[] keep, int window, Random random)
    {
        var centres = new List<int>(); var contexts = new List<int>();
        var kept = new List<int>();
        foreach (var s in sentences)
        {
            kept.Clear();
            foreach (var t in s) if (keep[t] >= 1 || random.NextDouble() < keep[t]) kept.Add(t);
            for (var i = 0; i < kept.Count; i++)
            {
                var b = window <= 0 ? kept.Count : 1 + random.Next(window);
                for (var j = Math.Max(0, i - b); j <= Math.Min(kept.Count - 1, i + b); j++)
                {
                    if (j == i) continue;
                    centres.Add(kept[i]); contexts.Add(kept[j]);
                }
            }
        }
        return (centres, contexts);
    }

    /// <summary>A token id drawn from the noise distribution (binary search in the cumulative table).</summary>
    private static int Sample(double[] cumulative, Random random)
    {
        var x = random.NextDouble() * cumulative[^1];
        int lo = 0, hi = cumulative.Length - 1;
        while (lo < hi)
        {
            var mid = (lo + hi) >> 1;
            if (cumulative[mid] > x) hi = mid; else lo = mid + 1;
        }
        return lo;
    }
}
