using Portal.Core.Embeddings;

namespace Portal.Tests.Embeddings;

/// <summary>Tokenisation of Latin and Chinese product text.</summary>
public class TokenizerTests
{
    [Theory]
    [InlineData("LUNCH BAG RED RETROSPOT", "lunch bag red retrospot")]
    [InlineData("SET OF 3 CAKE TINS PANTRY DESIGN ", "set cake tins pantry design")]
    [InlineData("WHITE HANGING HEART T-LIGHT HOLDER", "white hanging heart light holder")]
    [InlineData("Shower gel 50 ML, lavender", "shower gel 50ml lavender")]
    [InlineData("Hand cream 50ML", "hand cream 50ml")]
    [InlineData("Lenovo P50 laptop 3.5mm jack", "lenovo p50 laptop 3.5mm jack")]
    public void Latin_text(string text, string expected) =>
        Assert.Equal(expected.Split(' '), TextTokenizer.Tokenize(text));

    [Fact]
    public void Chinese_and_mixed_text()
    {
        var phone = TextTokenizer.Tokenize("华为 Mate 60 Pro 手机");
        Assert.Equal(["华为", "mate", "60", "pro", "手机"], phone);
        var shirt = TextTokenizer.Tokenize("纯棉男士T恤 的 夏季");
        Assert.Contains("纯棉", shirt);
        Assert.Contains("男士", shirt);
        Assert.DoesNotContain("的", shirt);
        Assert.DoesNotContain(shirt, t => string.IsNullOrWhiteSpace(t));
        Assert.Equal(["洗发水", "500ml"], TextTokenizer.Tokenize("洗发水 500 ml"));
        Assert.Empty(TextTokenizer.Tokenize("  "));
    }
}
