using Npgsql;
using Platform.Data.Audit;
using Platform.Domain.Common;

namespace Platform.Billing.Plans;

/// <summary>
/// Cancels a tenant's subscription now (platform admins): launches are refused from then on, the
/// fee stops at this instant, and usage already metered in the period is still invoiced at close.
/// </summary>
public sealed class CancelSubscriptionCommand(NpgsqlDataSource dataSource, TimeProvider clock, AuditTrail audit)
{
    public async Task<Result> ExecuteAsync(Guid tenantId, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var before = await AuditTrail.ReadJsonAsync(connection, transaction, SubscriptionJson, tenantId, cancellationToken);
        await using var command = new NpgsqlCommand("""
            UPDATE subscriptions SET status = 'canceled', canceled_at = coalesce(canceled_at, $2), updated_at = now()
            WHERE tenant_id = $1
            """, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        command.Parameters.Add(new NpgsqlParameter { Value = clock.GetUtcNow().UtcDateTime });
        if (await command.ExecuteNonQueryAsync(cancellationToken) != 1)
            return Result.NotFound("The organisation has no subscription.");
        var after = await AuditTrail.ReadJsonAsync(connection, transaction, SubscriptionJson, tenantId, cancellationToken);
        await audit.WriteAsync(connection, transaction, AuditActions.SubscriptionCancel, tenantId, null, before, after, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return Result.Success();
    }

    private const string SubscriptionJson =
        "SELECT json_build_object('status', status, 'canceledAt', canceled_at)::text FROM subscriptions WHERE tenant_id = $1";
}
