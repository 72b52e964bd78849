using Npgsql;

namespace Platform.Jobs.Limits;

/// <summary>Platform admin: any tenant's job limits and counts (the host checks the PlatformAdmin role).</summary>
public sealed class GetTenantJobLimitsQuery(NpgsqlDataSource dataSource)
{
    public async Task<TenantJobLimits> ExecuteAsync(Guid tenantId, CancellationToken cancellationToken = default)
    {
        // Running is counted from the jobs, not read from tenant_job_limits.running: that counter is the
        // claim's bookkeeping, and the page should show what is true. A job on N devices counts N, as
        // the claim and the launch count it (decision 0044); a gang resumed on fewer (migration 0266)
        // counts the devices it runs on.
        await using var command = dataSource.CreateCommand("""
            SELECT l.max_concurrent, l.max_active,
                   (SELECT coalesce(sum(coalesce(q.world_size, j.devices)), 0) FROM jobs j
                    LEFT JOIN job_queue q ON q.job_id = j.id AND q.lease_token IS NOT NULL
                    WHERE j.tenant_id = $1 AND j.state = 'Running')::int,
                   (SELECT coalesce(sum(j.devices), 0) FROM jobs j WHERE j.tenant_id = $1 AND j.state IN ('Queued', 'Running'))::int
            FROM (SELECT 1) one LEFT JOIN tenant_job_limits l ON l.tenant_id = $1
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var isDefault = reader.IsDBNull(0);
        return new TenantJobLimits(
            isDefault ? TenantJobLimits.DefaultMaxConcurrent : reader.GetInt32(0),
            isDefault ? TenantJobLimits.DefaultMaxActive : reader.GetInt32(1),
            reader.GetInt32(2), reader.GetInt32(3), isDefault);
    }
}
