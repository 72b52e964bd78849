using Npgsql;

namespace Platform.Billing.Plans;

/// <summary>
/// Moves a tenant's subscription one month into the past (its anchor, trial end and plan changes, nothing
/// else), so a period has ended that the billing scheduler can close. For the demo seed only: a real
/// subscription's dates are what was agreed. Refused (false) once the tenant has an invoice, since an
/// issued invoice's period must not move under it.
/// </summary>
public sealed class BackdateSubscriptionCommand(NpgsqlDataSource dataSource)
{
    public async Task<bool> ExecuteAsync(Guid tenantId, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // Locks the subscription's row so two seeds cannot both move it.
        await using (var locked = new NpgsqlCommand("""
            SELECT NOT EXISTS (SELECT 1 FROM invoices i WHERE i.tenant_id = s.tenant_id)
            FROM subscriptions s WHERE s.tenant_id = $1 FOR UPDATE
            """, connection, transaction))
        {
            locked.Parameters.Add(new NpgsqlParameter { Value = tenantId });
            if (await locked.ExecuteScalarAsync(cancellationToken) is not true)
                return false;
        }
        foreach (var sql in new[]
                 {
                     "UPDATE subscriptions SET anchor = anchor - interval '1 month', trial_ends_at = trial_ends_at - interval '1 month' WHERE tenant_id = $1",
                     "UPDATE subscription_plan_changes SET effective_at = effective_at - interval '1 month' WHERE tenant_id = $1",
                 })
        {
            await using var backdate = new NpgsqlCommand(sql, connection, transaction);
            backdate.Parameters.Add(new NpgsqlParameter { Value = tenantId });
            await backdate.ExecuteNonQueryAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        return true;
    }
}
