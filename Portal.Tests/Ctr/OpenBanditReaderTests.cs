using Portal.Core.Data.Sources;

namespace Portal.Tests.Ctr;

/// <summary>The Open Bandit reader on real rows of the men's random log and on bad rows.</summary>
public sealed class OpenBanditReaderTests
{
    [Fact]
    public void Reads_the_first_real_rows_of_the_random_log()
    {
        using var text = SourceFile.OpenText(OpenBanditData.Log("random"));
        var rows = OpenBanditReader.ReadImpressions(text, "men.csv.gz").Take(3).ToList();

        Assert.All(rows, r => Assert.Null(r.Rejection));
        var first = rows[0].Impression!;
        // 0,2019-11-24 00:03:13.442536+00:00,14,3,0,0.029411764705882353,cef3390e…,03a5648a…,7bc94a2d…,9bde591f…,0.0 ×34
        Assert.Equal(2, first.Row);
        Assert.Equal(new DateTime(2019, 11, 24, 0, 3, 13, DateTimeKind.Utc).AddTicks(4425360), first.Timestamp);
        Assert.Equal("14", first.ItemId);
        Assert.Equal(3, first.Position);
        Assert.False(first.Click);
        Assert.Equal(1.0 / 34, first.Propensity, 15);
        Assert.Equal(["user_feature_0", "user_feature_1", "user_feature_2", "user_feature_3"], first.UserFeatures.Select(f => f.Key));
        Assert.Equal("cef3390ed299c09874189c387777674a", first.UserFeatures[0].Value);
        Assert.Equal(34, first.Affinities.Count);
        Assert.Equal("user-item_affinity_33", first.Affinities[^1].Key);
        Assert.Equal("10", rows[1].Impression!.ItemId);
    }

    [Fact]
    public void Reads_the_item_context()
    {
        using var text = SourceFile.OpenText(OpenBanditData.Items("random"));
        var items = OpenBanditReader.ReadItems(text, "item_context.csv").ToList();

        Assert.Equal(34, items.Count);
        Assert.All(items, r => Assert.Null(r.Rejection));
        var first = items[0].Item!;
        Assert.Equal("0", first.ItemId);
        Assert.Equal(-0.6771831139635117, Assert.Single(first.Numeric, n => n.Key == "item_feature_0").Value, 15);
        Assert.Equal("ceca20033d7d36b74dc683ddfb804aa7", first.Categorical[0].Value);
        Assert.Equal(3, first.Categorical.Count);
    }

    [Fact]
    public void Bad_rows_are_rejected_with_row_column_value_and_reason()
    {
        var header = ",timestamp,item_id,position,click,propensity_score,user_feature_0,user-item_affinity_0,user-item_affinity_1";
        var csv = string.Join('\n',
            header,
            "0,2019-11-24 00:03:13.442536+00:00,1,3,0,0.5,abc,0.0,1.0",
            "1,2019-11-24 00:04:00+00:00,1,2,2,0.5,abc,0.0,0.0",
            "2,yesterday,1,2,0,0.5,abc,0.0,0.0",
            "3,2019-11-24 00:05:00+00:00,x7,2,0,0.5,abc,0.0,0.0",
            "4,2019-11-24 00:05:00+00:00,1,0,0,0.5,abc,0.0,0.0",
            "5,2019-11-24 00:05:00+00:00,1,1,1,1.5,abc,0.0,0.0",
            "6,2019-11-24 00:05:00+00:00,1,1,1,0.5,,0.0,0.0",
            "7,2019-11-24 00:05:00+00:00,1,1,1,0.5,abc,0.0,high") + "\n";

        var rows = OpenBanditReader.ReadImpressions(new StringReader(csv), "men.csv").ToList();

        Assert.NotNull(rows[0].Impression);
        Assert.Equal(1.0, rows[0].Impression!.Affinities[1].Value);
        var rejected = rows.Skip(1).Select(r => r.Rejection!).ToList();
        Assert.Equal([(3L, "click", "2"), (4L, "timestamp", "yesterday"), (5L, "item_id", "x7"), (6L, "position", "0"),
                      (7L, "propensity_score", "1.5"), (8L, "user_feature_0", ""), (9L, "user-item_affinity_1", "high")],
            rejected.Select(r => (r.Row, r.Column, r.Value ?? "")));
        Assert.All(rejected, r => Assert.False(string.IsNullOrWhiteSpace(r.Reason)));
    }

    [Fact]
    public void A_header_without_a_required_column_or_with_a_gap_refuses_the_file()
    {
        var e = Assert.Throws<SourceFormatException>(() =>
            OpenBanditReader.ReadImpressions(new StringReader(",timestamp,item_id,click,propensity_score,user_feature_0\n"), "men.csv").ToList());
        Assert.Equal("men.csv", e.FileName);
        Assert.Contains("position", e.MissingColumns);

        var gap = Assert.Throws<SourceFormatException>(() => OpenBanditReader.ReadImpressions(new StringReader(
            ",timestamp,item_id,position,click,propensity_score,user-item_affinity_0,user-item_affinity_2,colour\n"), "men.csv").ToList());
        Assert.Contains("user-item_affinity_1", gap.MissingColumns);
        Assert.Contains("colour", gap.UnknownColumns);
        Assert.StartsWith("men.csv:", gap.Message);
    }
}
