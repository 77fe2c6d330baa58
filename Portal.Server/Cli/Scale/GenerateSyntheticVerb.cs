using System.Diagnostics;
using System.Globalization;

namespace Portal.Server.Cli.Scale;

/// <summary>
/// The <c>generate-synthetic</c> verb: writes a synthetic events file for the scale benchmark (<see cref="SyntheticEvents"/>).
/// Usage: <c>generate-synthetic --out FILE [--customers N] [--products N] [--events N] [--seed N]</c>; defaults
/// 1,000,000 customers, 100,000 products, 20,000,000 events. Exit codes: 0 written, 2 bad arguments, 1 other errors.
/// </summary>
public static class GenerateSyntheticVerb
{
    private const string Usage = "usage: generate-synthetic --out FILE[.gz] [--customers N] [--products N] [--events N] [--seed N]";

    /// <summary>Runs the verb on the console; returns the exit code.</summary>
    /// <param name="args">The arguments after <c>generate-synthetic</c>.</param>
    public static int Run(string[] args) => Run(args, Console.Out, Console.Error, CancellationToken.None);

    /// <summary>Runs the verb with the given writers (tests); returns the exit code.</summary>
    /// <param name="args">The arguments after the verb.</param>
    /// <param name="stdout">One summary line goes here.</param>
    /// <param name="stderr">Progress and errors.</param>
    /// <param name="ct">Cancellation.</param>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        var options = new SyntheticOptions();
        string? output = null;
        for (var a = 0; a < args.Length; a++)
        {
            var value = a + 1 < args.Length ? args[a + 1] : null;
            long n = 0;
            var isNumber = value is not null && long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out n) && n > 0;
            switch (args[a])
            {
                case "--out" when value is not null: output = value; a++; break;
                case "--customers" when isNumber && n <= int.MaxValue: options = options with { Customers = (int)n }; a++; break;
                case "--products" when isNumber && n <= int.MaxValue: options = options with { Products = (int)n }; a++; break;
                case "--events" when isNumber: options = options with { Events = n }; a++; break;
                case "--seed" when isNumber && n <= int.MaxValue: options = options with { Seed = (int)n }; a++; break;
                case "-h" or "--help": stderr.WriteLine(Usage); return 0;
                default:
                    stderr.WriteLine($"generate-synthetic: bad argument '{args[a]}' (numbers are positive integers)");
                    stderr.WriteLine(Usage);
                    return 2;
            }
        }
        if (output is null) { stderr.WriteLine("generate-synthetic: --out is required"); stderr.WriteLine(Usage); return 2; }
        if (options.Events < options.Customers)
        {
            stderr.WriteLine($"generate-synthetic: --events ({options.Events}) must be at least --customers ({options.Customers}): every customer has an event");
            return 2;
        }
        var clock = Stopwatch.StartNew();
        stderr.WriteLine($"generate-synthetic: {options.Customers:N0} customers, {options.Products:N0} products, {options.Events:N0} events -> {output}");
        try
        {
            var written = SyntheticEvents.Write(output, options, stderr, ct);
            stdout.WriteLine($"generate-synthetic file={output} customers={options.Customers} products={options.Products} events={written} " +
                             $"bytes={new FileInfo(output).Length} seconds={clock.Elapsed.TotalSeconds:F1} seed={options.Seed}");
            return 0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            stderr.WriteLine($"generate-synthetic: error: {e.Message}");
            return 1;
        }
    }
}
