using System.Diagnostics;
using System.Globalization;
using Portal.Core.Evaluation;
using Portal.Core.Recommendation;
using Portal.Core.Recommendation.Gru;

namespace Portal.Server.Cli;

/// <summary>
/// The <c>bench</c> verb: named micro-benchmarks on an events file (default <c>data/online_retail.csv.gz</c>).
/// Usage: <c>bench NAME [--events FILE] [--epochs N] [--param key=value]...</c>; <c>bench --list</c> names them.
/// Results go to standard output as one line of <c>key=value</c> pairs per measurement; progress to standard error.
/// Add a benchmark by adding an entry to <see cref="Benchmarks"/>. Exit codes: 0 success, 2 bad arguments, 1 other errors.
/// </summary>
public static class BenchVerb
{
    /// <summary>What a benchmark receives: parsed options, the output writers and cancellation.</summary>
    /// <param name="Events">Path of the events file (resolved).</param>
    /// <param name="Epochs">Value of <c>--epochs</c> (benchmarks that train; default 1).</param>
    /// <param name="Parameters">The <c>--param key=value</c> pairs (model hyper-parameters).</param>
    /// <param name="Stdout">Where results go.</param>
    /// <param name="Stderr">Where progress goes.</param>
    /// <param name="Ct">Cancellation.</param>
    /// <param name="DataDirectory">The portal's data folder (<c>--data-dir</c>; default <c>data</c> under the current directory).</param>
    /// <param name="Sample">How many customers a benchmark samples (<c>--sample</c>; default 1,000).</param>
    /// <param name="ModelFile">A model state file (<c>--model FILE</c>; read by <c>gru-validate</c> only, ignored by the others): loaded instead of training when it exists, written after training when not; null: always train.</param>
    public sealed record Context(string Events, int Epochs, IReadOnlyDictionary<string, double> Parameters, TextWriter Stdout, TextWriter Stderr, CancellationToken Ct,
        string DataDirectory = "data", int Sample = 1000, string? ModelFile = null);

    /// <summary>The benchmarks by name: each returns the exit code.</summary>
    public static IReadOnlyDictionary<string, Func<Context, int>> Benchmarks { get; } = new Dictionary<string, Func<Context, int>>(StringComparer.Ordinal)
    {
        ["gru-epoch"] = GruEpoch,
        ["gru-validate"] = GruValidate,
        ["import"] = c => PortalBenchmarks.ImportAsync(c).GetAwaiter().GetResult(),
        ["preview"] = c => PortalBenchmarks.PreviewAsync(c).GetAwaiter().GetResult(),
        ["backtest"] = Backtest,
        ["ctr-predict"] = CtrPredict,
        ["scale"] = c => Scale.ScaleBenchmark.RunAsync(c).GetAwaiter().GetResult(),
        ["segmentation"] = c => PortalBenchmarks.SegmentationAsync(c).GetAwaiter().GetResult(),
        ["push-lists"] = PushListBench.Run,
        ["delivery"] = c => DeliveryBench.RunAsync(c).GetAwaiter().GetResult(),
        ["isolation"] = c => IsolationBench.RunAsync(c).GetAwaiter().GetResult(),
        ["campaign-batch"] = c => CampaignBatchBench.RunAsync(c).GetAwaiter().GetResult(),
        ["feedback"] = c => FeedbackBench.RunAsync(c).GetAwaiter().GetResult(),
    };

    /// <summary>
    /// CTR model speed on an Open Bandit log (<c>--events</c>): fits each trainer (the first setting of its grid,
    /// or <c>--param</c> overrides) on the first 80 % of impressions, then prints fit seconds, batch throughput over
    /// the last 20 % (rows per second) and single-row latency percentiles (ms; <c>--sample</c> rows, one call each,
    /// the way a push list of one user would be scored at most).
    /// </summary>
    private static int CtrPredict(Context c)
    {
        var data = Portal.Core.Ctr.OpenBanditCtrData.Load(c.Events);
        var cut = (int)(data.Impressions.Count * Portal.Core.Ctr.CtrTrainer.TrainShare);
        var train = data.Impressions.Take(cut).ToList();
        var test = data.Impressions.Skip(cut).Select(i => i.Features).ToList();
        foreach (var trainer in new[] { Portal.Core.Ctr.CtrTrainers.LightGbm, Portal.Core.Ctr.CtrTrainers.Ffm, Portal.Core.Ctr.CtrTrainers.Logistic })
        {
            var grid = Portal.Core.Ctr.CtrConfig.Grid.First(g => g.Trainer == trainer);
            var parameters = grid.Params.ToDictionary(kv => kv.Key, kv => c.Parameters.TryGetValue(kv.Key, out var v) ? v : kv.Value);
            var clock = Stopwatch.StartNew();
            var model = Portal.Core.Ctr.CtrModel.Fit(new Portal.Core.Ctr.CtrConfig(trainer, parameters), train);
            var fit = clock.Elapsed.TotalSeconds;
            model.Predict(test.Take(10).ToList()); // warm-up
            clock.Restart();
            model.Predict(test);
            var batch = clock.Elapsed.TotalSeconds;
            var latencies = new List<double>();
            foreach (var row in test.Take(c.Sample))
            {
                c.Ct.ThrowIfCancellationRequested();
                clock.Restart();
                model.Predict([row]);
                latencies.Add(clock.Elapsed.TotalMilliseconds);
            }
            latencies.Sort();
            double Pct(double q) => latencies[Math.Min(latencies.Count - 1, (int)(q * latencies.Count))];
            c.Stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"bench=ctr-predict trainer={trainer} train_rows={train.Count} fit_s={fit:F2} batch_rows={test.Count} batch_rows_per_s={test.Count / batch:F0} " +
                $"single_rows={latencies.Count} p50_ms={Pct(0.5):F2} p95_ms={Pct(0.95):F2} p99_ms={Pct(0.99):F2}"));
        }
        return 0;
    }

    private const string Usage = "usage: bench NAME [--events FILE] [--epochs N] [--param key=value]... [--data-dir DIR] [--sample N] [--model FILE]  (bench --list names the benchmarks)";

    /// <summary>Runs the verb on the console (Ctrl+C cancels); returns the process exit code.</summary>
    /// <param name="args">The arguments after <c>bench</c>.</param>
    public static int Run(string[] args)
    {
        using var cts = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; cts.Cancel(); };
        Console.CancelKeyPress += onCancel;
        try { return Run(args, Console.Out, Console.Error, cts.Token); }
        finally { Console.CancelKeyPress -= onCancel; }
    }

    /// <summary>Runs the verb with the given writers (for tests); returns the exit code.</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help") { stderr.WriteLine(Usage); return args.Length == 0 ? 2 : 0; }
        if (args[0] == "--list") { foreach (var name in Benchmarks.Keys) stdout.WriteLine(name); return 0; }
        if (!Benchmarks.TryGetValue(args[0], out var bench)) return Bad(stderr, $"unknown benchmark '{args[0]}' (known: {string.Join(", ", Benchmarks.Keys)})");
        var events = "data/online_retail.csv.gz";
        var epochs = 1;
        var parameters = new Dictionary<string, double>(StringComparer.Ordinal);
        var dataDirectory = Path.GetFullPath("data");
        var sample = 1000;
        string? modelFile = null;
        for (var a = 1; a < args.Length; a++)
        {
            var value = a + 1 < args.Length ? args[a + 1] : null;
            switch (args[a])
            {
                case "--events" when value is not null: events = value; a++; break;
                case "--epochs" when int.TryParse(value, out var e) && e > 0: epochs = e; a++; break;
                case "--data-dir" when value is not null: dataDirectory = Path.GetFullPath(value); a++; break;
                case "--sample" when int.TryParse(value, out var n) && n > 0: sample = n; a++; break;
                case "--model" when value is not null: modelFile = Path.GetFullPath(value); a++; break;
                case "--param" when value is not null && value.Split('=') is [var k, var v] && double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d):
                    parameters[k] = d; a++; break;
                default: return Bad(stderr, $"bad argument '{args[a]}'");
            }
        }
        events = EvaluateVerb.ResolvePath(events);
        if (!File.Exists(events)) return Bad(stderr, $"--events file not found: {events}");
        try
        {
            return bench(new Context(events, epochs, parameters, stdout, stderr, ct, dataDirectory, sample, modelFile));
        }
        catch (OperationCanceledException)
        {
            stderr.WriteLine("bench: cancelled");
            return 1;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            stderr.WriteLine($"bench: error: {e.Message}");
            return 1;
        }
    }

    private static int Bad(TextWriter stderr, string message)
    {
        stderr.WriteLine($"bench: {message}");
        stderr.WriteLine(Usage);
        return 2;
    }

    private static string F(double x) => x.ToString("0.####", CultureInfo.InvariantCulture);

    /// <summary>
    /// <c>gru-epoch</c>: trains GRU4Rec on the protocol's train part of the file for <c>--epochs</c> epochs (default 1)
    /// with 224 units, batch 80 and 2,048 shared negatives (BPR-max; override with <c>--param</c>) and prints, per
    /// network and epoch, the training pairs per second (<c>events_per_s</c>), the mean loss and the seconds; one
    /// network unless <c>--param ensemble=N</c> (then the networks train side by side and <c>fit_seconds</c> is the ensemble's).
    /// </summary>
    private static int GruEpoch(Context c)
    {
        var split = LoadSplit(c);
        var p = new Dictionary<string, double>(c.Parameters) { ["epochs"] = c.Epochs };
        p.TryAdd("hidden", 224); p.TryAdd("batch", 80); p.TryAdd("n_sample", 2048);
        p.TryAdd("ensemble", 1); // one network: the throughput compared with the reference's
        var model = new GruRecommender(p);
        var stdout = c.Stdout;
        model.TrainingProgress = g =>
        {
            if (g.EpochDone)
                stdout.WriteLine($"bench=gru-epoch network={g.Network} epoch={g.Epoch} events_per_s={g.EventsPerSecond:F0} loss={F(g.Loss)} " +
                                 $"seconds={split.Train.EventCount / Math.Max(1e-9, g.EventsPerSecond):F1}");
            else c.Stderr.WriteLine($"  network {g.Network}/{g.Networks} epoch {g.Epoch}: {g.EpochFraction:P0}, loss {F(g.Loss)}, {g.EventsPerSecond:F0} events/s");
        };
        c.Stderr.WriteLine($"bench: gru-epoch on {split.Train.EventCount} train events, {split.Train.UserCount} users, {split.Train.ItemCount} items; " +
                           $"{string.Join(" ", model.Parameters.Select(kv => $"{kv.Key}={F(kv.Value)}"))}");
        var clock = Stopwatch.StartNew();
        model.Fit(split.Train, c.Ct);
        stdout.WriteLine($"bench=gru-epoch fit_seconds={clock.Elapsed.TotalSeconds:F1} threads={TorchSharp.torch.get_num_threads()}");
        return 0;
    }

    /// <summary>
    /// <c>gru-validate</c>: fits GRU4Rec with <c>--param</c> values on the validation split's train part (never the test
    /// part) and prints the validation NDCG@20 and Recall@20 of "novel" (alpha 0) for a few values of <c>state_decay</c>, and of "all" for a few values of
    /// <c>alpha</c>: the tool used to choose the defaults. With <c>--model FILE</c> the fit is written to FILE, or read
    /// from it when it exists (same split and training parameters: scoring variants compared without retraining).
    /// </summary>
    private static int GruValidate(Context c)
    {
        var split = LoadSplit(c).Validation();
        var p = new Dictionary<string, double>(c.Parameters);
        if (c.Epochs > 1) p["epochs"] = c.Epochs;
        var model = new GruRecommender(p);
        model.TrainingProgress = g => { if (g.EpochDone) c.Stderr.WriteLine($"  network {g.Network}/{g.Networks} epoch {g.Epoch}: loss {F(g.Loss)}, {g.EventsPerSecond:F0} events/s"); };
        var clock = Stopwatch.StartNew();
        var loaded = c.ModelFile is not null && File.Exists(c.ModelFile);
        if (loaded)
        {
            // An earlier run's fit on the same split and training parameters: compare scoring variants without
            // retraining (a network count other than --param ensemble is refused; a saved state_decay is recomputed).
            using var reader = new BinaryReader(File.OpenRead(c.ModelFile!));
            model.LoadState(reader, split.Train);
            c.Stderr.WriteLine($"  loaded {c.ModelFile} (not trained)");
        }
        else
        {
            model.Fit(split.Train, c.Ct);
            if (c.ModelFile is not null)
            {
                // Written beside and moved into place, so a failed save never leaves a partial file to be loaded.
                var partial = c.ModelFile + ".partial";
                using (var writer = new BinaryWriter(File.Create(partial))) model.SaveState(writer);
                File.Move(partial, c.ModelFile, overwrite: true);
            }
        }
        var line = loaded ? $"bench=gru-validate loaded=1 load_seconds={clock.Elapsed.TotalSeconds:F1}" : $"bench=gru-validate fit_seconds={clock.Elapsed.TotalSeconds:F1}";
        foreach (var decay in c.Parameters.ContainsKey("state_decay") ? [model.Parameters["state_decay"]] : new[] { 0, 0.5, 0.8, 0.9, 0.95, 0.98, 0.99, 0.995, 1 })
        {
            var m = model.WithScoringParameters(new Dictionary<string, double> { ["state_decay"] = decay });
            var (_, novel) = Evaluator.Evaluate(m, split, all: false, novel: true, c.Ct);
            line += $" novel_d{F(decay)}_recall20={F(novel!.Recall20)} novel_d{F(decay)}_ndcg20={F(novel.Ndcg20)}";
        }
        foreach (var (steps, poolDecay) in new (double, double)[] { (5, 1), (20, 1), (50, 1), (50, 0.95), (200, 0.98) })
        {
            var m = model.WithScoringParameters(new Dictionary<string, double> { ["pool_steps"] = steps, ["pool_decay"] = poolDecay });
            var (_, novel) = Evaluator.Evaluate(m, split, all: false, novel: true, c.Ct);
            var part = $" novel_p{F(steps)}x{F(poolDecay)}_recall20={F(novel!.Recall20)} novel_p{F(steps)}x{F(poolDecay)}_ndcg20={F(novel.Ndcg20)}";
            line += part;
            c.Stderr.WriteLine("  pooled:" + part);
        }
        foreach (var alpha in new[] { 0.0, 0.5, 2, 8, 32 })
        {
            var m = model.WithScoringParameters(new Dictionary<string, double> { ["alpha"] = alpha });
            var (all, _) = Evaluator.Evaluate(m, split, all: true, novel: false, c.Ct);
            line += $" all_a{F(alpha)}_ndcg20={F(all!.Ndcg20)} all_a{F(alpha)}_recall20={F(all.Recall20)}";
        }
        c.Stdout.WriteLine(line + " " + string.Join(" ", c.Parameters.Select(kv => $"{kv.Key}={F(kv.Value)}")) + $" epochs={F(model.Parameters["epochs"])}");
        return 0;
    }

    /// <summary>
    /// <c>backtest</c>: the replay backtest of the dashboards on the file (10 weeks, top-20 lists, customers active in
    /// the 90 days before each week; popularity, repeat, itemknn, userknn with their default parameters; UCI service
    /// charges never pushed) and prints one line per model and week with the replayed CTR and Recall@20, then the time.
    /// </summary>
    private static int Backtest(Context c)
    {
        var loaded = EventFiles.Load(c.Events, null);
        var clock = Stopwatch.StartNew();
        var options = new Portal.Core.Backtest.BacktestOptions { Unavailable = Portal.Core.Data.Sources.UciOnlineRetailDataset.ServiceCodes };
        var weeks = Portal.Core.Backtest.ReplayBacktester.Run(loaded.Events, options,
            new Progress<(double Fraction, string Text)>(p => c.Stderr.WriteLine($"  {p.Fraction:P0} {p.Text}")), c.Ct);
        foreach (var w in weeks)
            c.Stdout.WriteLine($"bench=backtest model={w.Model} week={w.WeekStart:yyyy-MM-dd} train_events={w.TrainEvents} customers={w.PushedCustomers} " +
                               $"pushes={w.Pushes} replayed_clicks={w.ReplayedClicks} replayed_ctr={F(w.ReplayedCtr)} buyers={w.Buyers} recall20={F(w.RecallAtK)} fit_seconds={w.FitSeconds:F1}");
        c.Stdout.WriteLine($"bench=backtest seconds={clock.Elapsed.TotalSeconds:F1} weeks={options.Weeks} models={string.Join(',', options.Models)}");
        return 0;
    }

    private static TemporalSplit LoadSplit(Context c)
    {
        var loaded = EventFiles.Load(c.Events, null);
        return TemporalSplit.Create(loaded.Events);
    }
}
