using Npgsql;
using NpgsqlTypes;
using Platform.Domain.Common;

namespace Platform.Jobs.Portal;

/// <summary>What a job list can be narrowed to; every field already validated (the API's JobFilterParser).</summary>
public sealed record JobFilter(string? State, Guid? DatasetId, string? BaseModel, DateTimeOffset? CreatedAfter, DateTimeOffset? CreatedBefore,
    bool SucceededTrainingOnly = false, string? Kind = null);

/// <summary>A job row with what the API adds to it: device time used, the device kind, and the place in the queue.</summary>
public sealed record ApiJobRow(JobView Job, double UsageSeconds, string? Device, int? QueuePosition);

/// <summary>
/// The current tenant's jobs as the API (/api/v1/jobs, /api/v1/models) lists them, newest first (created_at, then id, both descending: a stable
/// order for cursors). Every statement filters by the tenant from <see cref="ICurrentTenant"/>.
/// </summary>
public sealed class ApiJobQuery(NpgsqlDataSource dataSource, ICurrentTenant current)
{
    private const string Select = """
        SELECT j.id, j.name, j.kind, j.state, j.attempt, j.max_attempts, j.progress::text, j.result::text, j.error,
               j.cancel_requested_at IS NOT NULL, j.created_at, j.started_at, j.finished_at, j.payload::text,
               j.interruptions, j.last_interruption,
               (SELECT coalesce(sum(coalesce(s.device_seconds, extract(epoch FROM s.ended_at - s.started_at))), 0)::float8
                FROM usage_segments s WHERE s.job_id = j.id),
               (SELECT s.device_kind FROM usage_segments s WHERE s.job_id = j.id ORDER BY s.started_at DESC LIMIT 1),
               -- Claimable rows ahead of this one by priority and age; fair share between tenants may reorder them.
               CASE WHEN j.state = 'Queued' THEN
                 (SELECT count(*)::int + 1 FROM job_queue q, job_queue ahead
                  WHERE q.job_id = j.id AND ahead.lease_token IS NULL
                    AND (ahead.priority > q.priority OR (ahead.priority = q.priority AND ahead.enqueued_at < q.enqueued_at))) END,
               j.devices
        FROM jobs j
        """;

    // The catalog name the launch stored; jobs launched before it was stored fall back to a preset name (never a path).
    private const string BaseModelSql =
        "coalesce(j.payload->>'baseModelName', CASE WHEN j.payload->>'baseModel' NOT LIKE '%/%' THEN j.payload->>'baseModel' END)";

    public async Task<ApiJobRow?> GetAsync(Guid jobId, CancellationToken cancellationToken)
    {
        if (current.TenantId is not { } tenantId)
            return null;
        await using var command = dataSource.CreateCommand($"{Select} WHERE j.tenant_id = $1 AND j.id = $2");
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        command.Parameters.Add(new NpgsqlParameter { Value = jobId });
        var rows = await ReadAsync(command, cancellationToken);
        return rows.Count == 0 ? null : rows[0];
    }

    /// <summary>Null when <paramref name="after"/> names no job of the tenant (a cursor the client made up).</summary>
    public async Task<IReadOnlyList<ApiJobRow>?> ListAsync(JobFilter filter, Guid? after, int fetch, CancellationToken cancellationToken)
    {
        if (current.TenantId is not { } tenantId)
            return [];
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        if (after is { } cursor)
        {
            await using var exists = new NpgsqlCommand("SELECT 1 FROM jobs WHERE tenant_id = $1 AND id = $2", connection);
            exists.Parameters.Add(new NpgsqlParameter { Value = tenantId });
            exists.Parameters.Add(new NpgsqlParameter { Value = cursor });
            if (await exists.ExecuteScalarAsync(cancellationToken) is null)
                return null;
        }
        await using var command = new NpgsqlCommand($"""
            {Select}
            WHERE j.tenant_id = $1
              AND ($2::text IS NULL OR j.state = $2)
              AND ($3::uuid IS NULL OR j.payload->'dataset'->>'id' = $3::text)
              AND ($4::text IS NULL OR {BaseModelSql} = $4)
              AND ($5::timestamptz IS NULL OR j.created_at > $5)
              AND ($6::timestamptz IS NULL OR j.created_at < $6)
              AND ($7::uuid IS NULL OR (j.created_at, j.id) < (SELECT c.created_at, c.id FROM jobs c WHERE c.tenant_id = $1 AND c.id = $7))
              AND (NOT $8 OR (j.state = 'Succeeded' AND j.kind = 'train' AND (j.result ? 'modelFolder' OR j.result ? 'modelDirectory')))
              AND ($10::text IS NULL OR j.kind = $10)
            ORDER BY j.created_at DESC, j.id DESC
            LIMIT $9
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)filter.State ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)filter.DatasetId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)filter.BaseModel ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)filter.CreatedAfter ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)filter.CreatedBefore ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)after ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
        command.Parameters.Add(new NpgsqlParameter { Value = filter.SucceededTrainingOnly });
        command.Parameters.Add(new NpgsqlParameter { Value = fetch });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)filter.Kind ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        return await ReadAsync(command, cancellationToken);
    }

    /// <summary>
    /// Up to <paramref name="fetch"/> events: oldest first after <paramref name="afterId"/>, or with
    /// <paramref name="newest"/> newest first before it (0: from the newest). Both walk an index
    /// (ix_job_events_tenant_job, or ix_job_events_tenant_job_type for one type) from where they start.
    /// </summary>
    public async Task<IReadOnlyList<JobEventView>> EventsAsync(Guid jobId, long afterId, int fetch, string? type, bool newest,
        CancellationToken cancellationToken)
    {
        if (current.TenantId is not { } tenantId)
            return [];
        // Two statements rather than one with a CASE, so that each has a plan that reads only its page.
        var sql = (newest, type is null) switch
        {
            (false, true) => "WHERE tenant_id = $1 AND job_id = $2 AND id > $3 ORDER BY id LIMIT $5",
            (false, false) => "WHERE tenant_id = $1 AND job_id = $2 AND type = $4 AND id > $3 ORDER BY id LIMIT $5",
            (true, true) => "WHERE tenant_id = $1 AND job_id = $2 AND ($3 = 0 OR id < $3) ORDER BY id DESC LIMIT $5",
            (true, false) => "WHERE tenant_id = $1 AND job_id = $2 AND type = $4 AND ($3 = 0 OR id < $3) ORDER BY id DESC LIMIT $5",
        };
        await using var command = dataSource.CreateCommand($"SELECT id, at, type, message, data::text FROM job_events {sql}");
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        command.Parameters.Add(new NpgsqlParameter { Value = jobId });
        command.Parameters.Add(new NpgsqlParameter { Value = afterId });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)type ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = fetch });
        return await JobQueries.ReadEventsAsync(command, cancellationToken);
    }

    /// <summary>The step of the checkpoint a next run would resume from; null when none (or removed by retention).</summary>
    public async Task<long?> ResumeStepAsync(Guid jobId, CancellationToken cancellationToken)
    {
        if (current.TenantId is not { } tenantId)
            return null;
        await using var command = dataSource.CreateCommand(
            "SELECT checkpoint_step FROM jobs WHERE tenant_id = $1 AND id = $2 AND checkpoints_removed_at IS NULL");
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        command.Parameters.Add(new NpgsqlParameter { Value = jobId });
        return await command.ExecuteScalarAsync(cancellationToken) is long step ? step : null;
    }

    private static async Task<IReadOnlyList<ApiJobRow>> ReadAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var rows = new List<ApiJobRow>();
        await using var r = await command.ExecuteReaderAsync(cancellationToken);
        while (await r.ReadAsync(cancellationToken))
        {
            var job = new JobView(
                r.GetGuid(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetInt32(4), r.GetInt32(5),
                r.IsDBNull(6) ? null : r.GetString(6), r.IsDBNull(7) ? null : r.GetString(7), r.IsDBNull(8) ? null : r.GetString(8),
                r.GetBoolean(9), r.GetFieldValue<DateTimeOffset>(10),
                r.IsDBNull(11) ? null : r.GetFieldValue<DateTimeOffset>(11), r.IsDBNull(12) ? null : r.GetFieldValue<DateTimeOffset>(12),
                r.GetString(13), r.GetInt32(14), r.IsDBNull(15) ? null : r.GetString(15), r.GetInt32(19));
            rows.Add(new ApiJobRow(job, r.GetDouble(16), r.IsDBNull(17) ? null : r.GetString(17), r.IsDBNull(18) ? null : r.GetInt32(18)));
        }
        return rows;
    }
}
