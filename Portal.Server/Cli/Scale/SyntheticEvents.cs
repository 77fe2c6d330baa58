using System.Globalization;
using System.IO.Compression;
using System.Text;

namespace Portal.Server.Cli.Scale;

/// <summary>Sizes and shape of a synthetic behaviour log (<see cref="SyntheticEvents"/>).</summary>
public sealed record SyntheticOptions
{
    /// <summary>Customers (≥ 1; default 1,000,000). Every customer gets at least one event.</summary>
    public int Customers { get; init; } = 1_000_000;
    /// <summary>Products (≥ 1; default 100,000).</summary>
    public int Products { get; init; } = 100_000;
    /// <summary>Events in total (≥ <see cref="Customers"/>; default 20,000,000).</summary>
    public long Events { get; init; } = 20_000_000;
    /// <summary>Zipf exponent of item popularity (default 1.0: the k-th most popular item is bought about 1/k as often as the first).</summary>
    public double ItemZipf { get; init; } = 1.0;
    /// <summary>Pareto tail index of events per customer (default 1.5: most customers have a few events, a few have thousands).</summary>
    public double UserPareto { get; init; } = 1.5;
    /// <summary>Days the log spans, ending at <see cref="End"/> (default 365).</summary>
    public int Days { get; init; } = 365;
    /// <summary>Last instant of the log (UTC; default 2025-12-31).</summary>
    public DateTime End { get; init; } = new(2025, 12, 31, 23, 59, 59, DateTimeKind.Utc);
    /// <summary>Random seed (same seed and sizes: the same file).</summary>
    public int Seed { get; init; } = 42;
}

/// <summary>
/// Writes a synthetic behaviour log in the generic events CSV format of shared/FORMATS.md
/// (<c>user_id,item_id,timestamp,event_type,quantity,price</c>, time-ordered; gzip when the name ends in <c>.gz</c>) with the
/// skew of real shop logs, for the scale benchmark only (never for model quality):
/// <list type="bullet">
/// <item>item popularity follows Zipf's law (exponent <see cref="SyntheticOptions.ItemZipf"/>) over a random ranking of the products;</item>
/// <item>events per customer follow a Pareto (power-law) distribution with tail index <see cref="SyntheticOptions.UserPareto"/>, scaled to the total, at least 1, at most 1 % of the events;</item>
/// <item>products fall in 1 category per 500 products; each customer prefers 1 to 3 categories: an event re-uses one of the customer's earlier items (30 %), picks in a preferred category by the category's own Zipf ranking (50 %) or anywhere by global popularity (20 %), so that co-occurrence models have a signal;</item>
/// <item>each customer becomes active at a uniform instant of the span and stays active to its end; the customer's events fall uniformly (a Poisson process) in that window;</item>
/// <item>event types: view 60 %, click 15 %, cart 10 %, favorite 3 %, purchase 12 % (purchases carry a quantity of 1 to 4 and the product's price).</item>
/// </list>
/// Memory: about 17 bytes per event (kept to sort by time) plus 1 MB per 100,000 products.
/// </summary>
public static class SyntheticEvents
{
    private static readonly string[] TypeNames = ["view", "click", "cart", "favorite", "purchase"];

    /// <summary>Generates the events and writes them to <paramref name="path"/>.</summary>
    /// <param name="path">Output file (<c>.csv</c> or <c>.csv.gz</c>); its folder is created.</param>
    /// <param name="options">Sizes and shape.</param>
    /// <param name="progress">Progress lines (may be null).</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>The number of events written.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A size below 1, or fewer events than customers.</exception>
    public static long Write(string path, SyntheticOptions options, TextWriter? progress, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Customers, 1, nameof(options.Customers));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Products, 1, nameof(options.Products));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Events, options.Customers, nameof(options.Events));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.Events, (long)Array.MaxLength, nameof(options.Events));
        var random = new Random(options.Seed);
        int n = (int)options.Events, products = options.Products;

        // Products: a random popularity ranking, categories, prices (log-normal around 12).
        var byRank = Enumerable.Range(0, products).ToArray();
        random.Shuffle(byRank);
        var globalCdf = ZipfCdf(products, options.ItemZipf);
        var categories = Math.Max(1, products / 500);
        var categoryItems = new List<int>[categories];
        for (var c = 0; c < categories; c++) categoryItems[c] = [];
        foreach (var item in byRank) categoryItems[random.Next(categories)].Add(item); // in popularity order within the category
        var categoryCdfs = categoryItems.Select(l => ZipfCdf(Math.Max(1, l.Count), options.ItemZipf)).ToArray();
        var price = new float[products];
        for (var i = 0; i < products; i++) price[i] = (float)Math.Round(Math.Exp(Math.Log(12) + 0.8 * Gaussian(random)), 2);

        // Events per customer: Pareto, scaled to the total.
        var counts = new double[options.Customers];
        double sum = 0, cap = Math.Max(1, options.Events / 100.0);
        for (var u = 0; u < counts.Length; u++) sum += counts[u] = Math.Min(cap, Math.Pow(1 - random.NextDouble(), -1 / options.UserPareto));
        var perUser = new int[options.Customers];
        long assigned = 0;
        var extra = options.Events - options.Customers;
        for (var u = 0; u < counts.Length; u++) assigned += perUser[u] = 1 + (int)(counts[u] / sum * extra);
        for (var u = 0; assigned < options.Events; u = (u + 1) % perUser.Length, assigned++) perUser[u]++; // rounding rest

        var users = new int[n];
        var items = new int[n];
        var ticks = new long[n];
        var types = new byte[n];
        var start = options.End.AddDays(-options.Days).Ticks;
        var span = options.End.Ticks - start;
        var e = 0;
        var history = new List<int>();
        var times = new long[64];
        Span<int> preferred = stackalloc int[3];
        for (var u = 0; u < perUser.Length; u++)
        {
            ct.ThrowIfCancellationRequested();
            var count = perUser[u];
            var nPreferred = 1 + random.Next(3);
            for (var p = 0; p < nPreferred; p++) preferred[p] = random.Next(categories);
            // Active from a uniform instant of the span to its end; the customer's events are uniform in that window, in time order.
            var first = start + (long)(random.NextDouble() * span);
            if (times.Length < count) times = new long[Math.Max(count, times.Length * 2)];
            for (var k = 0; k < count; k++) times[k] = first + (long)(random.NextDouble() * (options.End.Ticks - first));
            Array.Sort(times, 0, count);
            history.Clear();
            for (var k = 0; k < count; k++, e++)
            {
                var r = random.NextDouble();
                int item;
                if (r < 0.3 && history.Count > 0) item = history[random.Next(history.Count)];
                else if (r < 0.8)
                {
                    var c = preferred[random.Next(nPreferred)];
                    item = categoryItems[c].Count == 0 ? byRank[Sample(globalCdf, random)] : categoryItems[c][Sample(categoryCdfs[c], random)];
                }
                else item = byRank[Sample(globalCdf, random)];
                history.Add(item);
                users[e] = u;
                items[e] = item;
                ticks[e] = times[k];
                var kind = random.NextDouble();
                types[e] = (byte)(kind < 0.60 ? 0 : kind < 0.75 ? 1 : kind < 0.85 ? 2 : kind < 0.88 ? 3 : 4);
            }
            if (u % 100_000 == 0 && u > 0) progress?.WriteLine($"  generated {e:N0} events ({u:N0} customers)");
        }

        progress?.WriteLine($"  sorting {n:N0} events by time");
        var order = Enumerable.Range(0, n).ToArray();
        Array.Sort(ticks, order);

        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        using var file = File.Create(path + ".tmp");
        using (Stream stream = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(file, CompressionLevel.Fastest) : file)
        using (var writer = new StreamWriter(stream, new UTF8Encoding(false), 1 << 20))
        {
            writer.WriteLine("user_id,item_id,timestamp,event_type,quantity,price");
            for (var i = 0; i < n; i++)
            {
                var j = order[i];
                var type = types[j];
                writer.Write('c'); writer.Write(users[j].ToString(CultureInfo.InvariantCulture));
                writer.Write(",p"); writer.Write(items[j].ToString(CultureInfo.InvariantCulture));
                writer.Write(','); writer.Write(new DateTime(ticks[i], DateTimeKind.Utc).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture));
                writer.Write(','); writer.Write(TypeNames[type]);
                if (type == 4)
                {
                    writer.Write(','); writer.Write((1 + (users[j] ^ items[j]) % 4).ToString(CultureInfo.InvariantCulture));
                    writer.Write(','); writer.Write(price[items[j]].ToString("0.00", CultureInfo.InvariantCulture));
                }
                else writer.Write(",,");
                writer.Write('\n');
                if (i % 2_000_000 == 0 && i > 0) { ct.ThrowIfCancellationRequested(); progress?.WriteLine($"  written {i:N0} events"); }
            }
        }
        File.Move(path + ".tmp", path, overwrite: true);
        return n;
    }

    /// <summary>Cumulative Zipf weights 1/(r+1)^s over ranks 0..n-1, normalised to end at 1.</summary>
    private static double[] ZipfCdf(int n, double s)
    {
        var cdf = new double[n];
        double sum = 0;
        for (var r = 0; r < n; r++) cdf[r] = sum += Math.Pow(r + 1, -s);
        for (var r = 0; r < n; r++) cdf[r] /= sum;
        return cdf;
    }

    /// <summary>Inverse-CDF sample: the first rank whose cumulative weight reaches a uniform draw.</summary>
    private static int Sample(double[] cdf, Random random)
    {
        var i = Array.BinarySearch(cdf, random.NextDouble());
        return Math.Min(cdf.Length - 1, i < 0 ? ~i : i);
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
