using Npgsql;
using Platform.Domain.Datasets;

namespace Platform.Billing.Plans;

/// <summary>Billing's answer to an upload: the dataset and storage limits of the plan the tenant is on now.</summary>
internal sealed class DatasetQuota(NpgsqlDataSource dataSource, TimeProvider clock) : IDatasetQuota
{
    public async Task<DatasetLimits?> GetAsync(Guid tenantId, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var subscription = await SubscriptionReader.ReadAsync(connection, null, tenantId, cancellationToken);
        if (subscription is null)
            return null;
        var plan = subscription.PlanAt(clock.GetUtcNow());
        return new DatasetLimits(plan.Name, plan.MaxDatasetBytes, plan.MaxStorageBytes);
    }
}
