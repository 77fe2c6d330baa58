using Microsoft.EntityFrameworkCore;
using Portal.Core.Campaigns;
using Portal.Core.Catalog;
using Portal.Core.PushBatches;
using Portal.Core.PushLists;

namespace Portal.Tests.Campaigns;

/// <summary>
/// Audience resolution, batch building (caps, quiet hours, idempotency, all-or-nothing, summary) on the real UCI sample
/// with a really trained blend model and a real segmentation run.
/// </summary>
[Collection(CampaignCollection.Name)]
public class PushBatchBuilderTests(CampaignFixture f)
{
    private static DateTime Utc(int y, int mo, int d, int h, int mi = 0) => new(y, mo, d, h, mi, 0, DateTimeKind.Utc);

    private static void UseList(CampaignInput input, IEnumerable<string> ids)
    {
        input.AudienceKind = AudienceKind.UploadedList;
        input.CustomerIds = ids.ToList();
        input.ListFileName = "test.csv";
    }

    /// <summary>A batch of another campaign that holds planted earlier pushes.</summary>
    private PushBatch Holder(string name, PushBatchStatus status = PushBatchStatus.Sent)
    {
        var other = f.Create(name);
        using var db = f.Database.CreateContext();
        var batch = new PushBatch { MerchantId = f.MerchantId, CampaignId = other.Id, ScheduledFor = Utc(2025, 1, 1, 0), CreatedAt = DateTime.UtcNow, CreatedByUserId = "other", Status = status };
        db.PushBatches.Add(batch);
        db.SaveChanges();
        return batch;
    }

    private void Plant(PushBatch holder, int customerId, DateTime notBefore, PushDeliveryStatus status = PushDeliveryStatus.Pending, string? key = null)
    {
        using var db = f.Database.CreateContext();
        db.PushMessages.Add(new PushMessage
        {
            MerchantId = f.MerchantId, BatchId = holder.Id, CustomerId = customerId, ItemsJson = "[]", NotBefore = notBefore, Status = status,
            IdempotencyKey = key ?? $"planted-{Guid.NewGuid():n}",
        });
        db.SaveChanges();
    }

    [Fact]
    public async Task Audience_resolution_per_criterion_matches_the_latest_tiers()
    {
        await using var db = f.Database.CreateContext();
        var tiers = await db.CustomerTiers.AsNoTracking().Where(t => t.SegmentationRunId == f.RunId).ToListAsync();
        async Task<List<int>> Resolve(CampaignAudience a) => (await CampaignAudiences.ResolveAsync(db, f.MerchantId, a, default)).Select(m => m.CustomerId).ToList();
        List<int> Expect(Func<Portal.Core.Tiers.CustomerTier, bool> p) => tiers.Where(p).Select(t => t.CustomerId).Order().ToList();

        // The largest segment whose customers are in at least two lifecycle stages (so that AND with a stage narrows it).
        var segment = tiers.Where(t => t.Segment != null).GroupBy(t => t.Segment!).Where(g => g.Select(t => t.Lifecycle).Distinct().Count() > 1)
            .OrderByDescending(g => g.Count()).First().Key;
        var stage = tiers.Where(t => t.Segment == segment).GroupBy(t => t.Lifecycle).OrderByDescending(g => g.Count()).First().Key;
        var segmentOnly = await Resolve(new CampaignAudience { Segments = [segment] });
        Assert.NotEmpty(segmentOnly);
        Assert.Equal(Expect(t => t.Segment == segment), segmentOnly);
        Assert.Equal(Expect(t => t.Lifecycle == "active" || t.Lifecycle == "new"), await Resolve(new CampaignAudience { LifecycleStages = ["active", "new"] }));
        var topic = tiers.Where(t => t.TopicId != null).GroupBy(t => t.TopicId!.Value).OrderByDescending(g => g.Count()).First().Key;
        Assert.Equal(Expect(t => t.TopicId == topic), await Resolve(new CampaignAudience { TopicIds = [topic] }));
        Assert.Equal(Expect(t => t.Cluster is 1 or 2), await Resolve(new CampaignAudience { Clusters = [1, 2] }));
        // Criteria combine with AND.
        var both = await Resolve(new CampaignAudience { Segments = [segment], LifecycleStages = [stage] });
        Assert.Equal(Expect(t => t.Segment == segment && t.Lifecycle == stage), both);
        Assert.InRange(both.Count, 1, segmentOnly.Count - 1);
        // No criterion: every customer with events on the merchant's products.
        var withEvents = await db.Events.Select(e => e.CustomerId).Distinct().OrderBy(x => x).ToListAsync();
        Assert.Equal(withEvents, await Resolve(new CampaignAudience()));
        // An uploaded list: its known customers only.
        var some = await db.Customers.OrderBy(c => c.Id).Take(3).ToListAsync();
        Assert.Equal(some.Select(c => c.Id), await Resolve(new CampaignAudience { Kind = AudienceKind.UploadedList, CustomerIds = [.. some.Select(c => c.ExternalId), "no-such"] }));
        // Another merchant without events on its products reaches nobody.
        var other = new Merchant { Code = "other-" + Guid.NewGuid().ToString("n")[..6], Name = "Other shop" };
        db.Merchants.Add(other);
        await db.SaveChangesAsync();
        Assert.Empty(await CampaignAudiences.ResolveAsync(db, other.Id, new CampaignAudience(), default));
        Assert.Empty(await CampaignAudiences.ResolveAsync(db, other.Id, new CampaignAudience { Kind = AudienceKind.UploadedList, CustomerIds = [some[0].ExternalId] }, default));
        // The form's preview counts the same audience.
        Assert.Equal(segmentOnly.Count, await f.Campaigns.PreviewAudienceSizeAsync(f.Merchant, f.MerchantId, new CampaignInput { Segments = [segment] }));
    }

    [Fact]
    public async Task A_batch_is_built_once_per_occurrence_restricted_to_the_campaign_and_its_summary_comes_from_the_stored_pushes()
    {
        var customers = f.Customers().Take(40).ToList();
        var campaign = f.Create("summary", i => { UseList(i, customers.Select(c => c.ExternalId)); i.PriceMin = 1; i.PriceMax = 5; i.ListSize = 5; });
        var at = Utc(2026, 2, 1, 10);
        var first = await f.Builder.BuildAsync(campaign.Id, at);
        Assert.True(first.Created);
        var batch = first.Batch!;
        Assert.Equal(PushBatchStatus.PendingApproval, batch.Status);
        Assert.Equal("u-merchant", batch.CreatedByUserId);

        // A rerun of the same occurrence (the builder, and the Hangfire job method) returns the stored batch.
        var again = await f.Builder.BuildAsync(campaign.Id, at);
        Assert.False(again.Created);
        Assert.Equal(batch.Id, again.Batch!.Id);
        Assert.Equal(batch.Id, await new CampaignBatchJob(f.Builder, f.Database.Factory).BuildAtAsync(campaign.Id, at, default));

        await using var db = f.Database.CreateContext();
        Assert.Equal(1, await db.PushBatches.CountAsync(b => b.CampaignId == campaign.Id));
        var stored = await db.PushBatches.SingleAsync(b => b.Id == batch.Id);
        var summary = PushBatchSummaries.FromJson(stored.SummaryJson)!;
        var pushes = await db.PushMessages.AsNoTracking().Where(m => m.BatchId == batch.Id).OrderBy(m => m.CustomerId).ToListAsync();
        Assert.NotEmpty(pushes);
        var lists = pushes.Select(p => PushMessageItem.FromJson(p.ItemsJson)).ToList();
        var products = await db.Products.AsNoTracking().ToDictionaryAsync(p => p.ExternalId);

        // Restricted to the campaign: list size and price band (the band only works because prices are loaded now).
        Assert.All(lists, l => Assert.InRange(l.Count, 1, 5));
        Assert.All(lists.SelectMany(l => l), i => Assert.True(products[i.ExternalId].Price is null or >= 1 and <= 5, $"{i.ExternalId} costs {products[i.ExternalId].Price}"));
        Assert.All(pushes, p => Assert.Equal($"batch-{batch.Id}-customer-{p.CustomerId}", p.IdempotencyKey));
        Assert.All(pushes, p => Assert.Equal(PushDeliveryStatus.Pending, p.Status));

        // The summary, recomputed here from the stored rows.
        Assert.Equal(customers.Count, summary.AudienceSize);
        Assert.Equal(pushes.Count, summary.Pushes);
        Assert.Equal(pushes.Sum(p => p.ItemCount), summary.ItemsPushed);
        Assert.Equal(lists.Sum(l => l.Count), summary.ItemsPushed);
        Assert.Equal(0, summary.CappedCustomers);
        Assert.Equal(0, summary.DeferredByQuietHours);
        Assert.Null(summary.PredictedCtr); // no CTR model is active
        var inScope = products.Values.Count(p => p.IsAvailable && (p.Price is null || p.Price >= 1 && p.Price <= 5));
        Assert.Equal((double)lists.SelectMany(l => l.Select(i => i.ExternalId)).Distinct().Count() / inScope, summary.Coverage, 9);
        // Without item vectors (text channels off) diversity is 1 − [same interest topic], from the latest run.
        var topicOf = await db.ProductTopics.Where(t => t.SegmentationRunId == f.RunId).Join(db.Products, t => t.ProductId, p => p.Id, (t, p) => new { p.ExternalId, t.TopicId })
            .ToDictionaryAsync(x => x.ExternalId, x => x.TopicId);
        var perList = lists.Where(l => l.Count > 1).Select(l =>
        {
            double sum = 0; var n = 0;
            for (var a = 0; a < l.Count; a++)
                for (var b = a + 1; b < l.Count; b++, n++)
                    sum += topicOf.TryGetValue(l[a].ExternalId, out var ta) && topicOf.TryGetValue(l[b].ExternalId, out var tb) && ta == tb ? 0 : 1;
            return sum / n;
        }).ToList();
        Assert.Equal(perList.Average(), summary.IntraListDiversity, 9);
        Assert.InRange(summary.IntraListDiversity, 0.01, 1);
        var segments = await db.CustomerTiers.Where(t => t.SegmentationRunId == f.RunId).ToDictionaryAsync(t => t.CustomerId, t => t.Segment ?? "none");
        var expectedSegments = pushes.GroupBy(p => segments[p.CustomerId]).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(expectedSegments.OrderBy(x => x.Key), summary.PushesBySegment.OrderBy(x => x.Key));
        Assert.Equal(5, summary.SampleLists.Count);
        var externalOf = customers.ToDictionary(c => c.Id, c => c.ExternalId);
        Assert.Equal(pushes.Take(5).Select(p => externalOf[p.CustomerId]), summary.SampleLists.Select(s => s.CustomerExternalId));
        Assert.Equal(lists[0].Select(i => i.ExternalId), summary.SampleLists[0].Items.Select(i => i.ProductExternalId));

        var audit = await db.AuditEntries.SingleAsync(a => a.Action == "batch.build" && a.EntityId == batch.Id.ToString());
        Assert.Equal("system", audit.UserId);
        Assert.Contains("\"Status\":\"PendingApproval\"", audit.AfterJson);
    }

    [Fact]
    public async Task A_failing_build_stores_nothing()
    {
        var customers = f.Customers().Skip(40).Take(10).ToList();
        var campaign = f.Create("whole", i => UseList(i, customers.Select(c => c.ExternalId)));
        var holder = Holder("whole-holder");
        // The next batch id is holder.Id + 1 (AUTOINCREMENT); a push already holding the key of its second push makes
        // the insert of the pushes fail after the batch row was written.
        var key = $"batch-{holder.Id + 1}-customer-{customers[1].Id}";
        Plant(holder, customers[1].Id, Utc(2025, 1, 1, 0), PushDeliveryStatus.Skipped, key);
        await using var db = f.Database.CreateContext();
        var auditBefore = await db.AuditEntries.CountAsync();
        var messagesBefore = await db.PushMessages.CountAsync();

        await Assert.ThrowsAsync<DbUpdateException>(() => f.Builder.BuildAsync(campaign.Id, Utc(2026, 2, 2, 10)));

        Assert.False(await db.PushBatches.AnyAsync(b => b.CampaignId == campaign.Id));
        Assert.False(await db.PushBatches.AnyAsync(b => b.Id == holder.Id + 1));
        Assert.Equal(messagesBefore, await db.PushMessages.CountAsync());
        Assert.Equal(auditBefore, await db.AuditEntries.CountAsync());

        // Without the conflicting row the same occurrence builds.
        await db.PushMessages.Where(m => m.IdempotencyKey == key).ExecuteDeleteAsync();
        var built = await f.Builder.BuildAsync(campaign.Id, Utc(2026, 2, 2, 10));
        Assert.True(built.Created);
        Assert.Equal(10, await db.PushMessages.CountAsync(m => m.BatchId == built.Batch!.Id));
    }

    [Fact]
    public async Task Frequency_caps_count_pushes_of_every_campaign_and_of_earlier_batches_at_their_edges()
    {
        var c = f.Customers().Skip(60).Take(6).ToList();
        var holder = Holder("caps-other");
        var t = Utc(2026, 3, 2, 10);
        Plant(holder, c[0].Id, t.AddHours(-1));                                           // 1 today: the new one reaches the daily cap of 2
        Plant(holder, c[1].Id, t.AddHours(-1), PushDeliveryStatus.Delivered);
        Plant(holder, c[1].Id, t.AddHours(-24).AddMinutes(1));                            // 2 within 24 h: capped
        Plant(holder, c[2].Id, t.AddHours(-1));
        Plant(holder, c[2].Id, t.AddHours(-24));                                          // exactly 24 h ago: outside the day, inside the week
        Plant(holder, c[3].Id, t.AddDays(-6));
        Plant(holder, c[3].Id, t.AddDays(-5));
        Plant(holder, c[3].Id, t.AddDays(-2));                                            // 3 within 7 days: weekly cap of 3 reached
        Plant(holder, c[4].Id, t.AddDays(-7));                                            // exactly 7 days ago: outside the week
        Plant(holder, c[4].Id, t.AddDays(-5));
        Plant(holder, c[4].Id, t.AddDays(-2));
        Plant(holder, c[5].Id, t.AddHours(-1), PushDeliveryStatus.Failed);                // failed pushes do not count
        Plant(holder, c[5].Id, t.AddHours(-2), PushDeliveryStatus.Failed);
        var campaign = f.Create("caps", i => { UseList(i, c.Select(x => x.ExternalId)); i.CapPerDay = 2; i.CapPerWeek = 3; });

        var batch = (await f.Builder.BuildAsync(campaign.Id, t)).Batch!;
        await using var db = f.Database.CreateContext();
        var pushed = await db.PushMessages.Where(m => m.BatchId == batch.Id).Select(m => m.CustomerId).OrderBy(x => x).ToListAsync();
        Assert.Equal(new[] { c[0].Id, c[2].Id, c[4].Id, c[5].Id }, pushed);
        Assert.Equal(2, PushBatchSummaries.FromJson(batch.SummaryJson)!.CappedCustomers);

        // An hour later this campaign's own first batch counts too: c[0] and c[2] now have 2 within 24 h, c[4] 3 within
        // 7 days; c[1]'s older push has left the 24 h window, so c[1] gets one now.
        var later = (await f.Builder.BuildAsync(campaign.Id, t.AddHours(1))).Batch!;
        var pushedLater = await db.PushMessages.Where(m => m.BatchId == later.Id).Select(m => m.CustomerId).OrderBy(x => x).ToListAsync();
        Assert.Equal(new[] { c[1].Id, c[5].Id }, pushedLater);
        Assert.Equal(4, PushBatchSummaries.FromJson(later.SummaryJson)!.CappedCustomers);
    }

    [Fact]
    public async Task Pushes_of_a_rejected_batch_use_up_no_cap()
    {
        var c = f.Customers().Skip(70).Take(2).ToList();
        var t = Utc(2026, 3, 9, 10);
        var rejected = Holder("caps-rejected", PushBatchStatus.Rejected);
        var pending = Holder("caps-pending", PushBatchStatus.PendingApproval);
        Plant(rejected, c[0].Id, t.AddHours(-1));   // never to be sent: does not count
        Plant(pending, c[1].Id, t.AddHours(-1));    // may still be approved: counts
        var campaign = f.Create("caps-after-reject", i => { UseList(i, c.Select(x => x.ExternalId)); i.CapPerDay = 1; i.CapPerWeek = 5; });

        var batch = (await f.Builder.BuildAsync(campaign.Id, t)).Batch!;
        await using var db = f.Database.CreateContext();
        Assert.Equal([c[0].Id], await db.PushMessages.Where(m => m.BatchId == batch.Id).Select(m => m.CustomerId).ToListAsync());
        Assert.Equal(1, PushBatchSummaries.FromJson(batch.SummaryJson)!.CappedCustomers);
    }

    [Fact]
    public async Task Quiet_hours_follow_each_customers_country()
    {
        var c = f.Customers().Skip(80).Take(3).ToList();
        await using (var db = f.Database.CreateContext())
        {
            // Countries set for the test: a UK, an Australian and an unknown-country customer.
            await db.Customers.Where(x => x.Id == c[0].Id).ExecuteUpdateAsync(s => s.SetProperty(x => x.Country, "United Kingdom"));
            await db.Customers.Where(x => x.Id == c[1].Id).ExecuteUpdateAsync(s => s.SetProperty(x => x.Country, "Australia"));
            await db.Customers.Where(x => x.Id == c[2].Id).ExecuteUpdateAsync(s => s.SetProperty(x => x.Country, "Unspecified"));
        }
        var campaign = f.Create("quiet", i => { UseList(i, c.Select(x => x.ExternalId)); i.QuietHoursStart = TimeSpan.FromHours(21); i.QuietHoursEnd = TimeSpan.FromHours(8); });
        var at = Utc(2026, 1, 15, 22); // 22:00 in London, 09:00 next day in Sydney
        var batch = (await f.Builder.BuildAsync(campaign.Id, at)).Batch!;
        await using var read = f.Database.CreateContext();
        var notBefore = await read.PushMessages.Where(m => m.BatchId == batch.Id).ToDictionaryAsync(m => m.CustomerId, m => m.NotBefore);
        Assert.Equal(Utc(2026, 1, 16, 8), DateTime.SpecifyKind(notBefore[c[0].Id], DateTimeKind.Utc));
        Assert.Equal(at, DateTime.SpecifyKind(notBefore[c[1].Id], DateTimeKind.Utc));
        Assert.Equal(Utc(2026, 1, 16, 8), DateTime.SpecifyKind(notBefore[c[2].Id], DateTimeKind.Utc)); // the merchant's zone: Europe/London
        Assert.Equal(2, PushBatchSummaries.FromJson(batch.SummaryJson)!.DeferredByQuietHours);
    }

    [Fact]
    public async Task Paused_campaigns_and_days_outside_the_dates_build_nothing()
    {
        var campaign = f.Create("dates", i => { UseList(i, f.Customers().Skip(90).Take(2).Select(x => x.ExternalId)); i.EndDate = new DateTime(2026, 1, 31); });
        var outside = await f.Builder.BuildAsync(campaign.Id, Utc(2026, 2, 1, 0));
        Assert.Null(outside.Batch);
        Assert.Contains("outside", outside.Skipped);
        Assert.Null((await f.Builder.BuildAsync(campaign.Id, Utc(2025, 12, 31, 23, 59))).Batch);
        Assert.NotNull((await f.Builder.BuildAsync(campaign.Id, Utc(2026, 1, 31, 23, 59))).Batch);
        await f.Campaigns.SetStatusAsync(f.Merchant, campaign.Id, CampaignStatus.Paused);
        var paused = await f.Builder.BuildAsync(campaign.Id, Utc(2026, 1, 20, 0));
        Assert.Null(paused.Batch);
        Assert.Equal($"Campaign {campaign.Id} is paused.", paused.Skipped);
    }

    [Fact]
    public async Task The_price_band_of_push_rules_now_takes_effect()
    {
        var customer = f.Customers().First().ExternalId;
        var plain = (await f.PushLists.ForCustomerAsync(customer, 50))!;
        Assert.Contains(plain.Items, i => i.Price < 2); // the band below has something to remove
        var banded = (await f.PushLists.ForCustomerAsync(customer, 50, new PushRules { PriceFloor = 2, PriceCeiling = 10 }))!;
        Assert.NotEmpty(banded.Items);
        Assert.All(banded.Items, i => Assert.True(i.Price is null or >= 2 and <= 10, $"{i.ItemId} costs {i.Price}"));
    }

    [Fact]
    public async Task Items_delivered_in_the_last_14_days_are_not_pushed_again()
    {
        var customer = f.Customers().Skip(110).First();
        var service = new PushListService(f.Database.Factory, f.Models, new RecentlyPushedItems(f.Database.Factory));
        var before = (await service.ForCustomerAsync(customer.ExternalId, 10))!;
        var top = before.Items.Take(2).Select(i => i.ItemId).ToList();
        var holder = Holder("recent-holder");
        await using (var db = f.Database.CreateContext())
        {
            db.PushMessages.Add(new PushMessage
            {
                MerchantId = f.MerchantId, BatchId = holder.Id, CustomerId = customer.Id, IdempotencyKey = $"recent-{customer.Id}",
                ItemsJson = PushMessageItem.ToJson(top.Select(t => new PushMessageItem(null, t, t, 1, null, "test")).ToList()), ItemCount = 2,
                Status = PushDeliveryStatus.Delivered, NotBefore = DateTime.UtcNow.AddDays(-3), DeliveredAt = DateTime.UtcNow.AddDays(-3),
            });
            // A delivery older than the window does not count.
            db.PushMessages.Add(new PushMessage
            {
                MerchantId = f.MerchantId, BatchId = holder.Id, CustomerId = customer.Id, IdempotencyKey = $"old-{customer.Id}",
                ItemsJson = PushMessageItem.ToJson([new PushMessageItem(null, before.Items[2].ItemId, "x", 1, null, "test")]), ItemCount = 1,
                Status = PushDeliveryStatus.Delivered, NotBefore = DateTime.UtcNow.AddDays(-20), DeliveredAt = DateTime.UtcNow.AddDays(-20),
            });
            await db.SaveChangesAsync();
        }
        var after = (await service.ForCustomerAsync(customer.ExternalId, 10))!;
        Assert.DoesNotContain(after.Items, i => top.Contains(i.ItemId));
        Assert.Contains(after.Items, i => i.ItemId == before.Items[2].ItemId);
    }
}
