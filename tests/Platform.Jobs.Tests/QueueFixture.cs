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
        Queue = new JobQueue(database.DataSource);
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
        await using var command = Database.DataSource.CreateCommand("SELECT state, attempt, error FROM jobs WHERE id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = jobId });
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync(), $"job {jobId} not found");
        return (reader.GetString(0), reader.GetInt32(1), reader.IsDBNull(2) ? null : reader.GetString(2));
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
