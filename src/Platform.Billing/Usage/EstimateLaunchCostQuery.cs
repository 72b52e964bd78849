using Npgsql;
using Platform.Billing.Plans;
using Platform.Domain.Billing;
using Platform.Domain.Common;

namespace Platform.Billing.Usage;

/// <summary>
/// A launch's estimate in money on the tenant's plan: the hours the included allowance left this period
/// does not cover, at the plan's overage rate (what the invoice will add), and the whole estimate at
/// that rate (what the job is worth once the allowance is spent).
/// </summary>
public sealed record LaunchCost(string DeviceKind, string PlanName, decimal EstimatedHours, decimal HoursBeyondIncluded, Money PerHour)
{
    /// <summary>What the invoice adds for this job, as estimated.</summary>
    public Money Added => new Money(HoursBeyondIncluded * PerHour.Amount, PerHour.Currency).Rounded();

    /// <summary>The whole estimate at the overage rate.</summary>
    public Money AtRate => new Money(EstimatedHours * PerHour.Amount, PerHour.Currency).Rounded();
}

/// <summary>
/// Prices a launch estimate (hours from the job system's estimate) with the quota position
/// <see cref="CheckLaunchQuotaQuery"/> computes, so the form and the launch check agree on the hours
/// left. Null without a plan or a tenant, or when the launch would be refused.
/// </summary>
public sealed class EstimateLaunchCostQuery(NpgsqlDataSource dataSource, CheckLaunchQuotaQuery quota, TimeProvider clock, ICurrentTenant current)
{
    public async Task<LaunchCost?> ExecuteAsync(string deviceKind, double estimatedHours, CancellationToken cancellationToken = default)
    {
        if (current.TenantId is not { } tenantId)
            return null;
        var check = await quota.ExecuteAsync(deviceKind, estimatedHours, cancellationToken);
        if (!check.IsSuccess)
            return null;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var subscription = await SubscriptionReader.ReadAsync(connection, null, tenantId, cancellationToken);
        if (subscription is null)
            return null;
        var plan = subscription.PlanAt(clock.GetUtcNow());
        var position = check.Value;
        var beyond = Math.Max(0, position.EstimatedHours - Math.Max(0, position.HoursLeft));
        return new LaunchCost(deviceKind, plan.Name, position.EstimatedHours, beyond, new Money(plan.OveragePerHour(deviceKind), plan.Currency));
    }
}
