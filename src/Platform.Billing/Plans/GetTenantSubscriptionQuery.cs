using Npgsql;
using Platform.Domain.Billing;

namespace Platform.Billing.Plans;

/// <summary>A tenant's subscription as the admin's tenant page shows it: the plan now and the period now.</summary>
public sealed record TenantSubscriptionView(Subscription Subscription, Plan CurrentPlan, BillingPeriod CurrentPeriod);

/// <summary>
/// Platform admin: any tenant's subscription, or null when it has none. Platform-wide by design; the
/// host checks the PlatformAdmin role.
/// </summary>
public sealed class GetTenantSubscriptionQuery(NpgsqlDataSource dataSource, TimeProvider clock)
{
    public async Task<TenantSubscriptionView?> ExecuteAsync(Guid tenantId, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var subscription = await SubscriptionReader.ReadAsync(connection, null, tenantId, cancellationToken);
        if (subscription is null)
            return null;
        var now = clock.GetUtcNow();
        return new TenantSubscriptionView(subscription, subscription.PlanAt(now), subscription.PeriodContaining(now));
    }
}
