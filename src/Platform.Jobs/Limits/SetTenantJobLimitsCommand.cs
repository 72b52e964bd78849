using Npgsql;
using Platform.Domain.Common;
using Platform.Jobs.Queue;

namespace Platform.Jobs.Limits;

/// <summary>
/// Platform admin: sets how many jobs a tenant may run at once (max_concurrent, honoured by the claim)
/// and have queued or running (max_active, honoured by the launch). Lowering a limit stops nothing
/// that already runs or waits; it only holds back what comes next. Only the limit columns are
/// written: the running counter belongs to claim and complete.
/// </summary>
public sealed class SetTenantJobLimitsCommand(NpgsqlDataSource dataSource)
{
    public async Task<Result> ExecuteAsync(Guid tenantId, int maxConcurrent, int maxActive, CancellationToken cancellationToken = default)
    {
        if (maxConcurrent is < 1 or > TenantJobLimits.MaxLimit)
            return Result.BadRequest($"Jobs running at once must be a whole number from 1 to {TenantJobLimits.MaxLimit}.");
        if (maxActive is < 1 or > TenantJobLimits.MaxLimit)
            return Result.BadRequest($"Active jobs (queued or running) must be a whole number from 1 to {TenantJobLimits.MaxLimit}.");
        if (maxConcurrent > maxActive)
            return Result.BadRequest("Jobs running at once cannot exceed active jobs: every running job is also active.");

        // A raised limit may make a queued job claimable now: wake idle workers rather than wait for their next poll.
        await using var command = dataSource.CreateCommand($"""
            WITH saved AS (
                INSERT INTO tenant_job_limits (tenant_id, max_concurrent, max_active)
                SELECT t.id, $2, $3 FROM tenants t WHERE t.id = $1
                ON CONFLICT (tenant_id) DO UPDATE SET max_concurrent = EXCLUDED.max_concurrent, max_active = EXCLUDED.max_active
                RETURNING 1)
            SELECT count(*), pg_notify('{QueueChannels.Work}', '') FROM saved
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        command.Parameters.Add(new NpgsqlParameter { Value = maxConcurrent });
        command.Parameters.Add(new NpgsqlParameter { Value = maxActive });
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken)) == 1
            ? Result.Success()
            : Result.NotFound("The organisation does not exist.");
    }
}
