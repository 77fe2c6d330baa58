using Portal.Core.Behavior;
using Portal.Core.Evaluation;
using Portal.Server.Cli;
using Portal.Server.Cli.Scale;

namespace Portal.Tests.Scale;

/// <summary>
/// The synthetic log of the scale benchmark is a valid generic events file with the promised skew, and
/// <c>bench scale</c> runs its whole path (real import into SQLite, ItemKNN, preview, push lists) on a small one.
/// Sizes here are tiny: speed is measured by the bench verb, not by tests.
/// </summary>
/// <remarks>
/// <c>bench scale</c> builds the portal's services in this process (AddHangfire points Hangfire's global log provider
/// at its logger factory, then disposes it): these tests run alone and give Hangfire its default provider back.
/// </remarks>
[Collection(Portal.Tests.Deployment.HangfireGlobalStateCollection.Name)]
public class ScaleBenchmarkTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "portal-scale-tests-" + Guid.NewGuid().ToString("n"));

    public ScaleBenchmarkTests() => Directory.CreateDirectory(_dir);

    public void Dispose()
    {
        Hangfire.Logging.LogProvider.SetCurrentLogProvider(null);
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public void Synthetic_file_reads_as_generic_events_with_zipf_items_power_law_users_and_a_year_of_time()
    {
        var file = Path.Combine(_dir, "events.csv.gz");
        var options = new SyntheticOptions { Customers = 5_000, Products = 2_000, Events = 200_000, Seed = 3 };
        Assert.Equal(200_000, SyntheticEvents.Write(file, options, null, CancellationToken.None));

        // Read back through the portal's own reader of the FORMATS.md generic CSV.
        var events = EventFiles.Load(file).Events;
        Assert.Equal(200_000, events.Count);
        Assert.Equal(5_000, events.Select(e => e.UserId).Distinct().Count()); // every customer has an event
        Assert.True(events.Select(e => e.ItemId).Distinct().Count() > 1_500);
        Assert.All(events, e => Assert.InRange(e.Timestamp, options.End.AddDays(-options.Days), options.End));
        Assert.True(events.Zip(events.Skip(1)).All(p => p.First.Timestamp <= p.Second.Timestamp), "events are in time order");
        Assert.Contains(events, e => e.Type == EventType.Purchase);
        Assert.Contains(events, e => e.Type == EventType.View);

        // Items: Zipf. The most popular 1 % of items hold far more than 1 % of the events, and the head is heavy.
        var items = events.GroupBy(e => e.ItemId).Select(g => g.Count()).OrderDescending().ToArray();
        Assert.True(items.Take(20).Sum() > 0.15 * events.Count, $"top 20 items hold {items.Take(20).Sum()} events");
        Assert.True(items[0] > 10 * items[items.Length / 2]);
        // Users: power law. The busiest 10 % of customers hold most events, the median customer has few.
        var users = events.GroupBy(e => e.UserId).Select(g => g.Count()).OrderDescending().ToArray();
        Assert.True(users.Take(users.Length / 10).Sum() > 0.4 * events.Count);
        Assert.True(users[0] > 20 * users[users.Length / 2]);

        // Same seed and sizes, same file.
        var again = Path.Combine(_dir, "again.csv.gz");
        SyntheticEvents.Write(again, options, null, CancellationToken.None);
        Assert.Equal(EventFiles.Load(file).Sha256, EventFiles.Load(again).Sha256);
    }

    [Theory]
    [InlineData("--customers", "0")]
    [InlineData("--events", "many")]
    [InlineData("--bogus", "1")]
    public void Generate_verb_refuses_bad_arguments_with_exit_code_2(string name, string value)
    {
        var stderr = new StringWriter();
        Assert.Equal(2, GenerateSyntheticVerb.Run(["--out", Path.Combine(_dir, "x.csv"), name, value], new StringWriter(), stderr, CancellationToken.None));
        Assert.Contains(name, stderr.ToString());
        Assert.False(File.Exists(Path.Combine(_dir, "x.csv")));
    }

    [Fact]
    public void Generate_verb_refuses_fewer_events_than_customers()
    {
        var stderr = new StringWriter();
        Assert.Equal(2, GenerateSyntheticVerb.Run(["--out", Path.Combine(_dir, "x.csv"), "--customers", "10", "--events", "5"], new StringWriter(), stderr, CancellationToken.None));
        Assert.Contains("at least --customers", stderr.ToString());
    }

    [Fact]
    public void Bench_scale_imports_trains_previews_and_pushes_on_a_small_synthetic_file()
    {
        var file = Path.Combine(_dir, "small.csv");
        var stdout = new StringWriter();
        Assert.Equal(0, GenerateSyntheticVerb.Run(["--out", file, "--customers", "1000", "--products", "300", "--events", "20000"], stdout, new StringWriter(), CancellationToken.None));
        Assert.Contains("events=20000", stdout.ToString());

        var output = new StringWriter();
        var stderr = new StringWriter();
        var code = BenchVerb.Run(["scale", "--events", file, "--sample", "50", "--param", "push_customers=200", "--param", "gru_events=0", "--param", "keep=1"], output, stderr, CancellationToken.None);
        Assert.True(code == 0, stderr.ToString());
        var kept = System.Text.RegularExpressions.Regex.Match(stderr.ToString(), @"data folder kept: (\S+)").Groups[1].Value;
        Assert.True(Directory.Exists(kept), stderr.ToString());
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        string Phase(string name) => Assert.Single(lines, l => l.StartsWith($"bench=scale phase={name} ", StringComparison.Ordinal));
        // Every event of the file went through the real import; every customer got a push list.
        Assert.Contains("rows=20000 events=20000 customers=1000 products=300 rejected=0", Phase("import"));
        Assert.Contains("interactions=20000 users=1000", Phase("load"));
        Assert.Contains("fit_seconds=", Phase("itemknn"));
        Assert.Contains("customers=50 p50_ms=", Phase("preview"));
        Assert.Contains("customers=200 ", Phase("push"));
        Assert.DoesNotContain(lines, l => l.Contains("phase=gru"));
        Assert.All(lines, l => Assert.Matches(@"peak_working_set_mb=[1-9]\d*$", l.TrimEnd()));

        try
        {
            // The kept folder reruns every phase after the import.
            var again = new StringWriter();
            var againErr = new StringWriter();
            code = BenchVerb.Run(["scale", "--events", file, "--sample", "20", "--param", "push_customers=50", "--param", "gru_events=0", "--param", "reuse=1", "--data-dir", kept], again, againErr, CancellationToken.None);
            Assert.True(code == 0, againErr.ToString());
            Assert.DoesNotContain("phase=import", again.ToString());
            Assert.Contains("bench=scale phase=load interactions=20000 users=1000", again.ToString());
            Assert.Contains("bench=scale phase=push customers=50 ", again.ToString());
            Assert.True(Directory.Exists(kept));

            // Anything else, such as the portal's own data folder, is refused before it is touched.
            var refused = new StringWriter();
            code = BenchVerb.Run(["scale", "--events", file, "--param", "reuse=1", "--data-dir", _dir], new StringWriter(), refused, CancellationToken.None);
            Assert.Equal(1, code);
            Assert.Contains("not a folder kept by an earlier 'bench scale --param keep=1' run", refused.ToString());
        }
        finally
        {
            Directory.Delete(kept, recursive: true);
        }
    }
}
