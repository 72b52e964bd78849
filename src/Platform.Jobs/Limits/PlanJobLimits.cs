using Npgsql;
using Platform.Domain.Jobs;
using Platform.Jobs.Queue;

namespace Platform.Jobs.Limits;

/// <summary>
/// Writes a plan's concurrent-jobs figure into tenant_job_limits. Active jobs (queued or running) are
/// raised to at least that figure, since every running job is also active; they are never lowered here.
/// </summary>
internal sealed class PlanJobLimits(NpgsqlDataSource dataSource) : IPlanJobLimits
{
    public async Task ApplyAsync(Guid tenantId, int maxConcurrentJobs, CancellationToken cancellationToken = default)
    {
        if (maxConcurrentJobs <= 0)
            return;
        var concurrent = Math.Min(maxConcurrentJobs, TenantJobLimits.MaxLimit);
        // A raised limit may make a queued job claimable now: wake idle workers.
        await using var command = dataSource.CreateCommand($"""
            WITH saved AS (
                INSERT INTO tenant_job_limits (tenant_id, max_concurrent, max_active)
                SELECT t.id, $2, greatest($2, $3) FROM tenants t WHERE t.id = $1
                ON CONFLICT (tenant_id) DO UPDATE
                    SET max_concurrent = EXCLUDED.max_concurrent,
                        max_active = greatest(tenant_job_limits.max_active, EXCLUDED.max_concurrent)
                RETURNING 1)
            SELECT count(*), pg_notify('{QueueChannels.Work}', '') FROM saved
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        command.Parameters.Add(new NpgsqlParameter { Value = concurrent });
        command.Parameters.Add(new NpgsqlParameter { Value = TenantJobLimits.DefaultMaxActive });
        await command.ExecuteScalarAsync(cancellationToken);
    }
}
