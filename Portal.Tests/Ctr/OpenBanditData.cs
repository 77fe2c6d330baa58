namespace Portal.Tests.Ctr;

/// <summary>The Open Bandit men's logs in the shared data folder (shared/data/open-bandit-men, beside the repository).</summary>
internal static class OpenBanditData
{
    private static readonly Lazy<string> Folder = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "data", "open-bandit-men");
            if (Directory.Exists(candidate)) return candidate;
        }
        throw new DirectoryNotFoundException("shared/data/open-bandit-men was not found above " + AppContext.BaseDirectory +
                                             " (the Open Bandit men's logs, see shared/data/open-bandit-men/SOURCE.md).");
    });

    /// <summary>The impression log of a policy (<c>random</c> or <c>bts</c>).</summary>
    public static string Log(string policy) => Path.Combine(Folder.Value, policy, "men.csv.gz");

    /// <summary>The item context of a policy.</summary>
    public static string Items(string policy) => Path.Combine(Folder.Value, policy, "item_context.csv");
}
