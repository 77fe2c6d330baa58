using Portal.Server.Cli;

namespace Portal.Tests.Ctr;

/// <summary>Argument handling and bad input of the <c>evaluate-ctr</c> verb (its numbers are tested through <see cref="Portal.Core.Ctr.CtrTrainer"/>).</summary>
public sealed class EvaluateCtrVerbTests
{
    private static async Task<(int Code, string Out, string Err)> RunAsync(params string[] args)
    {
        var o = new StringWriter(); var e = new StringWriter();
        var code = await EvaluateCtrVerb.RunAsync(args, o, e, CancellationToken.None);
        return (code, o.ToString(), e.ToString());
    }

    [Theory]
    [InlineData("--json")]
    [InlineData("--events")]
    [InlineData("--events", "does-not-exist.csv.gz")]
    [InlineData("--events", "x.csv", "--bogus")]
    [InlineData("--seed", "many")]
    public async Task Bad_arguments_exit_2_and_name_the_argument(params string[] args)
    {
        var (code, output, err) = await RunAsync(args);
        Assert.Equal(2, code);
        Assert.Equal("", output);
        Assert.Matches("--(events|bogus|seed)", err);
    }

    [Fact]
    public async Task A_file_that_is_not_an_Open_Bandit_log_exits_1_naming_file_and_columns()
    {
        var path = Path.Combine(Path.GetTempPath(), $"not-obd-{Guid.NewGuid():n}.csv");
        await File.WriteAllTextAsync(path, "user_id,item_id,timestamp,event_type\nu,i,2024-01-01,view\n");
        try
        {
            var (code, output, err) = await RunAsync("--events", path, "--json");
            Assert.Equal(1, code);
            Assert.Equal("", output);
            Assert.Contains(Path.GetFileName(path), err);
            Assert.Contains("missing column(s)", err);
            Assert.Contains("position", err);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public async Task Too_few_clicks_for_an_AUC_is_a_clear_error()
    {
        var path = Path.Combine(Path.GetTempPath(), $"obd-{Guid.NewGuid():n}.csv");
        var lines = new List<string> { ",timestamp,item_id,position,click,propensity_score,user_feature_0,user-item_affinity_0" };
        for (var i = 0; i < 100; i++) lines.Add($"{i},2019-11-24 00:{i / 60:00}:{i % 60:00}+00:00,0,1,0,0.5,a,0.0");
        await File.WriteAllLinesAsync(path, lines);
        try
        {
            var (code, _, err) = await RunAsync("--events", path);
            Assert.Equal(1, code);
            Assert.Contains("0 clicks", err);
        }
        finally { File.Delete(path); }
    }
}
