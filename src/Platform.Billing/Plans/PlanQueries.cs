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
}
