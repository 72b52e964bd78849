namespace Platform.Domain.Billing;

/// <summary>
/// Splits a period into the intervals each plan was in force, from the subscription's plan changes
/// (effective instants, ascending). A change takes effect at its instant (docs/decisions/0010).
/// </summary>
public static class ProrationRule
{
    public static IReadOnlyList<(Plan Plan, DateTimeOffset From, DateTimeOffset To)> Split(
        BillingPeriod period, IReadOnlyList<(DateTimeOffset EffectiveAt, Plan Plan)> changes)
    {
        var ordered = changes.OrderBy(c => c.EffectiveAt).ToList();
        var result = new List<(Plan, DateTimeOffset, DateTimeOffset)>();
        for (var i = 0; i < ordered.Count; i++)
        {
            var from = ordered[i].EffectiveAt > period.Start ? ordered[i].EffectiveAt : period.Start;
            var to = i + 1 < ordered.Count && ordered[i + 1].EffectiveAt < period.End ? ordered[i + 1].EffectiveAt : period.End;
            if (to > from)
                result.Add((ordered[i].Plan, from, to));
        }
        return result;
    }

    /// <summary>Splits the interval holding the trial's end there; the part before it is a trial (no fee).</summary>
    public static IReadOnlyList<(Plan Plan, DateTimeOffset From, DateTimeOffset To, bool Trial)> SplitAtTrialEnd(
        IReadOnlyList<(Plan Plan, DateTimeOffset From, DateTimeOffset To)> intervals, DateTimeOffset? trialEndsAt)
    {
        var result = new List<(Plan, DateTimeOffset, DateTimeOffset, bool)>();
        foreach (var (plan, from, to) in intervals)
        {
            if (trialEndsAt is not { } end || end <= from)
                result.Add((plan, from, to, false));
            else if (end >= to)
                result.Add((plan, from, to, true));
            else
            {
                result.Add((plan, from, end, true));
                result.Add((plan, end, to, false));
            }
        }
        return result;
    }
}
