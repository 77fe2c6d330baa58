using Portal.Server.Cli;

namespace Portal.Tests.Evaluation;

/// <summary>Argument handling and output of the <c>evaluate</c> verb.</summary>
public class EvaluateVerbTests
{
    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var o = new StringWriter(); var e = new StringWriter();
        var code = EvaluateVerb.RunAsync(args, o, e, CancellationToken.None).GetAwaiter().GetResult();
        return (code, o.ToString(), e.ToString());
    }

    [Theory]
    [InlineData("--events", "x.csv")]
    [InlineData("--model", "itemknn")]
    [InlineData("--model", "itemknn", "--events", "does-not-exist.csv")]
    [InlineData("--model", "nope", "--events", "x.csv")]
    [InlineData("--model", "itemknn", "--events", "x.csv", "--bogus")]
    [InlineData("--model")]
    public void Bad_arguments_exit_2_and_name_the_argument(params string[] args)
    {
        var (code, output, err) = Run(args);
        Assert.Equal(2, code);
        Assert.Equal("", output);
        Assert.Matches("--(model|events|bogus)", err);
    }

    [Fact]
    public void Blend_is_an_available_model_and_a_bad_param_is_named()
    {
        var (code, _, err) = Run("--model", "nope", "--events", UciFixture.DataPath());
        Assert.Equal(2, code);
        Assert.Contains("blend", err);
        (code, _, err) = Run("--model", "blend", "--events", UciFixture.DataPath(), "--param", "quota_gru");
        Assert.Equal(2, code);
        Assert.Contains("--param needs key=number, got 'quota_gru'", err);
    }

    [Fact]
    public void Popularity_prints_one_json_object()
    {
        var (code, output, _) = Run("--model", "popularity", "--events", UciFixture.DataPath(), "--json");
        Assert.Equal(0, code);
        using var doc = System.Text.Json.JsonDocument.Parse(output);
        Assert.Equal("popularity", doc.RootElement.GetProperty("model").GetString());
        Assert.Equal("2011-11-09 12:50:00", doc.RootElement.GetProperty("split").GetProperty("T").GetString());
        Assert.Equal(0.0901, Math.Round(doc.RootElement.GetProperty("all").GetProperty("ndcg@20").GetDouble(), 4));
    }
}
