using Npgsql;
using Platform.Jobs.Queue;
using Platform.Testing;

namespace Platform.Jobs.Tests;

/// <summary>A migrated database with two tenants and a registered worker row per test.</summary>
public sealed class QueueDatabase : IAsyncDisposable
{
    private QueueDatabase(PostgresDatabase database, Guid tenantA, Guid tenantB)
    {
        Database = database;
        TenantA = tenantA;
        TenantB = tenantB;
        // No back-off: the tests claim a requeued job at once. Back-off has its own tests.
        Queue = new JobQueue(database.DataSource, RetryOptions.Immediate);
    }

    public PostgresDatabase Database { get; }

    public JobQueue Queue { get; }

    public Guid TenantA { get; }

    public Guid TenantB { get; }

    public static async Task<QueueDatabase> CreateAsync()
    {
        var database = await PostgresDatabase.CreateAsync();
        var (a, _) = await Seed.TenantAsync(database);
        var (b, _) = await Seed.TenantAsync(database);
        return new QueueDatabase(database, a.Id, b.Id);
    }

    public async Task<Guid> RegisterWorkerAsync(string name = "test-worker")
    {
        var id = Guid.CreateVersion7();
        await using var command = Database.DataSource.CreateCommand(
            "INSERT INTO workers (id, name, device_kind, device_name, slots) VALUES ($1, $2, 'cpu', 'CPU', 1)");
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        command.Parameters.Add(new NpgsqlParameter { Value = name });
        await command.ExecuteNonQueryAsync();
        return id;
    }

    public Task<Guid> EnqueueAsync(Guid tenant, string name = "job", int priority = 0, int maxAttempts = 3, string kind = "noop") =>
        Queue.EnqueueAsync(new JobSubmission(tenant, kind, name, "{}", priority, maxAttempts));

    public async Task ExpireLeaseAsync(Guid jobId)
    {
        await using var command = Database.DataSource.CreateCommand(
            "UPDATE job_queue SET lease_expires_at = now() - interval '1 second' WHERE job_id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = jobId });
        await command.ExecuteNonQueryAsync();
    }

    public async Task<(string State, int Attempt, string? Error)> JobAsync(Guid jobId)
    {
        var job = await JobRowAsync(jobId);
        return (job.State, job.Attempt, job.Error);
    }

    /// <summary>A job's state, attempt, interruptions and the two messages (its own error, the last interruption's reason).</summary>
    public async Task<JobRow> JobRowAsync(Guid jobId)
    {
        await using var command = Database.DataSource.CreateCommand(
            "SELECT state, attempt, interruptions, error, last_interruption FROM jobs WHERE id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = jobId });
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync(), $"job {jobId} not found");
        return new JobRow(reader.GetString(0), reader.GetInt32(1), reader.GetInt32(2),
            reader.IsDBNull(3) ? null : reader.GetString(3), reader.IsDBNull(4) ? null : reader.GetString(4));
    }

    public async Task SetLimitAsync(Guid tenant, int maxConcurrent)
    {
        await using var command = Database.DataSource.CreateCommand("""
            INSERT INTO tenant_job_limits (tenant_id, max_concurrent) VALUES ($1, $2)
            ON CONFLICT (tenant_id) DO UPDATE SET max_concurrent = excluded.max_concurrent
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = tenant });
        command.Parameters.Add(new NpgsqlParameter { Value = maxConcurrent });
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>A job's usage segments with what the worker reported, oldest first, times in UTC.</summary>
    public async Task<List<SegmentRow>> SegmentRowsAsync(Guid job)
    {
        await using var command = Database.DataSource.CreateCommand("""
            SELECT attempt, segment, started_at, ended_at, closed, lost_at, device_seconds, end_source
            FROM usage_segments WHERE job_id = $1 ORDER BY attempt, segment
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = job });
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<SegmentRow>();
        while (await reader.ReadAsync())
        {
            rows.Add(new SegmentRow(reader.GetInt32(0), reader.GetInt32(1), reader.GetDateTime(2), reader.GetDateTime(3), reader.GetBoolean(4),
                reader.IsDBNull(5) ? null : reader.GetDateTime(5), reader.IsDBNull(6) ? null : reader.GetDouble(6),
                reader.IsDBNull(7) ? null : reader.GetString(7)));
        }
        return rows;
    }

    /// <summary>A job's usage segments, oldest first, times in UTC.</summary>
    public async Task<List<(int Attempt, int Segment, DateTime Start, DateTime End, bool Closed)>> SegmentsAsync(Guid job)
    {
        await using var command = Database.DataSource.CreateCommand(
            "SELECT attempt, segment, started_at, ended_at, closed FROM usage_segments WHERE job_id = $1 ORDER BY attempt, segment");
        command.Parameters.Add(new NpgsqlParameter { Value = job });
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<(int, int, DateTime, DateTime, bool)>();
        while (await reader.ReadAsync())
            rows.Add((reader.GetInt32(0), reader.GetInt32(1), reader.GetDateTime(2), reader.GetDateTime(3), reader.GetBoolean(4)));
        return rows;
    }

    public ValueTask DisposeAsync() => Database.DisposeAsync();
}

public sealed record JobRow(string State, int Attempt, int Interruptions, string? Error, string? LastInterruption);

public sealed record SegmentRow(int Attempt, int Segment, DateTime Start, DateTime End, bool Closed, DateTime? LostAt,
    double? DeviceSeconds, string? EndSource)
{
    public double Seconds => (End - Start).TotalSeconds;
}
