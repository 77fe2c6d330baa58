namespace Portal.Core.Tiers;

/// <summary>Lifecycle stage from days since the first and last event and the purchase cadence (<see cref="LifecycleRules"/>).</summary>
public static class Lifecycle
{
    /// <summary>The stage code (<see cref="LifecycleStages"/>).</summary>
    /// <param name="rules">Thresholds.</param>
    /// <param name="daysSinceFirstEvent">Days from the first event to the as-of time (≥ 0).</param>
    /// <param name="daysSinceLastEvent">Days from the last event to the as-of time (≥ 0).</param>
    /// <param name="cadenceDays">Mean days between distinct purchase days, null with fewer than two.</param>
    public static string Stage(LifecycleRules rules, double daysSinceFirstEvent, double daysSinceLastEvent, double? cadenceDays)
    {
        if (daysSinceFirstEvent <= rules.NewDays) return LifecycleStages.New;
        var c = cadenceDays ?? 0;
        if (daysSinceLastEvent <= Math.Max(rules.ActiveDays, c * rules.ActiveCadenceFactor)) return LifecycleStages.Active;
        if (daysSinceLastEvent <= Math.Max(rules.AtRiskDays, c * rules.AtRiskCadenceFactor)) return LifecycleStages.AtRisk;
        if (daysSinceLastEvent <= rules.DormantDays) return LifecycleStages.Dormant;
        return LifecycleStages.Churned;
    }

    /// <summary>Mean gap in days between consecutive distinct purchase days; null with fewer than two days.</summary>
    /// <param name="purchaseDays">Distinct purchase days (any order).</param>
    public static double? Cadence(IReadOnlyCollection<DateTime> purchaseDays)
    {
        if (purchaseDays.Count < 2) return null;
        var first = purchaseDays.Min();
        var last = purchaseDays.Max();
        return (last - first).TotalDays / (purchaseDays.Count - 1);
    }
}

/// <summary>
/// Time-decayed, type-weighted interest strength (exponential forgetting with a half-life, as in Ding and Li,
/// "Time weight collaborative filtering", CIKM 2005): an event of type τ and age a days adds w_τ · 0.5^(a / h) to the
/// strength of its product's category (or interest topic); a user's strengths are then divided by their sum, so they
/// are shares between 0 and 1 that sum to 1 (all zero when every weight is zero).
/// </summary>
public static class InterestDecay
{
    /// <summary>The decayed weight of one event: <paramref name="typeWeight"/> · 0.5^(<paramref name="ageDays"/> / <paramref name="halfLifeDays"/>).</summary>
    /// <param name="typeWeight">w_τ ≥ 0.</param>
    /// <param name="ageDays">Age of the event at the as-of time, days (negative ages count as 0).</param>
    /// <param name="halfLifeDays">h &gt; 0.</param>
    public static double Weight(double typeWeight, double ageDays, double halfLifeDays) =>
        typeWeight * Math.Pow(0.5, Math.Max(0, ageDays) / halfLifeDays);

    /// <summary>Divides the strengths by their sum in place (nothing changes when the sum is 0).</summary>
    /// <param name="strengths">Strength per interest key.</param>
    public static void Normalise(Dictionary<string, double> strengths)
    {
        var sum = strengths.Values.Sum();
        if (sum <= 0) return;
        foreach (var k in strengths.Keys.ToList()) strengths[k] /= sum;
    }
}
