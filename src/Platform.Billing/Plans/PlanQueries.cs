using Npgsql;
using Platform.Domain.Billing;

namespace Platform.Billing.Plans;

/// <summary>Plans for the admin pages and the plan a tenant is on.</summary>
public sealed class PlanQueries(NpgsqlDataSource dataSource)
{
    public async Task<IReadOnlyList<Plan>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand($"SELECT {PlanRows.Columns} FROM billing_plans p ORDER BY p.monthly_fee, p.code");
        var plans = new List<Plan>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            plans.Add(PlanRows.Read(reader));
        return plans;
    }

    public async Task<Plan?> FindAsync(Guid id, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand($"SELECT {PlanRows.Columns} FROM billing_plans p WHERE p.id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? PlanRows.Read(reader) : null;
    }

    /// <summary>How many tenants each plan has now (its latest plan change, subscription not canceled); plans without any are absent.</summary>
    public async Task<IReadOnlyDictionary<Guid, int>> TenantCountsAsync(CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT c.plan_id, count(*)::int
            FROM subscriptions s
            CROSS JOIN LATERAL (SELECT c.plan_id FROM subscription_plan_changes c
                                WHERE c.tenant_id = s.tenant_id ORDER BY c.effective_at DESC LIMIT 1) c
            WHERE s.status <> 'canceled'
            GROUP BY c.plan_id
            """);
        var counts = new Dictionary<Guid, int>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            counts[reader.GetGuid(0)] = reader.GetInt32(1);
        return counts;
    }
}
