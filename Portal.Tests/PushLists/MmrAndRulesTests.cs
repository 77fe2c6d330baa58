using Portal.Core.PushLists;

namespace Portal.Tests.PushLists;

/// <summary>MMR re-ranking and intra-list diversity checked against hand arithmetic; business rules.</summary>
public class MmrAndRulesTests
{
    // Three candidates: 0 and 1 are near-duplicates (similarity 0.9), 2 is different.
    private static readonly double[,] Sim = { { 1, 0.9, 0.1 }, { 0.9, 1, 0.2 }, { 0.1, 0.2, 1 } };
    private static double S(int a, int b) => Sim[a, b];

    [Fact]
    public void Mmr_picks_by_hand_computed_marginal_relevance()
    {
        // λ = 0.5, relevance 1.0, 0.9, 0.5.
        // Step 1: values 0.5, 0.45, 0.25 → candidate 0 (penalty 0).
        // Step 2: candidate 1: 0.45 − 0.5·0.9 = 0.00; candidate 2: 0.25 − 0.5·0.1 = 0.20 → candidate 2 (penalty 0.05).
        // Step 3: candidate 1: max sim = max(0.9, 0.2) = 0.9 → 0.45 − 0.45 = 0.00 (penalty 0.45).
        var picks = Mmr.Rerank([1.0, 0.9, 0.5], 3, 0.5, S);
        Assert.Equal([0, 2, 1], picks.Select(p => p.Index));
        Assert.Equal(0.5, picks[0].Value, 12);
        Assert.Equal(0.0, picks[0].Penalty, 12);
        Assert.Equal(0.20, picks[1].Value, 12);
        Assert.Equal(0.05, picks[1].Penalty, 12);
        Assert.Equal(0.1, picks[1].MaxSimilarity, 12);
        Assert.Equal(0.0, picks[2].Value, 12);
        Assert.Equal(0.45, picks[2].Penalty, 12);
        Assert.Equal(0.9, picks[2].MaxSimilarity, 12);
    }

    [Fact]
    public void Mmr_with_lambda_one_keeps_the_relevance_order_and_lower_index_wins_ties()
    {
        Assert.Equal([0, 1, 2], Mmr.Rerank([1.0, 0.9, 0.5], 3, 1.0, S).Select(p => p.Index));
        Assert.Equal([1, 0], Mmr.Rerank([0.5, 0.7, 0.5], 2, 1.0, S).Select(p => p.Index));
        Assert.Equal([0, 1], Mmr.Rerank([0.5, 0.5], 5, 1.0, S).Select(p => p.Index)); // count capped, tie → lower index
        Assert.Throws<ArgumentOutOfRangeException>(() => Mmr.Rerank([1.0], 1, 1.5, S));
    }

    [Fact]
    public void Intra_list_diversity_is_the_mean_pairwise_dissimilarity()
    {
        // Pairs (0,1) 1 − 0.9, (0,2) 1 − 0.1, (1,2) 1 − 0.2 → (0.1 + 0.9 + 0.8) / 3 = 0.6.
        Assert.Equal(0.6, Mmr.IntraListDiversity(3, S), 12);
        Assert.Equal(0.1, Mmr.IntraListDiversity(2, S), 12);
        Assert.Equal(0.0, Mmr.IntraListDiversity(1, S));
    }

    [Fact]
    public void Rules_name_the_violated_rule()
    {
        var rules = new PushRules
        {
            CampaignScope = new HashSet<string> { "A", "B", "C", "D", "E", "F" },
            UserExclusions = new HashSet<string> { "B" },
            Unavailable = new HashSet<string> { "C" },
            RecentlyPushed = new HashSet<string> { "D" },
            PriceFloor = 1m, PriceCeiling = 10m,
            Prices = new Dictionary<string, decimal> { ["A"] = 5m, ["E"] = 0.5m, ["F"] = 12m },
        };
        Assert.Null(rules.Violation("A"));
        Assert.Equal("excluded", rules.Violation("B"));
        Assert.Equal("unavailable", rules.Violation("C"));
        Assert.Equal("recently-pushed", rules.Violation("D"));
        Assert.Equal("price-floor", rules.Violation("E"));
        Assert.Equal("price-ceiling", rules.Violation("F"));
        Assert.Equal("scope", rules.Violation("G"));
        Assert.Equal([true, false, false, false, false, false, false], rules.AllowedMask(["A", "B", "C", "D", "E", "F", "G"])!);
        Assert.Null(PushRules.None.AllowedMask(["A"]));
        Assert.Throws<ArgumentException>(() => new PushRules { PriceFloor = 5m, PriceCeiling = 1m }.AllowedMask(["A"]));
    }
}
