using Platform.Domain.Billing;

namespace Platform.Billing.Plans;

/// <summary>A tenant's subscription with its plan history (ascending), enough to price any of its periods.</summary>
public sealed record Subscription(
    Guid TenantId,
    SubscriptionStatus Status,
    DateTimeOffset Anchor,
    string? StripeCustomerId,
    string? StripeSubscriptionId,
    IReadOnlyList<(DateTimeOffset EffectiveAt, Plan Plan)> PlanChanges,
    DateTimeOffset? TrialEndsAt = null,
    DateTimeOffset? CanceledAt = null)
{
    /// <summary>The period's intervals by plan, trial and post-cancellation parts split off (docs/decisions/0010).</summary>
    public IReadOnlyList<(Plan Plan, DateTimeOffset From, DateTimeOffset To, string? FeeWaiver)> Intervals(BillingPeriod period) =>
        ProrationRule.SplitFeeWaivers(ProrationRule.Split(period, PlanChanges), TrialEndsAt, CanceledAt);

    public BillingPeriod PeriodContaining(DateTimeOffset instant) => BillingPeriod.Containing(Anchor, instant);

    /// <summary>The plan in force at an instant (the first plan before the first change).</summary>
    public Plan PlanAt(DateTimeOffset instant)
    {
        var plan = PlanChanges[0].Plan;
        foreach (var change in PlanChanges)
        {
            if (change.EffectiveAt <= instant)
                plan = change.Plan;
        }
        return plan;
    }
}
