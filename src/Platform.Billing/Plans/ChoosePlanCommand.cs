using Platform.Domain.Common;

namespace Platform.Billing.Plans;

/// <summary>What a tenant owner may choose on the billing page: the plans, whether a trial is open, and why not when it is not.</summary>
/// <param name="Current">The plan now; null without a subscription.</param>
/// <param name="TrialOpen">A <see cref="AssignPlanCommand.TrialDays"/>-day trial can start with the next choice.</param>
/// <param name="Locked">Why the plan cannot be changed here (canceled, kept in Stripe); null when it can.</param>
public sealed record PlanChoice(IReadOnlyList<Domain.Billing.Plan> Plans, Domain.Billing.Plan? Current, bool TrialOpen, string? Locked);

/// <summary>
/// Self-serve plans (the tenant's owners; the web tier checks the role): the current tenant chooses a
/// plan, optionally with a trial, through the same <see cref="AssignPlanCommand"/> an admin uses, so
/// the same rules hold (mid-period changes prorated, no change into an invoiced period, one currency
/// per period). A subscription mirrored in Stripe is not changed here: Stripe holds its items and
/// decides its status (the webhook applies it), and a change on one side only would bill two plans.
/// </summary>
public sealed class ChoosePlanCommand(GetTenantSubscriptionQuery subscriptions, PlanQueries plans, AssignPlanCommand assign, ICurrentTenant current)
{
    public async Task<PlanChoice?> OptionsAsync(CancellationToken cancellationToken = default)
    {
        if (current.TenantId is not { } tenantId)
            return null;
        var view = await subscriptions.ExecuteAsync(tenantId, cancellationToken);
        var all = await plans.ListAsync(cancellationToken);
        var offered = all.Where(p => view is null || p.Currency == view.CurrentPlan.Currency).ToList();
        var locked = view?.Subscription switch
        {
            { Status: SubscriptionStatus.Canceled } => "The subscription is canceled; a canceled subscription cannot be given a plan again.",
            { StripeSubscriptionId: not null } => "Your subscription is kept in sync with Stripe: ask us to change the plan, so that Stripe bills the same one.",
            _ => null,
        };
        var trialOpen = locked is null && (view is null
            || (view.Subscription.TrialEndsAt is null && view.Subscription.Status == SubscriptionStatus.Active && view.CurrentPlan.MonthlyFee == 0));
        return new PlanChoice(offered, view?.CurrentPlan, trialOpen, locked);
    }

    public async Task<Result> ExecuteAsync(Guid planId, bool trial, CancellationToken cancellationToken = default)
    {
        if (current.TenantId is not { } tenantId)
            return Result.Forbidden("Choose an organisation first.");
        var options = await OptionsAsync(cancellationToken);
        if (options!.Locked is { } reason)
            return Result.Conflict(reason);
        if (options.Current?.Id == planId)
            return Result.Conflict($"The organisation is on the {options.Current.Name} plan already.");
        if (options.Plans.All(p => p.Id != planId))
            return Result.NotFound("That plan is not offered to this organisation.");
        if (trial && !options.TrialOpen)
            return Result.Conflict("A trial is for the first paid plan, once.");
        // A trial of a plan without a fee would waive nothing and use up the one trial.
        if (trial && options.Plans.First(p => p.Id == planId).MonthlyFee == 0)
            trial = false;
        return await assign.ExecuteAsync(tenantId, planId, trial, cancellationToken);
    }
}
