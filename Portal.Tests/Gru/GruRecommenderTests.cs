using Portal.Core.Behavior;
using Portal.Core.Evaluation;
using Portal.Core.Recommendation;
using Portal.Core.Recommendation.Gru;
using Portal.Core.Training.Pipeline;
using Portal.Tests.Evaluation;

namespace Portal.Tests.Gru;

/// <summary>GRU4Rec: learning a deterministic sequence, save/load, determinism, cancellation, a pipeline run on real data.</summary>
public class GruRecommenderTests(UciFixture uci) : IClassFixture<UciFixture>
{
    private const int Cycle = 6;

    /// <summary>Users walk the cycle i0 → i1 → … → i5 → i0 from different starting points, 9 to 20 steps.</summary>
    private static InteractionSet CycleData()
    {
        var events = new List<Interaction>();
        var t0 = new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        for (var u = 0; u < 24; u++)
        {
            var length = 9 + u % 12;
            for (var k = 0; k < length; k++)
                events.Add(new Interaction($"u{u:D2}", $"i{(u + k) % Cycle}", t0.AddMinutes(u * 100 + k), EventType.Purchase, 1));
        }
        return InteractionSet.Create(events.OrderBy(e => e.Timestamp).ToList());
    }

    private static Dictionary<string, double> Small(double loss) => new()
    {
        ["hidden"] = 16, ["batch"] = 8, ["n_sample"] = 4, ["epochs"] = 40, ["loss"] = loss, ["optimizer"] = 1,
        ["learning_rate"] = 0.02, ["dropout_embed"] = 0, ["dropout_hidden"] = 0, ["sample_alpha"] = 0, ["target_window"] = 1, ["state_decay"] = 0, ["ensemble"] = 1,
    };

    /// <summary>A new model with <paramref name="parameters"/> loaded from <paramref name="model"/>'s saved state.</summary>
    private static GruRecommender Reloaded(GruRecommender model, Dictionary<string, double> parameters, InteractionSet data)
    {
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms, System.Text.Encoding.UTF8, leaveOpen: true)) model.SaveState(w);
        ms.Position = 0;
        var loaded = new GruRecommender(parameters);
        using (var r = new BinaryReader(ms)) loaded.LoadState(r, data);
        return loaded;
    }

    [Theory]
    [InlineData(0, 0)] // cross-entropy
    [InlineData(0, 1)] // cross-entropy with the logQ correction
    [InlineData(1, 0)] // BPR-max
    public void Learns_a_deterministic_next_item(double loss, double logq)
    {
        var data = CycleData();
        var model = new GruRecommender(new Dictionary<string, double>(Small(loss)) { ["logq"] = logq, ["sample_alpha"] = logq > 0 ? 1 : 0 });
        model.Fit(data);
        var scores = new float[data.ItemCount];
        var hits = 0;
        for (var u = 0; u < data.UserCount; u++)
        {
            var lastItem = data.Items[data.EventItem[Enumerable.Range(0, data.EventCount).Last(k => data.EventUser[k] == u)]];
            var expected = $"i{(int.Parse(lastItem[1..]) + 1) % Cycle}";
            model.Score(u, scores);
            if (data.Items[Ranking.TopK(scores, 1)[0]] == expected) hits++;
        }
        Assert.Equal(data.UserCount, hits); // Recall@1 = 1
        Assert.Equal(16, model.InterestVector(0).Length);
        var why = model.Explain(0, 0);
        Assert.Contains(why.Kind, new[] { "sequence", "repeat" });
    }

    [Fact]
    public void Same_seed_same_scores_and_save_load_round_trips_exactly()
    {
        var data = CycleData();
        var p = Small(1);
        p["epochs"] = 3; p["dropout_embed"] = 0.3; p["alpha"] = 0.5;
        var a = new GruRecommender(p);
        a.Fit(data);
        var b = new GruRecommender(p);
        b.Fit(data);
        var other = new GruRecommender(new Dictionary<string, double>(p) { ["seed"] = 7 });
        other.Fit(data);

        var loaded = Reloaded(a, p, data);

        var sa = new float[data.ItemCount]; var sb = new float[data.ItemCount]; var sl = new float[data.ItemCount]; var so = new float[data.ItemCount];
        var differs = false;
        for (var u = 0; u < data.UserCount; u++)
        {
            a.Score(u, sa); b.Score(u, sb); loaded.Score(u, sl); other.Score(u, so);
            Assert.Equal(sa, sb);
            Assert.Equal(sa, sl);
            Assert.Equal(a.InterestVector(u), loaded.InterestVector(u));
            differs |= !sa.SequenceEqual(so);
        }
        Assert.True(differs, "another seed should give other scores");
    }

    [Fact]
    public void Ensemble_score_is_the_mean_of_its_seeds_networks_and_round_trips()
    {
        var data = CycleData();
        var p = Small(1);
        p["epochs"] = 3; p["dropout_embed"] = 0.3; p["state_decay"] = 0.9; p["seed"] = 11;
        var first = new GruRecommender(p);
        first.Fit(data);
        var second = new GruRecommender(new Dictionary<string, double>(p) { ["seed"] = 12 });
        second.Fit(data);
        // Each member is exactly the network its seed gives alone.
        var ensemble = new GruRecommender(new Dictionary<string, double>(p) { ["ensemble"] = 2 });
        ensemble.Fit(data);
        Assert.Equal(2, ensemble.EnsembleSize);

        var loaded = Reloaded(ensemble, new Dictionary<string, double>(p) { ["ensemble"] = 2 }, data);
        Assert.Equal(2, loaded.EnsembleSize);
        // A scoring-parameter copy recomputes each member's scoring state.
        var undecayed = ensemble.WithScoringParameters(new Dictionary<string, double> { ["state_decay"] = 0 });
        var firstUndecayed = first.WithScoringParameters(new Dictionary<string, double> { ["state_decay"] = 0 });
        var secondUndecayed = second.WithScoringParameters(new Dictionary<string, double> { ["state_decay"] = 0 });

        var s1 = new float[data.ItemCount]; var s2 = new float[data.ItemCount]; var se = new float[data.ItemCount]; var sl = new float[data.ItemCount];
        var differs = false;
        for (var u = 0; u < data.UserCount; u++)
        {
            first.Score(u, s1); second.Score(u, s2); ensemble.Score(u, se); loaded.Score(u, sl);
            for (var i = 0; i < se.Length; i++) Assert.Equal((s1[i] + s2[i]) / 2, se[i], 6);
            Assert.Equal(se, sl);
            Assert.Equal(1.0, se.Sum(), 4);
            Assert.Equal(first.InterestVector(u), ensemble.InterestVector(u));
            differs |= s1.Zip(s2).Any(x => Math.Abs(x.First - x.Second) > 1e-4);
            firstUndecayed.Score(u, s1); secondUndecayed.Score(u, s2); undecayed.Score(u, se);
            for (var i = 0; i < se.Length; i++) Assert.Equal((s1[i] + s2[i]) / 2, se[i], 6);
            // An explanation's probability is the user's distribution, also in a copy made right after the original
            // scored this user (the copy must not reuse the original's distribution of the same user).
            var late = ensemble.WithScoringParameters(new Dictionary<string, double> { ["state_decay"] = 0 });
            Assert.Equal(se[0], late.Explain(u, 0).Detail!["probability"], 6);
            Assert.Equal(se[0], undecayed.Explain(u, 0).Detail!["probability"], 6);
        }
        Assert.True(differs, "the two seeds' networks should disagree");
        Assert.Throws<ArgumentException>(() => new GruRecommender(new Dictionary<string, double>(p) { ["ensemble"] = 1.5 }).Fit(data));
    }

    /// <summary>
    /// Two networks on parallel threads while another thread forces garbage collections and runs finalizers without
    /// pause (the conditions under which an implicit Scalar can be freed during its native call, see HeldScalars; the
    /// window is narrow, so this exercises the fix rather than proving it), and the weights must be those of the
    /// networks trained one after the other; a cancelled parallel fit keeps nothing.
    /// </summary>
    [Fact]
    public void Parallel_networks_survive_forced_collections_and_equal_sequential_ones()
    {
        var data = CycleData();
        // Adagrad (the parallel optimiser), both dropouts, a decayed scoring state: every held-Scalar path of the step and the replay.
        var p = new Dictionary<string, double>(Small(1))
        {
            ["optimizer"] = 0, ["learning_rate"] = 0.05, ["epochs"] = 30, ["dropout_embed"] = 0.2, ["dropout_hidden"] = 0.1,
            ["state_decay"] = 0.9, ["ensemble"] = 2,
        };
        var sequential = new GruRecommender(new Dictionary<string, double>(p) { ["parallel"] = 1 });
        sequential.Fit(data);
        var parallel = new GruRecommender(new Dictionary<string, double>(p) { ["parallel"] = 2 });
        Assert.Equal(2, parallel.ParallelNetworks(2));
        var collections = 0;
        var done = false;
        using var started = new ManualResetEventSlim();
        // Gen-0 collections suffice: the Scalars at risk are short-lived.
        var collector = new Thread(() =>
        {
            started.Set();
            while (!Volatile.Read(ref done))
            {
                GC.Collect(0);
                GC.WaitForPendingFinalizers();
                collections++;
            }
        }) { IsBackground = true };
        collector.Start();
        started.Wait();
        var threads = new Dictionary<int, HashSet<int>>();
        parallel.TrainingProgress = g => // delivered one at a time
        {
            if (!threads.TryGetValue(g.Network, out var set)) threads[g.Network] = set = [];
            set.Add(Environment.CurrentManagedThreadId);
        };
        try { parallel.Fit(data); }
        finally { Volatile.Write(ref done, true); collector.Join(); }
        Assert.True(collections > 0, "no forced collection ran during the fit");
        Assert.Equal(2, parallel.EnsembleSize);
        Assert.Equal([1, 2], threads.Keys.Order());
        Assert.Empty(threads[1].Intersect(threads[2])); // the two networks ran on different threads
        var a = new float[data.ItemCount]; var b = new float[data.ItemCount];
        for (var u = 0; u < data.UserCount; u++)
        {
            sequential.Score(u, a); parallel.Score(u, b);
            Assert.Equal(a, b);
        }
        // Adam's step is TorchSharp's (implicit Scalars): never parallel.
        Assert.Equal(1, new GruRecommender(new Dictionary<string, double>(p) { ["optimizer"] = 1, ["parallel"] = 2 }).ParallelNetworks(2));

        // Cancelling a parallel fit stops both networks and keeps nothing.
        using var cts = new CancellationTokenSource();
        var cancelled = new GruRecommender(new Dictionary<string, double>(p) { ["parallel"] = 2, ["ensemble"] = 3 });
        cancelled.TrainingProgress = _ => cts.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => cancelled.Fit(data, cts.Token));
        Assert.Equal(0, cancelled.EnsembleSize);

        // A network that fails stops the other, and its own error (not a cancellation) is what the fit throws.
        var failing = new GruRecommender(new Dictionary<string, double>(p) { ["parallel"] = 2 });
        failing.TrainingProgress = g => { if (g.Network == 2) throw new InvalidOperationException("network 2 failed"); };
        Assert.Equal("network 2 failed", Assert.Throws<InvalidOperationException>(() => failing.Fit(data)).Message);
        Assert.Equal(0, failing.EnsembleSize);

        Assert.Contains("dropout_hidden=1", Assert.Throws<ArgumentException>(() => new GruRecommender(new Dictionary<string, double>(p) { ["dropout_hidden"] = 1 }).Fit(data)).Message);
        Assert.Contains("parallel=-1", Assert.Throws<ArgumentException>(() => new GruRecommender(new Dictionary<string, double>(p) { ["parallel"] = -1 }).Fit(data)).Message);
    }

    [Fact]
    public void Cancelling_an_ensemble_fit_in_its_second_network_throws_OperationCanceledException()
    {
        var data = CycleData();
        using var cts = new CancellationTokenSource();
        var model = new GruRecommender(new Dictionary<string, double>(Small(0)) { ["epochs"] = 2, ["ensemble"] = 3 });
        var networks = new List<int>();
        model.TrainingProgress = g => { networks.Add(g.Network); if (g.Network == 2) cts.Cancel(); };
        Assert.ThrowsAny<OperationCanceledException>(() => model.Fit(data, cts.Token));
        Assert.Contains(1, networks);
        Assert.DoesNotContain(3, networks);
        Assert.Equal(0, model.EnsembleSize);
    }

    [Fact]
    public void A_version_1_artifact_loads_as_one_network_and_a_saved_decay_follows_the_parameters()
    {
        var data = CycleData();
        var p = Small(1);
        p["epochs"] = 2; p["state_decay"] = 0.9;
        var model = new GruRecommender(p);
        model.Fit(data);
        using var v2 = new MemoryStream();
        using (var w = new BinaryWriter(v2, System.Text.Encoding.UTF8, leaveOpen: true)) model.SaveState(w);
        // Version 1 was: 1, the network, the states (no network count, no decay). Build it from version 2's bytes:
        // 2, count 1, network length, network, decay (8 bytes), states.
        var bytes = v2.ToArray();
        var networkLength = BitConverter.ToInt32(bytes, 8);
        using var v1 = new MemoryStream();
        using (var w = new BinaryWriter(v1, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            w.Write(1);
            w.Write(bytes, 8, 4 + networkLength);
            w.Write(bytes, 12 + networkLength + 8, bytes.Length - (12 + networkLength + 8));
        }
        v1.Position = 0;
        var loaded = new GruRecommender(p);
        using (var r = new BinaryReader(v1)) loaded.LoadState(r, data);
        Assert.Equal(1, loaded.EnsembleSize);

        // Saved with decay 0.9, loaded under 0: the scoring state is recomputed, as a scoring-parameter copy does.
        v2.Position = 0;
        var undecayed = new GruRecommender(new Dictionary<string, double>(p) { ["state_decay"] = 0 });
        using (var r = new BinaryReader(v2, System.Text.Encoding.UTF8, leaveOpen: true)) undecayed.LoadState(r, data);
        var copy = model.WithScoringParameters(new Dictionary<string, double> { ["state_decay"] = 0 });
        // A network count other than the parameters' is refused.
        v2.Position = 0;
        var three = new GruRecommender(new Dictionary<string, double>(p) { ["ensemble"] = 3 });
        using (var r = new BinaryReader(v2, System.Text.Encoding.UTF8, leaveOpen: true))
            Assert.Contains("ensemble=3", Assert.Throws<InvalidDataException>(() => three.LoadState(r, data)).Message);

        var a = new float[data.ItemCount]; var b = new float[data.ItemCount]; var c = new float[data.ItemCount]; var d = new float[data.ItemCount];
        var differs = false;
        for (var u = 0; u < data.UserCount; u++)
        {
            model.Score(u, a); loaded.Score(u, b); undecayed.Score(u, c); copy.Score(u, d);
            Assert.Equal(a, b);
            Assert.Equal(d, c);
            differs |= !a.SequenceEqual(c);
        }
        Assert.True(differs, "decay 0 should score differently from 0.9");
    }

    [Fact]
    public void Pooled_score_is_the_mixture_of_the_recent_next_item_distributions()
    {
        var data = CycleData();
        var model = new GruRecommender(new Dictionary<string, double>(Small(0)) { ["epochs"] = 5 });
        model.Fit(data);
        var plain = new float[data.ItemCount];
        var one = new float[data.ItemCount];
        var pooled = new float[data.ItemCount];
        var oneStep = model.WithScoringParameters(new Dictionary<string, double> { ["pool_steps"] = 1 });
        var threeSteps = model.WithScoringParameters(new Dictionary<string, double> { ["pool_steps"] = 3, ["pool_decay"] = 0.5 });
        var differs = false;
        for (var u = 0; u < data.UserCount; u++)
        {
            model.Score(u, plain);
            oneStep.Score(u, one);
            threeSteps.Score(u, pooled);
            // One step back is the final state itself.
            for (var i = 0; i < plain.Length; i++) Assert.Equal(plain[i], one[i], 5);
            // A weighted mixture of softmaxes is still a distribution over the catalogue.
            Assert.Equal(1.0, pooled.Sum(), 4);
            Assert.All(pooled, p => Assert.InRange(p, 0f, 1f));
            differs |= plain.Zip(pooled).Any(x => Math.Abs(x.First - x.Second) > 1e-4);
        }
        Assert.True(differs, "three steps back should mix in other distributions than the last one");
    }

    [Fact]
    public void LogQ_correction_uses_the_sampling_distribution()
    {
        int[] popularity = [1, 3, 0, 12];
        var sampler = new NegativeSampler(popularity, 0.5);
        var log = sampler.LogProbabilities([0, 1, 2, 3]);
        var expected = popularity.Select(p => Math.Pow(p, 0.5)).ToArray();
        var sum = expected.Sum();
        for (var i = 0; i < 4; i++)
            Assert.Equal(Math.Log(Math.Max(1e-12, expected[i] / sum)), log[i], 4);
    }

    [Fact]
    public void LogQ_correction_subtracts_logq_times_the_columns_log_sampling_probability()
    {
        using var scores = TorchSharp.torch.tensor(new float[] { 1, 2, 3, 4, 5, 6 }).reshape(2, 3);
        float[] logQ = [MathF.Log(0.5f), MathF.Log(0.25f), MathF.Log(0.25f)];
        using var corrected = GruTrainer.LogQCorrected(scores, logQ, 1.0);
        var values = corrected.data<float>().ToArray();
        // Popular columns (higher Q) lose less than rare ones: s − log Q.
        float[] expected = [1 - logQ[0], 2 - logQ[1], 3 - logQ[2], 4 - logQ[0], 5 - logQ[1], 6 - logQ[2]];
        for (var i = 0; i < 6; i++) Assert.Equal(expected[i], values[i], 5);
        using var half = GruTrainer.LogQCorrected(scores, logQ, 0.5);
        Assert.Equal(1 - 0.5f * logQ[0], half.data<float>()[0], 5);
    }

    [Fact]
    public void LogQ_with_BPR_max_is_refused()
    {
        var model = new GruRecommender(new Dictionary<string, double>(Small(1)) { ["logq"] = 1 });
        var e = Assert.Throws<ArgumentException>(() => model.Fit(CycleData()));
        Assert.Contains("loss=0", e.Message);
    }

    [Fact]
    public void Cancellation_stops_training_between_mini_batches()
    {
        var data = CycleData();
        using var cts = new CancellationTokenSource();
        var model = new GruRecommender(new Dictionary<string, double>(Small(0)) { ["epochs"] = 100_000 });
        model.TrainingProgress = _ => cts.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => model.Fit(data, cts.Token));
    }

    [Fact]
    public void Pipeline_runs_on_a_slice_of_the_bundled_data()
    {
        // Customers whose id ends in 0 or 1 (about a fifth of them), all their events.
        var slice = uci.Events.Where(e => e.UserId[^1] is '0' or '1').ToList();
        IReadOnlyList<IReadOnlyDictionary<string, double>> Grid(string m, EvaluationTask t) =>
        [
            new Dictionary<string, double> { ["hidden"] = 48, ["n_sample"] = 256, ["batch"] = 32, ["epochs"] = 1, ["loss"] = 0, ["alpha"] = 0 },
            .. t == EvaluationTask.All ? [new Dictionary<string, double> { ["hidden"] = 48, ["n_sample"] = 256, ["batch"] = 32, ["epochs"] = 1, ["loss"] = 0, ["alpha"] = 2 }] : Array.Empty<IReadOnlyDictionary<string, double>>(),
        ];
        var progress = new List<PipelineProgress>();
        var result = TrainingPipeline.Run("gru", slice, new PipelineOptions { Grid = Grid }, new SyncProgress(progress.Add));
        Assert.Equal("gru", result.Report.Model);
        Assert.True(result.Report.All.Ndcg20 > 0.05, $"all NDCG@20 {result.Report.All.Ndcg20}");
        Assert.True(result.Report.Novel.Recall20 > 0, "novel recall");
        Assert.Equal(1.0, progress[^1].Fraction);
        // The bar never moves back, and the validation fit (minutes, against seconds per evaluation of its two
        // configurations) fills most of the search's 60 %: 0.54 at its end, not one configuration's 0.3.
        for (var k = 1; k < progress.Count; k++) Assert.True(progress[k].Fraction >= progress[k - 1].Fraction, $"{progress[k - 1]} then {progress[k]}");
        Assert.Equal(0.54, progress.Where(x => x.Text.Contains("validation fit", StringComparison.Ordinal)).Max(x => x.Fraction), 6);

        using var ms = new MemoryStream();
        result.Serving!.Save(ms);
        ms.Position = 0;
        var loaded = ServingModel.Load(ms);
        var user = result.Serving.Data.Users[3];
        Assert.Equal(result.Serving.Recommend(user).Select(x => (x.ItemId, x.Score)), loaded.Recommend(user).Select(x => (x.ItemId, x.Score)));
    }

    [Fact]
    public void Fused_adagrad_momentum_update_matches_the_formula()
    {
        var rng = new Random(3);
        float[] p = new float[37], acc = new float[37], mom = new float[37], g = new float[37];
        for (var i = 0; i < p.Length; i++) { p[i] = (float)rng.NextDouble(); acc[i] = (float)rng.NextDouble(); mom[i] = (float)rng.NextDouble() - 0.5f; g[i] = (float)rng.NextDouble() - 0.5f; }
        var (p0, acc0, mom0) = ((float[])p.Clone(), (float[])acc.Clone(), (float[])mom.Clone());
        AdagradMomentumStep.Update(p, acc, mom, g, 0.05f, 0.4f);
        for (var i = 0; i < p.Length; i++)
        {
            var a = acc0[i] + g[i] * g[i];
            var m = 0.4f * mom0[i] - 0.05f * g[i] / MathF.Sqrt(a + 1e-6f);
            Assert.Equal(a, acc[i], 5);
            Assert.Equal(m, mom[i], 5);
            Assert.Equal(p0[i] + m, p[i], 5);
        }
    }

    private sealed class SyncProgress(Action<PipelineProgress> report) : IProgress<PipelineProgress>
    {
        public void Report(PipelineProgress value) => report(value);
    }
}
