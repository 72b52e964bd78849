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

    /// <summary>
    /// Splits the intervals at the trial's end and at cancellation, naming the fee waiver of each part:
    /// "trial" before the trial ends, "after cancellation" from the cancellation on (docs/decisions/0010).
    /// </summary>
    public static IReadOnlyList<(Plan Plan, DateTimeOffset From, DateTimeOffset To, string? FeeWaiver)> SplitFeeWaivers(
        IReadOnlyList<(Plan Plan, DateTimeOffset From, DateTimeOffset To)> intervals, DateTimeOffset? trialEndsAt, DateTimeOffset? canceledAt)
    {
        var result = new List<(Plan, DateTimeOffset, DateTimeOffset, string?)>();
        foreach (var (plan, from, to) in intervals)
        {
            var cuts = new[] { trialEndsAt, canceledAt }.OfType<DateTimeOffset>().Where(c => c > from && c < to).Order().ToList();
            var start = from;
            foreach (var end in cuts.Append(to))
            {
                var waiver = start < trialEndsAt ? "trial" : start >= canceledAt ? "after cancellation" : null;
                result.Add((plan, start, end, waiver));
                start = end;
            }
        }
        return result;
    }
}
