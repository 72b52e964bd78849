using Npgsql;
using Platform.Data.Audit;
using Platform.Domain.Common;
using Platform.Jobs.Queue;

namespace Platform.Jobs.Limits;

/// <summary>
/// Platform admin: sets how many jobs a tenant may run at once (max_concurrent, honoured by the claim)
/// and have queued or running (max_active, honoured by the launch). Lowering a limit stops nothing
/// that already runs or waits; it only holds back what comes next. Only the limit columns are
/// written: the running counter belongs to claim and complete.
/// </summary>
public sealed class SetTenantJobLimitsCommand(NpgsqlDataSource dataSource, AuditTrail audit)
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
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var before = await AuditTrail.ReadJsonAsync(connection, transaction, LimitsJson, tenantId, cancellationToken);
        await using var command = new NpgsqlCommand($"""
            WITH saved AS (
                INSERT INTO tenant_job_limits (tenant_id, max_concurrent, max_active)
                SELECT t.id, $2, $3 FROM tenants t WHERE t.id = $1
                ON CONFLICT (tenant_id) DO UPDATE SET max_concurrent = EXCLUDED.max_concurrent, max_active = EXCLUDED.max_active
                RETURNING 1)
            SELECT count(*), pg_notify('{QueueChannels.Work}', '') FROM saved
            """, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        command.Parameters.Add(new NpgsqlParameter { Value = maxConcurrent });
        command.Parameters.Add(new NpgsqlParameter { Value = maxActive });
        if (Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken)) != 1)
            return Result.NotFound("The organisation does not exist.");
        await audit.WriteAsync(connection, transaction, AuditActions.JobLimitsSet, tenantId, null, before,
            new { maxConcurrent, maxActive }, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return Result.Success();
    }

    private const string LimitsJson =
        "SELECT json_build_object('maxConcurrent', max_concurrent, 'maxActive', max_active)::text FROM tenant_job_limits WHERE tenant_id = $1";
}
