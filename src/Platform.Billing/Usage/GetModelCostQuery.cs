using Npgsql;
using Platform.Billing.Plans;
using Platform.Domain.Common;

namespace Platform.Billing.Usage;

/// <summary>
/// What training a model cost: the device seconds the usage ledger metered for its job, priced at the
/// tenant's current plan's per-hour rates (the overage rates: the price of an hour beyond the included
/// ones, which is what one more model costs). Null rates: the tenant has no plan.
/// </summary>
public sealed record ModelCost(long CpuSeconds, long GpuSeconds, string? Currency, decimal? CpuPerHour, decimal? GpuPerHour, string? PlanName)
{
    public decimal? TrainingCost => CpuPerHour is { } cpu && GpuPerHour is { } gpu
        ? Math.Round(CpuSeconds / 3600m * cpu + GpuSeconds / 3600m * gpu, 4)
        : null;

    /// <summary>Serving 1,000 predictions on one CPU core at <paramref name="latencyMs"/> each.</summary>
    public decimal? PerThousandPredictions(double latencyMs) => CpuPerHour is { } cpu
        ? Math.Round((decimal)latencyMs * 1000m / 3_600_000m * cpu, 6)
        : null;
}

/// <summary>The current tenant's cost of one job's model (another tenant's job has no rows: zero seconds).</summary>
public sealed class GetModelCostQuery(NpgsqlDataSource dataSource, ICurrentTenant current, TimeProvider clock)
{
    public async Task<ModelCost> ExecuteAsync(Guid jobId, CancellationToken cancellationToken = default)
    {
        if (current.TenantId is not { } tenantId)
            return new ModelCost(0, 0, null, null, null, null);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        long cpu = 0, gpu = 0;
        await using (var command = new NpgsqlCommand(
            "SELECT device_kind, coalesce(sum(seconds), 0)::bigint FROM usage_ledger WHERE tenant_id = $1 AND job_id = $2 GROUP BY device_kind",
            connection))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
            command.Parameters.Add(new NpgsqlParameter { Value = jobId });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                if (reader.GetString(0) == "cuda")
                    gpu += reader.GetInt64(1);
                else
                    cpu += reader.GetInt64(1);
            }
        }

        var subscription = await SubscriptionReader.ReadAsync(connection, null, tenantId, cancellationToken);
        if (subscription is null)
            return new ModelCost(cpu, gpu, null, null, null, null);
        var plan = subscription.PlanAt(clock.GetUtcNow());
        return new ModelCost(cpu, gpu, plan.Currency, plan.CpuOveragePerHour, plan.GpuOveragePerHour, plan.Name);
    }
}
