using Portal.Core.Behavior;
using Portal.Core.Recommendation;
using TorchSharp;

namespace Portal.Tests.Recommendation;

/// <summary>Hand-computed cases of the recommenders, TorchSharp loading, and the serving artifact.</summary>
public class RecommenderTests
{
    private static readonly DateTime D0 = new(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc);
    private static Interaction E(string u, string i, double day = 0) => new(u, i, D0.AddDays(day), EventType.Purchase, 1);

    /// <summary>u1 {A,B}, u2 {A,B,C}, u3 {C}, u4 {D}.</summary>
    private static InteractionSet Toy() => InteractionSet.Create([
        E("u1", "A"), E("u1", "B"), E("u2", "A", 1), E("u2", "B", 1), E("u2", "C", 1), E("u3", "C", 2), E("u4", "D", 3), E("u1", "A", 4)]);

    private static float[] Scores(IRecommender m, string user)
    {
        var s = new float[m.Data.ItemCount];
        m.Score(m.Data.UserIndex(user), s);
        return s;
    }

    [Fact]
    public void TorchSharp_loads_and_computes()
    {
        // Needs the GLIBCXX_3.4.32 weak-need patch of Directory.Build.targets on Debian 12.
        using var t = torch.ones(2, 3);
        Assert.Equal(6f, t.sum().item<float>());
    }

    [Fact]
    public void Popularity_counts_events()
    {
        var m = new PopularityRecommender();
        m.Fit(Toy());
        Assert.Equal([3f, 2f, 2f, 1f], Scores(m, "u3")); // A 3 events, B 2, C 2, D 1
        Assert.Equal("popular", m.Explain(0, 0).Kind);
    }

    [Fact]
    public void ItemKnn_cosine_shrink_and_topk_match_hand_computation()
    {
        // |U_A| = |U_B| = |U_C| = 2, co-counts AB 2, AC 1, BC 1.
        // cosine: sim(A,B) = 2/√4 = 1, sim(A,C) = sim(B,C) = 1/2. With k = 1, C keeps A (tie with B, lower id wins).
        // u3 = {C}: score(A) = sim(C→A) = 0.5, B = 0 (not kept). Backfill ≤ 1e-4.
        var m = new ItemKnnRecommender(new Dictionary<string, double> { ["k"] = 1 });
        m.Fit(Toy());
        var s = Scores(m, "u3");
        Assert.Equal(0.5, s[0], 3);
        Assert.True(s[1] < 1e-3);
        var why = m.Explain(m.Data.UserIndex("u3"), 0);
        Assert.Equal("similar-items", why.Kind);
        Assert.Equal("C", why.BecauseOf.Single().ItemId);
        Assert.Equal(0.5, why.BecauseOf[0].Weight, 5);

        // shrink 2: sim(A,B) = 2/(2+2) = 0.5, sim(A,C) = 1/(2+2) = 0.25. u3 with k = 2: A 0.25, B 0.25 → tie, A first.
        var shrunk = new ItemKnnRecommender(new Dictionary<string, double> { ["k"] = 2, ["shrink"] = 2 });
        shrunk.Fit(Toy());
        s = Scores(shrunk, "u3");
        Assert.Equal(0.25, s[0], 3);
        Assert.Equal(0.25, s[1], 3);
        Assert.Equal(0, Ranking.TopK(s, 1)[0]); // A: more popular backfill and lower id
    }

    [Fact]
    public void UserKnn_cosine_matches_hand_computation()
    {
        // u1 {A,B} vs u2 {A,B,C}: 2/√(2·3) = 0.81650; u3, u4 share nothing with u1.
        var m = new UserKnnRecommender(new Dictionary<string, double> { ["k"] = 2 });
        m.Fit(Toy());
        var n = m.Neighbours(m.Data.UserIndex("u1"));
        Assert.Single(n);
        Assert.Equal(0.81650, n[0].Similarity, 5);
        var s = Scores(m, "u1");
        Assert.InRange(s[2] - 2 / Math.Sqrt(6), 0, 1e-4); // C comes only from u2 (plus a popularity backfill below 1e-4)
        Assert.Equal("similar-users", m.Explain(m.Data.UserIndex("u1"), 2).Kind);
    }

    [Fact]
    public void Ease_matches_closed_form()
    {
        // Two items: u1 {A,B}, u2 {A}. G = [[2,1],[1,1]], λ = 1 → G+λI = [[3,1],[1,2]], det 5, P = [[2,-1],[-1,3]]/5.
        // B_AB = −P_AB/P_BB = (1/5)/(3/5) = 1/3; B_BA = −P_BA/P_AA = (1/5)/(2/5) = 1/2; diag 0.
        var data = InteractionSet.Create([E("u1", "A"), E("u1", "B"), E("u2", "A")]);
        var m = new EaseRecommender(new Dictionary<string, double> { ["lambda"] = 1 });
        m.Fit(data);
        var s = Scores(m, "u2");
        Assert.Equal(0.0, s[0], 6);
        Assert.Equal(1 / 3.0, s[1], 6);
        var u1 = Scores(m, "u1"); // A: B_BA = 1/2, B: B_AB = 1/3
        Assert.Equal(0.5, u1[0], 6);
        Assert.Equal(1 / 3.0, u1[1], 6);
        var why = m.Explain(data.UserIndex("u2"), 1);
        Assert.Equal("linear", why.Kind);
        Assert.Equal("A", why.BecauseOf.Single().ItemId);
    }

    [Fact]
    public void Repeat_ranks_own_items_first_by_recency_weight()
    {
        // u1 bought A on days 0 and 4, B on day 0; latest event day 4. Half-life 4 days:
        // w(A) = 2^(-4/4) + 2^0 = 1.5, w(B) = 0.5 → scores 2.5, 1.5; others popularity/(3+1) < 1.
        var m = new RepeatRecommender(new Dictionary<string, double> { ["halflife_days"] = 4 });
        m.Fit(Toy());
        var s = Scores(m, "u1");
        Assert.Equal(2.5, s[0], 5);
        Assert.Equal(1.5, s[1], 5);
        Assert.Equal(0.5, s[2], 5); // C: 2 events / (3 + 1)
        var why = m.Explain(m.Data.UserIndex("u1"), 0);
        Assert.Equal("repeat", why.Kind);
        Assert.Equal(2, why.Detail!["times"]);
    }

    [Theory]
    [InlineData("popularity")]
    [InlineData("repeat")]
    [InlineData("itemknn")]
    [InlineData("userknn")]
    [InlineData("ease")]
    public void Serving_model_round_trips_through_the_artifact(string name)
    {
        var p = name switch { "itemknn" or "userknn" => new Dictionary<string, double> { ["alpha"] = 1 }, "ease" => new() { ["lambda"] = 2, ["alpha"] = 1 }, _ => null };
        var model = Recommenders.Create(name, p);
        model.Fit(Toy());
        var serving = new ServingModel(model, "v1", D0);
        using var ms = new MemoryStream();
        serving.Save(ms);
        ms.Position = 0;
        var loaded = ServingModel.Load(ms);
        Assert.Equal(name, loaded.ModelName);
        Assert.Equal("v1", loaded.Version);
        Assert.Equal(model.Parameters, loaded.Recommender.Parameters);
        foreach (var user in new[] { "u1", "u3", "nobody" })
        {
            var a = serving.Recommend(user, 4);
            var b = loaded.Recommend(user, 4);
            Assert.Equal(a.Select(x => (x.ItemId, x.Score, x.Reason.Kind)), b.Select(x => (x.ItemId, x.Score, x.Reason.Kind)));
        }
        Assert.DoesNotContain(serving.Recommend("u1", 4, excludeSeen: true), x => x.ItemId is "A" or "B");
        ms.Position = 1;
        Assert.Throws<InvalidDataException>(() => ServingModel.Load(ms));
    }
}
