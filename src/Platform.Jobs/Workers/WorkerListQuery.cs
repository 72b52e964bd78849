using Npgsql;

namespace Platform.Jobs.Workers;

public sealed record RunningJobView(Guid JobId, string Name, string TenantName, DateTimeOffset? StartedAt);

/// <param name="Responding">
/// Not stopped and no heartbeat missed (the queue's own rule, worker_responding in migration 0265): a
/// worker that is not responding gets no gang ranks, though its rows look alive until its leases expire.
/// </param>
public sealed record WorkerView(Guid Id, string Name, string DeviceKind, string DeviceName, int Slots, DateTimeOffset StartedAt,
    DateTimeOffset HeartbeatAt, DateTimeOffset? StoppedAt, IReadOnlyList<RunningJobView> Jobs, bool Responding, TimeSpan HeartbeatEvery);

/// <summary>
/// Platform-wide by design (platform admins only): the workers still running and those stopped within
/// <paramref name="stoppedWithin"/> (every stopped one when null, newest 500), with the jobs each holds a lease on.
/// </summary>
public sealed class WorkerListQuery(NpgsqlDataSource dataSource)
{
    /// <summary>How long a stopped worker stays on the workers page unless "show all" is on.</summary>
    public static readonly TimeSpan RecentlyStopped = TimeSpan.FromMinutes(15);

    public async Task<IReadOnlyList<WorkerView>> ExecuteAsync(TimeSpan? stoppedWithin = null, CancellationToken cancellationToken = default)
    {
        var jobs = new Dictionary<Guid, List<RunningJobView>>();
        await using (var command = dataSource.CreateCommand("""
            SELECT q.worker_id, j.id, j.name, t.name, j.started_at
            FROM job_queue q JOIN jobs j ON j.id = q.job_id JOIN tenants t ON t.id = j.tenant_id
            WHERE q.worker_id IS NOT NULL AND q.lease_token IS NOT NULL
            ORDER BY j.started_at
            """))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var workerId = reader.GetGuid(0);
                if (!jobs.TryGetValue(workerId, out var list))
                    jobs[workerId] = list = [];
                list.Add(new RunningJobView(reader.GetGuid(1), reader.GetString(2), reader.GetString(3),
                    reader.IsDBNull(4) ? null : reader.GetFieldValue<DateTimeOffset>(4)));
            }
        }

        var workers = new List<WorkerView>();
        await using (var command = dataSource.CreateCommand("""
            SELECT id, name, device_kind, device_name, slots, started_at, heartbeat_at, stopped_at,
                   worker_responding(heartbeat_at, heartbeat_every), heartbeat_every
            FROM workers
            WHERE stopped_at IS NULL OR $1::interval IS NULL OR stopped_at > now() - $1::interval
            ORDER BY stopped_at IS NOT NULL, stopped_at DESC, name, started_at DESC
            LIMIT 500
            """))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = (object?)stoppedWithin ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Interval });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var id = reader.GetGuid(0);
                workers.Add(new WorkerView(id, reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetInt32(4),
                    reader.GetFieldValue<DateTimeOffset>(5), reader.GetFieldValue<DateTimeOffset>(6),
                    reader.IsDBNull(7) ? null : reader.GetFieldValue<DateTimeOffset>(7), jobs.GetValueOrDefault(id) ?? [],
                    reader.GetBoolean(8), reader.GetFieldValue<TimeSpan>(9)));
            }
        }
        return workers;
    }

    /// <summary>How many workers stopped longer ago than <paramref name="stoppedWithin"/>: what the page hides.</summary>
    public async Task<long> CountStoppedBeforeAsync(TimeSpan stoppedWithin, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("SELECT count(*) FROM workers WHERE stopped_at <= now() - $1::interval");
        command.Parameters.Add(new NpgsqlParameter { Value = stoppedWithin, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Interval });
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }
}
