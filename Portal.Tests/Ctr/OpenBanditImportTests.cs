using Microsoft.EntityFrameworkCore;
using Portal.Core.Data.Import;
using Portal.Core.Data.Sources;
using Portal.Core.Feedback;
using Portal.Tests.Import;

namespace Portal.Tests.Ctr;

/// <summary>The Open Bandit men's random log imported into a real SQLite database as impressions and clicks.</summary>
public sealed class OpenBanditImportTests
{
    [Fact]
    public async Task Impressions_and_clicks_match_the_file_and_a_second_import_adds_nothing()
    {
        using var f = new ImportFixture();
        var path = OpenBanditData.Log("random");

        var run = await f.ImportAsync(path);

        Assert.True(run.Status == ImportStatus.Succeeded, run.Message);
        Assert.Equal(ImportFormat.OpenBandit, run.Format);
        Assert.Equal(10_000, run.RowsRead);
        Assert.Equal(0, run.RowsRejected);
        Assert.Equal(10_046, run.EventsAdded);
        await using (var db = f.Db.CreateContext())
        {
            var merchant = await db.Merchants.SingleAsync(m => m.Code == OpenBanditReader.MerchantCode);
            Assert.Equal(10_000, await db.FeedbackEvents.CountAsync(e => e.Kind == FeedbackKind.Impression && e.MerchantId == merchant.Id));
            Assert.Equal(46, await db.FeedbackEvents.CountAsync(e => e.Kind == FeedbackKind.Click));
            Assert.Equal(0, await db.Events.CountAsync());
            // Every click sits beside its impression (same key, position and time).
            var clicks = await db.FeedbackEvents.Where(e => e.Kind == FeedbackKind.Click).ToListAsync();
            var keys = clicks.Select(c => c.ImpressionKey).ToList();
            var shown = await db.FeedbackEvents.Where(e => e.Kind == FeedbackKind.Impression && keys.Contains(e.ImpressionKey)).ToListAsync();
            Assert.Equal(46, shown.Count);
            Assert.All(clicks, c => Assert.Contains(shown, s => s.ImpressionKey == c.ImpressionKey && s.Position == c.Position && s.Timestamp == c.Timestamp));
            var first = await db.FeedbackEvents.OrderBy(e => e.SourceLine).FirstAsync();
            Assert.Equal(2, first.SourceLine);
            Assert.Null(first.CustomerId);
            Assert.Equal(3, first.Position);
            Assert.Equal(1.0 / 34, first.Propensity!.Value, 12);
            Assert.Contains("\"user_feature_0\":\"cef3390ed299c09874189c387777674a\"", first.ContextJson);
            // item_context.csv beside the log: 34 products with their features.
            var products = await db.Products.Where(p => p.MerchantId == merchant.Id).ToListAsync();
            Assert.Equal(34, products.Count);
            Assert.All(products, p => Assert.Contains("\"item_feature_0\":", p.AttributesJson));
        }

        var again = await f.ImportAsync(path);

        Assert.Equal(ImportStatus.Succeeded, again.Status);
        Assert.Equal(0, again.EventsAdded);
        Assert.Equal(10_046, again.DuplicateEvents);
        await using var check = f.Db.CreateContext();
        Assert.Equal(10_046, await check.FeedbackEvents.CountAsync());
        Assert.Equal(34, await check.Products.CountAsync());
    }

    [Fact]
    public async Task Bad_rows_are_listed_and_a_bad_header_stores_nothing()
    {
        using var f = new ImportFixture();
        var good = f.WriteFile("log.csv", string.Join('\n',
            ",timestamp,item_id,position,click,propensity_score,user_feature_0,user-item_affinity_0",
            "0,2019-11-24 00:03:13+00:00,0,1,1,0.5,abc,0.0",
            "1,2019-11-24 00:03:14+00:00,0,2,maybe,0.5,abc,0.0") + "\n");

        var run = await f.ImportAsync(good);

        Assert.Equal(ImportStatus.Succeeded, run.Status);
        Assert.Equal(2, run.EventsAdded); // one impression + its click
        var rejection = Assert.Single(run.Rejections);
        Assert.Equal((3L, "click", "maybe"), (rejection.Row, rejection.Column, rejection.Value));

        var bad = f.WriteFile("bad.csv", ",timestamp,item_id,position,click,propensity_score,user_feature_0,user-item_affinity_1\n0,2019-11-24,0,1,0,0.5,a,0\n");
        var refused = await f.ImportAsync(bad);
        Assert.Equal(ImportStatus.Failed, refused.Status);
        Assert.Contains("bad.csv", refused.Message);
        Assert.Contains("user-item_affinity_0", refused.Message);
        await using var db = f.Db.CreateContext();
        Assert.Equal(2, await db.FeedbackEvents.CountAsync());
    }
}
