using Platform.Billing.Plans;
using Platform.Domain.Billing;

namespace Platform.Web.Hosting;

/// <summary>
/// `--seed-demo`: two plans an admin can start from, and the demo organisation on Starter, so the
/// Billing page, the quota on the launch form and the finance area have something to show. Plans are
/// found by code, so a re-run (or an admin's edits) are left as they are.
/// </summary>
internal static class DemoPlans
{
    private static readonly Plan[] Plans =
    [
        new(Guid.CreateVersion7(), "starter", "Starter", "USD", 49m, 10m, 50m, 2.50m, 0.10m, 2,
            1L << 30, 10L << 30, CapMode.Soft),
        new(Guid.CreateVersion7(), "growth", "Growth", "USD", 199m, 50m, 200m, 2.00m, 0.08m, 8,
            10L << 30, 100L << 30, CapMode.Soft),
    ];

    public static async Task EnsureAsync(IServiceProvider sp, Guid demoTenantId, CancellationToken cancellationToken)
    {
        var plans = (await sp.GetRequiredService<PlanQueries>().ListAsync(cancellationToken)).ToList();
        foreach (var plan in Plans.Where(p => plans.All(e => e.Code != p.Code)))
        {
            var saved = await sp.GetRequiredService<SavePlanCommand>().ExecuteAsync(plan, cancellationToken);
            if (!saved.IsSuccess)
                throw new InvalidOperationException($"Could not create the demo plan {plan.Code}: {saved.Error}");
            plans.Add(saved.Value);
        }
        // Every organisation starts on the sign-up plan (issue 13); the demo one moves to Starter once.
        if (await sp.GetRequiredService<GetTenantSubscriptionQuery>().ExecuteAsync(demoTenantId, cancellationToken) is { } current
            && current.Subscription.PlanChanges.Any(c => c.Plan.Code == "starter"))
            return;
        var starter = plans.First(p => p.Code == "starter");
        var assigned = await sp.GetRequiredService<AssignPlanCommand>().ExecuteAsync(demoTenantId, starter.Id, cancellationToken: cancellationToken);
        if (!assigned.IsSuccess)
            throw new InvalidOperationException($"Could not put the demo organisation on Starter: {assigned.Error}");
    }
}
