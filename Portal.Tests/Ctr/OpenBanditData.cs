namespace Portal.Tests.Ctr;

/// <summary>
/// The Open Bandit men's logs (random and bts policies, 10,000 impressions each, with item_context.csv) kept with the
/// tests in Portal.Tests/TestData/open-bandit-men: Apache-2.0, from st-tech/zr-obp; cite Saito et al., "Open Bandit
/// Dataset and Pipeline", NeurIPS 2021 Datasets and Benchmarks (see SOURCE.md there). Test data, not shipped with the
/// portal.
/// </summary>
internal static class OpenBanditData
{
    private static readonly Lazy<string> Folder = new(() =>
    {
        var folder = Path.Combine(Browser.PortalServerFixture.RepositoryRoot, "Portal.Tests", "TestData", "open-bandit-men");
        return Directory.Exists(folder) ? folder : throw new DirectoryNotFoundException($"{folder} is missing (the Open Bandit men's logs, see SOURCE.md there).");
    });

    /// <summary>The impression log of a policy (<c>random</c> or <c>bts</c>).</summary>
    public static string Log(string policy) => Path.Combine(Folder.Value, policy, "men.csv.gz");

    /// <summary>The item context of a policy.</summary>
    public static string Items(string policy) => Path.Combine(Folder.Value, policy, "item_context.csv");
}
