using Npgsql;
using NpgsqlTypes;
using Platform.Domain.Common;

namespace Platform.Jobs.Portal;

/// <summary>
/// The current tenant's jobs and their events. Every statement filters by the tenant from
/// <see cref="ICurrentTenant"/>; without one nothing is returned.
/// </summary>
public sealed class JobQueries(NpgsqlDataSource dataSource, ICurrentTenant current)
{
    private const string Columns = """
        id, name, kind, state, attempt, max_attempts, progress::text, result::text, error,
        cancel_requested_at IS NOT NULL, created_at, started_at, finished_at, payload::text,
        interruptions, last_interruption, devices,
        (SELECT q.world_size FROM job_queue q WHERE q.job_id = jobs.id AND q.lease_token IS NOT NULL)
        """;

    public async Task<IReadOnlyList<JobView>> ListAsync(string? state = null, int limit = 100, CancellationToken cancellationToken = default)
    {
        if (current.TenantId is not { } tenantId)
            return [];
        await using var command = dataSource.CreateCommand($"""
            SELECT {Columns} FROM jobs
            WHERE tenant_id = $1 AND ($2::text IS NULL OR state = $2)
            ORDER BY created_at DESC LIMIT $3
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)state ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = Math.Clamp(limit, 1, 1000) });
        var jobs = new List<JobView>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            jobs.Add(Read(reader));
        return jobs;
    }

    public async Task<JobView?> GetAsync(Guid jobId, CancellationToken cancellationToken = default)
    {
        if (current.TenantId is not { } tenantId)
            return null;
        await using var command = dataSource.CreateCommand($"SELECT {Columns} FROM jobs WHERE tenant_id = $1 AND id = $2");
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        command.Parameters.Add(new NpgsqlParameter { Value = jobId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    /// <summary>Events after <paramref name="afterId"/>, oldest first.</summary>
    public async Task<IReadOnlyList<JobEventView>> EventsAsync(Guid jobId, long afterId = 0, int limit = 500,
        CancellationToken cancellationToken = default)
    {
        if (current.TenantId is not { } tenantId)
            return [];
        await using var command = dataSource.CreateCommand("""
            SELECT id, at, type, message, data::text FROM job_events
            WHERE tenant_id = $1 AND job_id = $2 AND id > $3 ORDER BY id LIMIT $4
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        command.Parameters.Add(new NpgsqlParameter { Value = jobId });
        command.Parameters.Add(new NpgsqlParameter { Value = afterId });
        command.Parameters.Add(new NpgsqlParameter { Value = Math.Clamp(limit, 1, 5000) });
        return await ReadEventsAsync(command, cancellationToken);
    }

    /// <summary>
    /// The newest <paramref name="limit"/> events, newest first: what the job page's log shows. A job
    /// that ran for days has hundreds of thousands of events; this reads only the last ones (backwards
    /// along ix_job_events_tenant_job).
    /// </summary>
    public async Task<IReadOnlyList<JobEventView>> NewestEventsAsync(Guid jobId, int limit, CancellationToken cancellationToken = default)
    {
        if (current.TenantId is not { } tenantId)
            return [];
        await using var command = dataSource.CreateCommand("""
            SELECT id, at, type, message, data::text FROM job_events
            WHERE tenant_id = $1 AND job_id = $2 ORDER BY id DESC LIMIT $3
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        command.Parameters.Add(new NpgsqlParameter { Value = jobId });
        command.Parameters.Add(new NpgsqlParameter { Value = Math.Clamp(limit, 1, 5000) });
        return await ReadEventsAsync(command, cancellationToken);
    }

    /// <summary>
    /// Every "epoch" event of the job, oldest first: the points of the per-epoch charts, however many
    /// other events lie between them (ix_job_events_tenant_job_type reads only these).
    /// </summary>
    public async Task<IReadOnlyList<JobEventView>> EpochEventsAsync(Guid jobId, CancellationToken cancellationToken = default)
    {
        if (current.TenantId is not { } tenantId)
            return [];
        await using var command = dataSource.CreateCommand("""
            SELECT id, at, type, message, data::text FROM job_events
            WHERE tenant_id = $1 AND job_id = $2 AND type = 'epoch' ORDER BY id LIMIT 100000
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        command.Parameters.Add(new NpgsqlParameter { Value = jobId });
        return await ReadEventsAsync(command, cancellationToken);
    }

    /// <summary>Runs a statement that selects id, at, type, message, data::text of job_events.</summary>
    internal static async Task<IReadOnlyList<JobEventView>> ReadEventsAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var events = new List<JobEventView>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            events.Add(new JobEventView(reader.GetInt64(0), reader.GetFieldValue<DateTimeOffset>(1), reader.GetString(2),
                reader.GetString(3), reader.IsDBNull(4) ? null : reader.GetString(4)));
        }
        return events;
    }

    /// <summary>
    /// The job's training-loss curve, oldest step first, averaged into at most <paramref name="maxPoints"/>
    /// buckets of equal step width so that an hours-long job still draws as a few hundred points. The
    /// width comes from the last step (one index probe), so the points are read once and never spilled
    /// to a temporary table (a CTE did: 2.5x slower for a 120,000-point job, bench/RESULTS.md).
    /// </summary>
    public async Task<IReadOnlyList<LossPointView>> LossCurveAsync(Guid jobId, int maxPoints = 300,
        CancellationToken cancellationToken = default)
    {
        if (current.TenantId is not { } tenantId)
            return [];
        await using var command = dataSource.CreateCommand("""
            SELECT max(step), max(total_steps), avg(loss)
            FROM job_loss_points
            WHERE tenant_id = $1 AND job_id = $2
            GROUP BY (step - 1) / (SELECT greatest(1, ceil(max(m.step)::numeric / $3))::bigint
                                   FROM job_loss_points m WHERE m.tenant_id = $1 AND m.job_id = $2)
            ORDER BY 1
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        command.Parameters.Add(new NpgsqlParameter { Value = jobId });
        command.Parameters.Add(new NpgsqlParameter { Value = Math.Clamp(maxPoints, 1, 5000) });
        var points = new List<LossPointView>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            points.Add(new LossPointView(reader.GetInt64(0), reader.GetInt64(1), reader.GetDouble(2)));
        return points;
    }

    private static JobView Read(NpgsqlDataReader r) => new(
        r.GetGuid(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetInt32(4), r.GetInt32(5),
        r.IsDBNull(6) ? null : r.GetString(6), r.IsDBNull(7) ? null : r.GetString(7), r.IsDBNull(8) ? null : r.GetString(8),
        r.GetBoolean(9), r.GetFieldValue<DateTimeOffset>(10),
        r.IsDBNull(11) ? null : r.GetFieldValue<DateTimeOffset>(11), r.IsDBNull(12) ? null : r.GetFieldValue<DateTimeOffset>(12),
        r.GetString(13), r.GetInt32(14), r.IsDBNull(15) ? null : r.GetString(15), r.GetInt32(16),
        r.IsDBNull(17) ? null : r.GetInt32(17));
}
