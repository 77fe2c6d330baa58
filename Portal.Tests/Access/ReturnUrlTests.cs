using Portal.Client;

namespace Portal.Tests.Access;

/// <summary>The login page's return URL must stay on this site (no open redirect).</summary>
public class ReturnUrlTests
{
    [Theory]
    [InlineData("/", true)]
    [InlineData("/campaigns/3?tab=batches", true)]
    [InlineData("//evil.example", false)]
    [InlineData("/\\evil.example", false)]
    [InlineData("/\t/evil.example", false)]   // browsers drop the tab: "//evil.example"
    [InlineData("/\n/evil.example", false)]
    [InlineData("https://evil.example/", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void Only_local_paths_without_control_characters_are_followed(string? uri, bool local) =>
        Assert.Equal(local, PortalUrls.IsLocalPath(uri));
}
