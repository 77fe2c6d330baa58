using System.Diagnostics;
using Portal.Core.Evaluation;
using Portal.Core.Recommendation;
using Portal.Core.Training.Pipeline;

namespace Portal.Server.Cli;

/// <summary>
/// The <c>evaluate</c> verb: runs the offline protocol of shared/EVALUATION.md on an events file and prints the JSON
/// of shared/FORMATS.md to standard output (an array for <c>--model all</c>); progress and errors go to standard error.
/// Usage: <c>evaluate --model NAME --events FILE [--products FILE] [--json] [--seed N] [--param key=value]...</c>
/// (<c>--param</c> fixes a hyper-parameter in every searched configuration, e.g. <c>--param quota_gru=100</c> adds the
/// GRU channel to <c>blend</c>).
/// Exit codes: 0 success, 2 bad arguments, 1 other errors.
/// </summary>
public static class EvaluateVerb
{
    private const string Usage = "usage: evaluate --model NAME --events FILE [--products FILE] [--json] [--seed N] [--param key=value]...\n" +
                                 "  NAME: popularity, repeat, itemknn, userknn, ease, gru, item2vec, text2vec (needs product names),\n" +
                                 "        blend (the push pipeline: channels, LightGBM ranker, MMR; --param quota_gru=100 adds the GRU channel), all";

    /// <summary>Runs the verb with the arguments after <c>evaluate</c> on the console (Ctrl+C cancels); returns the process exit code.</summary>
    /// <param name="args">The arguments after the verb.</param>
    public static async Task<int> RunAsync(string[] args)
    {
        using var cts = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; cts.Cancel(); };
        Console.CancelKeyPress += onCancel;
        try { return await RunAsync(args, Console.Out, Console.Error, cts.Token); }
        finally { Console.CancelKeyPress -= onCancel; }
    }

    /// <summary>Runs the verb writing to the given writers (for tests); returns the exit code.</summary>
    /// <param name="args">The arguments after the verb.</param>
    /// <param name="stdout">Where the JSON goes.</param>
    /// <param name="stderr">Where progress and errors go.</param>
    /// <param name="ct">Cancellation.</param>
    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        string? model = null, events = null, products = null;
        var json = false;
        var seed = 42;
        var fixedParams = new Dictionary<string, double>(StringComparer.Ordinal);
        for (var a = 0; a < args.Length; a++)
        {
            string? Value()
            {
                if (a + 1 < args.Length && !args[a + 1].StartsWith("--", StringComparison.Ordinal)) return args[++a];
                return null;
            }
            switch (args[a])
            {
                case "--model": model = Value() ?? (string?)Fail("--model needs a value"); break;
                case "--events": events = Value() ?? (string?)Fail("--events needs a file path"); break;
                case "--products": products = Value() ?? (string?)Fail("--products needs a file path"); break;
                case "--json": json = true; break;
                case "--seed":
                    var s = Value();
                    if (!int.TryParse(s, out seed)) return BadArgs(stderr, $"--seed needs an integer, got '{s}'");
                    break;
                case "--param":
                    var kv = Value();
                    if (kv?.Split('=') is not [var key, var text] || !double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var number))
                        return BadArgs(stderr, $"--param needs key=number, got '{kv}'");
                    fixedParams[key] = number;
                    break;
                case "-h": case "--help": await stderr.WriteLineAsync(Usage); return 0;
                default: return BadArgs(stderr, $"unknown argument '{args[a]}'");
            }
            if (_failure is not null) { var f = _failure; _failure = null; return BadArgs(stderr, f); }
        }
        if (model is null) return BadArgs(stderr, "--model is required");
        if (events is null) return BadArgs(stderr, "--events is required");
        if (Recommenders.Planned.Contains(model)) return BadArgs(stderr, $"--model '{model}' is not available yet in this build (available: {string.Join(", ", Recommenders.Names)}, all)");
        if (model != "all" && !Recommenders.Names.Contains(model)) return BadArgs(stderr, $"--model '{model}' is unknown (available: {string.Join(", ", Recommenders.Names)}, all)");
        events = ResolvePath(events);
        if (products is not null) products = ResolvePath(products);
        if (!File.Exists(events)) return BadArgs(stderr, $"--events file not found: {events}");
        if (products is not null && !File.Exists(products)) return BadArgs(stderr, $"--products file not found: {products}");

        try
        {
            var clock = Stopwatch.StartNew();
            await stderr.WriteLineAsync($"evaluate: reading {events}");
            LoadedEvents loaded;
            try { loaded = EventFiles.Load(events, products); }
            catch (NotSupportedException e) { return BadArgs(stderr, $"--events: {e.Message}"); }
            await stderr.WriteLineAsync($"evaluate: {loaded.Events.Count} events ({clock.Elapsed.TotalSeconds:F1} s)");
            var models = model == "all" ? Recommenders.Names : [model];
            var reports = new List<EvaluationReport>();
            var lastLine = "";
            var progress = new SyncProgress(p =>
            {
                var line = $"[{p.Fraction * 100,5:F1}%] {p.Text}";
                if (line != lastLine) stderr.WriteLine(line);
                lastLine = line;
            });
            foreach (var m in models)
            {
                var started = clock.Elapsed;
                var result = TrainingPipeline.Run(m, loaded.Events, new PipelineOptions
                {
                    DatasetName = loaded.Name, DatasetSha256 = loaded.Sha256, Seed = seed, FitServingModel = false,
                    CatalogueText = loaded.ProductNames.Count > 0 ? loaded.ProductNames : null,
                    ItemPrices = loaded.ProductPrices.Count > 0 ? loaded.ProductPrices : null,
                    Grid = fixedParams.Count == 0 ? null : (name, task) => Recommenders.Grid(name, task)
                        .Select(p => (IReadOnlyDictionary<string, double>)new Dictionary<string, double>(p.Concat(fixedParams.Where(f => Recommenders.Create(name).Parameters.ContainsKey(f.Key))).GroupBy(x => x.Key).Select(g => g.Last()))).ToList(),
                }, progress, ct);
                reports.Add(result.Report);
                await stderr.WriteLineAsync($"evaluate: {m} done in {(clock.Elapsed - started).TotalSeconds:F1} s " +
                                            $"(search {result.SearchSeconds:F1} s, train {result.TrainSeconds:F1} s)");
            }
            var text = model == "all" ? EvaluationReport.ToJsonArray(reports, indented: !json) : reports[0].ToJson(indented: !json);
            await stdout.WriteLineAsync(text);
            await stderr.WriteLineAsync($"evaluate: total {clock.Elapsed.TotalSeconds:F1} s");
            return 0;
        }
        catch (OperationCanceledException)
        {
            await stderr.WriteLineAsync("evaluate: cancelled");
            return 1;
        }
        catch (Exception e) when (e is ArgumentException or Portal.Core.Data.Sources.SourceFormatException or InvalidDataException)
        {
            // Bad input: the message names the file, column or reason; a stack trace would only hide it.
            await stderr.WriteLineAsync($"evaluate: error: {e.Message}");
            return 1;
        }
        catch (Exception e)
        {
            await stderr.WriteLineAsync($"evaluate: error: {e.Message}");
            await stderr.WriteLineAsync(e.ToString());
            return 1;
        }
    }

    /// <summary>
    /// A relative path that does not exist under the current directory is looked up under its parents too:
    /// <c>dotnet run --project Portal.Server</c> starts a web project in the project folder, not where it was typed.
    /// </summary>
    internal static string ResolvePath(string path)
    {
        if (Path.IsPathRooted(path) || File.Exists(path)) return path;
        for (var dir = Directory.GetParent(Environment.CurrentDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, path);
            if (File.Exists(candidate)) return candidate;
        }
        return path;
    }

    [ThreadStatic] private static string? _failure;

    private static object? Fail(string message) { _failure = message; return null; }

    private static int BadArgs(TextWriter stderr, string message)
    {
        stderr.WriteLine($"evaluate: {message}");
        stderr.WriteLine(Usage);
        return 2;
    }

    /// <summary>An <see cref="IProgress{T}"/> that reports on the calling thread (no synchronisation context needed).</summary>
    private sealed class SyncProgress(Action<PipelineProgress> report) : IProgress<PipelineProgress>
    {
        public void Report(PipelineProgress value) => report(value);
    }
}
