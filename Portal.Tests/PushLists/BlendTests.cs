using Portal.Core.Evaluation;
using Portal.Core.PushLists;
using Portal.Core.Recommendation;
using Portal.Tests.Evaluation;

namespace Portal.Tests.PushLists;

/// <summary>
/// The push pipeline (<c>blend</c>) on a real slice of the bundled UCI file: every fourth customer (by id) over the
/// whole year, so that the validation window inside the fit and the protocol's test window both hold purchases.
/// Text channels are off here (no Word2Vec training in a unit test); the evaluate verb runs the full pipeline.
/// </summary>
public class BlendTests(UciFixture uci) : IClassFixture<UciFixture>
{
    private static readonly Dictionary<string, double> Small = new() { ["quota_text2vec"] = 0, ["quota_new"] = 0, ["iterations"] = 60 };

    [Fact]
    public void Ranker_learns_on_a_real_slice_beats_its_channels_and_round_trips_through_the_artifact()
    {
        var events = uci.Events.Where(e => int.Parse(e.UserId) % 4 == 0).ToList();
        var split = TemporalSplit.Create(events);
        var blend = new BlendRecommender(Small);
        blend.Fit(split.Train);

        // The validation inside the fit chose an objective and λ per task and measured them on held-out validation users.
        Assert.NotNull(blend.ValidationAll);
        Assert.NotNull(blend.ValidationNovel);
        Assert.Contains("all.objective", blend.ValidationChoices.Keys);
        Assert.True(blend.ValidationChoices["all.candidate_recall"] > 0.3, $"candidate recall {blend.ValidationChoices["all.candidate_recall"]:F3}");
        // All three objectives were tried on both tasks; each one's AUC over the held-out users' candidates is recorded,
        // and on real purchases every one ranks bought candidates above the others clearly better than chance (LambdaRank's
        // scores are comparable only within a customer, and AUC pools all customers: 0.65 on novel here).
        foreach (var task in new[] { "all", "novel" })
            foreach (var objective in new[] { "lambdarank", "binary", "fieldawarefactorizationmachine" })
            {
                Assert.Contains($"{task}.ndcg@20.{objective}", blend.ValidationChoices.Keys);
                var auc = blend.ValidationChoices[$"{task}.auc.{objective}"];
                Assert.True(auc > 0.6 && auc <= 1, $"{task} {objective}: validation AUC {auc:F4}");
            }
        // NDCG@20 decides: the chosen objective has the largest validation NDCG@20 of the three.
        var chosen = ((RankerObjective)(int)blend.ValidationChoices["all.objective"]).ToString().ToLowerInvariant();
        Assert.Equal(new[] { "lambdarank", "binary", "fieldawarefactorizationmachine" }.Max(o => blend.ValidationChoices[$"all.ndcg@20.{o}"]),
            blend.ValidationChoices[$"all.ndcg@20.{chosen}"]);

        var all = Evaluator.Evaluate(blend, split, all: true, novel: false).All!;
        var novel = Evaluator.Evaluate(blend.WithScoringParameters(new Dictionary<string, double> { ["novel"] = 1 }), split, all: false, novel: true).Novel!;
        // Its own channels, alone, on the same split: the learnt combination must beat each in both tasks.
        foreach (var channel in blend.Channels.Where(c => c.Name is "repeat" or "itemknn" or "ease"))
        {
            var (a, n) = Evaluator.Evaluate(channel.Model, split);
            Assert.True(all.Ndcg20 > a!.Ndcg20, $"all: blend {all.Ndcg20:F4} vs {channel.Name} {a.Ndcg20:F4}");
            if (channel.Name != "repeat") Assert.True(novel.Ndcg20 > n!.Ndcg20, $"novel: blend {novel.Ndcg20:F4} vs {channel.Name} {n.Ndcg20:F4}");
        }

        // Explanations carry the pipeline's numbers; the artifact reloads to the same lists.
        var serving = new ServingModel(blend, "test", DateTime.UtcNow);
        var user = split.AllUsers[0].User;
        var list = serving.Recommend(split.Train.Users[user], 20);
        Assert.Equal(20, list.Count);
        Assert.All(list, i => Assert.Contains("ranker_score", i.Reason.Detail!.Keys));
        Assert.All(list, i => Assert.Contains(i.Reason.Detail!.Keys, k => k.StartsWith("rank.", StringComparison.Ordinal)));
        using var ms = new MemoryStream();
        serving.Save(ms);
        ms.Position = 0;
        var loaded = ServingModel.Load(ms);
        foreach (var u in split.AllUsers.Take(15).Select(x => split.Train.Users[x.User]).Append("no-such-customer"))
            Assert.Equal(serving.Recommend(u, 20).Select(x => x.ItemId), loaded.Recommend(u, 20).Select(x => x.ItemId));
    }

    [Fact]
    public void A_fixed_FFM_objective_serves_probabilities_and_round_trips_through_the_artifact()
    {
        var events = uci.Events.Where(e => int.Parse(e.UserId) % 8 == 0).ToList();
        var data = InteractionSet.Create(events);
        Assert.Throws<ArgumentException>(() => new BlendRecommender(new Dictionary<string, double>(Small) { ["objective"] = 3 }).Fit(data));
        var blend = new BlendRecommender(new Dictionary<string, double>(Small) { ["objective"] = 2, ["ffm_dim"] = 8, ["ffm_iterations"] = 5 });
        blend.Fit(data);
        Assert.Equal(RankerObjective.FieldAwareFactorizationMachine, blend.Ranker.Objective);
        Assert.Equal(PushFeatures.FieldNames.Count, blend.Ranker.Fields!.Distinct().Count());
        Assert.DoesNotContain("all.ndcg@20.binary", blend.ValidationChoices.Keys);
        Assert.Equal(8, blend.ValidationChoices["all.ffm_dim"]);
        var user = data.UserIndex(events[^1].UserId);
        var list = blend.PushList(user);
        Assert.All(list.Items, c => Assert.InRange(c.Probability, 0f, 1f));
        Assert.True(list.Items.Select(c => c.Probability).Distinct().Count() > 10);

        var serving = new ServingModel(blend, "test", DateTime.UtcNow);
        using var ms = new MemoryStream();
        serving.Save(ms);
        ms.Position = 0;
        var loaded = ServingModel.Load(ms);
        foreach (var u in data.Users.Take(10))
            Assert.Equal(serving.Recommend(u, 20).Select(x => x.ItemId), loaded.Recommend(u, 20).Select(x => x.ItemId));
        var reloaded = (BlendRecommender)loaded.Recommender;
        Assert.Equal(list.Items.Select(c => c.Probability), reloaded.PushList(user).Items.Select(c => c.Probability));
    }

    [Fact]
    public void Business_rules_remove_items_from_the_list()
    {
        var events = uci.Events.Where(e => int.Parse(e.UserId) % 8 == 0).ToList();
        var blend = new BlendRecommender(Small);
        var data = InteractionSet.Create(events);
        blend.Fit(data);
        var user = data.UserIndex(events[^1].UserId);
        var list = blend.PushList(user);
        var banned = list.Items.Take(3).Select(c => data.Items[c.Item]).ToHashSet();
        var ruled = blend.PushList(user, new PushRules { UserExclusions = banned }.AllowedMask(data.Items));
        Assert.DoesNotContain(ruled.Items, c => banned.Contains(data.Items[c.Item]));
        Assert.True(ruled.Items.Count >= 20);
        Assert.Contains(ruled.Items.Take(10), c => list.Items.Skip(3).Take(10).Any(o => o.Item == c.Item)); // the rest moves up
    }
}
