using System.Diagnostics;
using Portal.Core.Ctr;
using Portal.Core.Data.Sources;

namespace Portal.Server.Cli;

/// <summary>
/// The <c>evaluate-ctr</c> verb: reads an Open Bandit impression log (and its item context), runs the CTR protocol of
/// shared/EVALUATION.md (<see cref="CtrTrainer.Evaluate"/>: temporal 80/20; hyper-parameters and the chosen model by forward-chaining validation folds inside train) and
/// prints the JSON of <see cref="CtrEvaluationReport.ToJson"/> on standard output (progress on standard error): every
/// trainer's test AUC and log loss, the chosen model next to the logistic-regression baseline.
/// Usage: <c>evaluate-ctr --events FILE [--items FILE] [--json] [--seed N]</c>. Exit codes: 0 success, 2 bad
/// arguments, 1 bad input or other errors.
/// </summary>
public static class EvaluateCtrVerb
{
    private const string Usage = "usage: evaluate-ctr --events FILE [--items FILE] [--json] [--seed N]\n" +
                                 "  FILE: an Open Bandit impression log as published (men.csv.gz); --items defaults to item_context.csv beside it";

    /// <summary>Runs the verb on the console; returns the process exit code.</summary>
    /// <param name="args">The arguments after the verb.</param>
    public static Task<int> RunAsync(string[] args) => RunAsync(args, Console.Out, Console.Error, CancellationToken.None);

    /// <summary>Runs the verb writing to the given writers (for tests); returns the exit code.</summary>
    /// <param name="args">The arguments after the verb.</param>
    /// <param name="stdout">Where the JSON goes.</param>
    /// <param name="stderr">Where progress and errors go.</param>
    /// <param name="ct">Cancellation.</param>
    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        string? events = null, items = null;
        var json = false;
        var seed = 42;
        for (var a = 0; a < args.Length; a++)
        {
            string? Value() => a + 1 < args.Length && !args[a + 1].StartsWith("--", StringComparison.Ordinal) ? args[++a] : null;
            switch (args[a])
            {
                case "--events": events = Value(); if (events is null) return BadArgs(stderr, "--events needs a file path"); break;
                case "--items": items = Value(); if (items is null) return BadArgs(stderr, "--items needs a file path"); break;
                case "--json": json = true; break;
                case "--seed":
                    var s = Value();
                    if (!int.TryParse(s, out seed)) return BadArgs(stderr, $"--seed needs an integer, got '{s}'");
                    break;
                case "-h": case "--help": await stderr.WriteLineAsync(Usage); return 0;
                default: return BadArgs(stderr, $"unknown argument '{args[a]}'");
            }
        }
        if (events is null) return BadArgs(stderr, "--events is required");
        events = EvaluateVerb.ResolvePath(events);
        if (!File.Exists(events)) return BadArgs(stderr, $"--events file not found: {events}");
        if (items is not null)
        {
            items = EvaluateVerb.ResolvePath(items);
            if (!File.Exists(items)) return BadArgs(stderr, $"--items file not found: {items}");
        }
        try
        {
            var clock = Stopwatch.StartNew();
            await stderr.WriteLineAsync($"evaluate-ctr: reading {events}");
            var data = OpenBanditCtrData.Load(events, items);
            await stderr.WriteLineAsync($"evaluate-ctr: {data.Impressions.Count} impressions, {data.Impressions.Count(i => i.Clicked)} clicks, " +
                                        $"{data.Rejections.Count} rejected rows ({clock.Elapsed.TotalSeconds:F1} s)");
            foreach (var r in data.Rejections.Take(5))
                await stderr.WriteLineAsync($"evaluate-ctr: rejected {Path.GetFileName(events)} row {r.Row}, column {r.Column}, value '{r.Value}': {r.Reason}");
            var report = CtrTrainer.Evaluate(data, seed, line => stderr.WriteLine($"evaluate-ctr: {line}"), ct);
            await stdout.WriteLineAsync(report.ToJson(indented: !json));
            await stderr.WriteLineAsync($"evaluate-ctr: chosen {report.Chosen.Config.Trainer} AUC {report.Chosen.Auc:F4} vs baseline " +
                                        $"{report.Baseline.Config.Trainer} AUC {report.Baseline.Auc:F4}; total {clock.Elapsed.TotalSeconds:F1} s");
            return 0;
        }
        catch (Exception e) when (e is ArgumentException or SourceFormatException or InvalidDataException)
        {
            await stderr.WriteLineAsync($"evaluate-ctr: error: {e.Message}");
            return 1;
        }
    }

    private static int BadArgs(TextWriter stderr, string message)
    {
        stderr.WriteLine($"evaluate-ctr: {message}");
        stderr.WriteLine(Usage);
        return 2;
    }
}
