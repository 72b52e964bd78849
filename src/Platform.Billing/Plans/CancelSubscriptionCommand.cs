using Npgsql;
using Platform.Domain.Common;

namespace Platform.Billing.Plans;

/// <summary>
/// Cancels a tenant's subscription now (platform admins): launches are refused from then on, the
/// fee stops at this instant, and usage already metered in the period is still invoiced at close.
/// </summary>
public sealed class CancelSubscriptionCommand(NpgsqlDataSource dataSource, TimeProvider clock)
{
    public async Task<Result> ExecuteAsync(Guid tenantId, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("""
            UPDATE subscriptions SET status = 'canceled', canceled_at = coalesce(canceled_at, $2), updated_at = now()
            WHERE tenant_id = $1
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        command.Parameters.Add(new NpgsqlParameter { Value = clock.GetUtcNow().UtcDateTime });
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1
            ? Result.Success()
            : Result.NotFound("The organisation has no subscription.");
    }
}
