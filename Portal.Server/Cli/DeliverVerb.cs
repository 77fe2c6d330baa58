using System.Text.Json;
using Portal.Core.Delivery;
using Portal.Core.PushBatches;
using Portal.Server.Hosting;

namespace Portal.Server.Cli;

/// <summary>
/// The hidden <c>deliver</c> verb: delivers one approved batch in this process, without the web host or a Hangfire
/// server, through the same <see cref="PushDeliveryService"/> the delivery job uses (same configuration: data folder,
/// database, <c>Delivery:*</c>). It keeps running until the batch is Sent, waiting for pushes that are not due yet
/// (quiet hours, retries, another worker's claim lease) up to <c>--max-wait</c> seconds at a time. For operators and
/// for the kill-and-rerun test of exactly-once delivery.
/// Usage: <c>deliver --batch N [--max-wait SECONDS]</c> (more <c>--Key value</c> pairs are configuration).
/// Prints one JSON line per run (<see cref="DeliveryRunResult"/>) on standard output.
/// Exit codes: 0 the batch is Sent, 3 it stopped in another status (paused, cancelled) or the channel is down, 2 bad
/// arguments, 1 other errors.
/// </summary>
public static class DeliverVerb
{
    private const string Usage = "usage: deliver --batch N [--max-wait SECONDS]";

    /// <summary>Runs the verb; returns the process exit code.</summary>
    /// <param name="args">The arguments after the verb.</param>
    public static async Task<int> RunAsync(string[] args)
    {
        int? batch = null;
        var maxWait = 300;
        var config = new List<string>();
        for (var a = 0; a < args.Length; a++)
        {
            switch (args[a])
            {
                case "--batch" when a + 1 < args.Length && int.TryParse(args[a + 1], out var b): batch = b; a++; break;
                case "--max-wait" when a + 1 < args.Length && int.TryParse(args[a + 1], out var w) && w >= 0: maxWait = w; a++; break;
                case "--batch" or "--max-wait":
                    await Console.Error.WriteLineAsync($"{args[a]} needs a non-negative integer.\n{Usage}");
                    return 2;
                case "-h" or "--help": await Console.Error.WriteLineAsync(Usage); return 0;
                default: config.Add(args[a]); break;
            }
        }
        if (batch is null) { await Console.Error.WriteLineAsync("--batch is required.\n" + Usage); return 2; }

        var builder = Host.CreateApplicationBuilder(config.ToArray());
        if (await DatabaseProbe.FailFastAsync(builder.Configuration, Console.Error) is { } probeExit) return probeExit;
        builder.Services.AddPortalServer(builder.Configuration, builder.Environment.ContentRootPath, queues: null);
        using var host = builder.Build();
        var delivery = host.Services.GetRequiredService<PushDeliveryService>();
        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
        try
        {
            while (true)
            {
                var result = await delivery.DeliverBatchAsync(batch.Value, stop.Token);
                await Console.Out.WriteLineAsync(JsonSerializer.Serialize(result));
                await Console.Out.FlushAsync();
                if (result.Status == PushBatchStatus.Sent) return 0;
                if (result.Status is not (PushBatchStatus.Approved or PushBatchStatus.Sending) || result.StopReason == "channel-down") return 3;
                var wait = result.NextDueAt is { } due ? due - DateTime.UtcNow : TimeSpan.Zero;
                if (wait > TimeSpan.FromSeconds(maxWait)) return 3;
                await Task.Delay(wait > TimeSpan.Zero ? wait + TimeSpan.FromMilliseconds(100) : TimeSpan.FromMilliseconds(200), stop.Token);
            }
        }
        catch (KeyNotFoundException e)
        {
            await Console.Error.WriteLineAsync(e.Message);
            return 1;
        }
        catch (OperationCanceledException)
        {
            return 3;
        }
    }
}
