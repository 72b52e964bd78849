using Npgsql;

namespace Platform.Billing.Plans;

internal static class SubscriptionReader
{
    public static async Task<Subscription?> ReadAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, Guid tenantId,
        CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"""
            SELECT s.status, s.anchor, s.stripe_customer_id, s.stripe_subscription_id, c.effective_at, s.trial_ends_at, s.canceled_at, {PlanRows.Columns}
            FROM subscriptions s
            JOIN subscription_plan_changes c ON c.tenant_id = s.tenant_id
            JOIN billing_plans p ON p.id = c.plan_id
            WHERE s.tenant_id = $1
            ORDER BY c.effective_at
            """, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        Subscription? subscription = null;
        var changes = new List<(DateTimeOffset, Domain.Billing.Plan)>();
        while (await reader.ReadAsync(cancellationToken))
        {
            subscription ??= new Subscription(tenantId, SubscriptionStatuses.FromDb(reader.GetString(0)) ?? SubscriptionStatus.Canceled,
                reader.GetFieldValue<DateTimeOffset>(1), reader.IsDBNull(2) ? null : reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetString(3), changes,
                reader.IsDBNull(5) ? null : reader.GetFieldValue<DateTimeOffset>(5),
                reader.IsDBNull(6) ? null : reader.GetFieldValue<DateTimeOffset>(6));
            changes.Add((reader.GetFieldValue<DateTimeOffset>(4), PlanRows.Read(reader, 7)));
        }
        return subscription;
    }
}
