using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Platform.Data.Migrations;
using Platform.Jobs.Queue;
using Platform.Jobs.Training;
using Platform.Training.Tests.Common;
using Platform.Training.Training;

namespace Platform.Jobs.Tests;

/// <summary>A worker process rides out a PostgreSQL restart in the middle of a training job.</summary>
[Collection(WorkerProcessCollection.Name)]
public sealed class PostgresRestartTests : IAsyncLifetime
{
    private readonly OwnCluster _cluster = new();
    private readonly WorkerProcesses _workers = new();
    private readonly string _root = Directory.CreateTempSubdirectory("platform-restart-test-").FullName;
    private NpgsqlDataSource _dataSource = null!;

    public async Task InitializeAsync()
    {
        await _cluster.StartAsync();
        _dataSource = NpgsqlDataSource.Create(_cluster.ServerConnectionString);
        await new SqlMigrator(_dataSource, MigrationScripts.Embedded(), NullLogger<SqlMigrator>.Instance).MigrateAsync();
    }

    public async Task DisposeAsync()
    {
        _workers.Dispose();
        await _dataSource.DisposeAsync();
        NpgsqlConnection.ClearAllPools();
        await _cluster.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task Worker_PostgresRestartsMidJob_JobStillSucceeds()
    {
        var tenant = Guid.CreateVersion7();
        await ExecuteAsync($"INSERT INTO tenants (id, name, slug, status, created_at) VALUES ('{tenant}', 'Restart', 'restart', 'Active', now())");
        var data = Path.Combine(_root, "data");
        TestData.WriteImageFolders(data, perLabel: 48);
        var payload = new TrainingJobPayload(data, "cnn-28-grey", new TrainingOptions
        {
            Epochs = 5, BatchSize = 8, Threads = 1, CheckpointEverySteps = 3, Seed = 3,
        });
        var queue = new JobQueue(_dataSource);
        var id = await queue.EnqueueAsync(new JobSubmission(tenant, TrainingJobHandler.JobKind, "cnn",
            JsonSerializer.Serialize(payload, new JsonSerializerOptions(JsonSerializerDefaults.Web))));
        var worker = _workers.Start(_cluster.ServerConnectionString, _root, "survivor");
        await WaitForAsync(async () => await ScalarAsync("SELECT count(*) FROM job_events WHERE type = 'checkpoint'") >= 1);

        await _cluster.RestartAsync();
        NpgsqlConnection.ClearAllPools();

        await WaitForAsync(async () => await ScalarAsync($"SELECT count(*) FROM jobs WHERE state = 'Succeeded'") == 1);
        Assert.False(worker.HasExited);
    }

    [Fact]
    public async Task Worker_PostgresDownLongerThanTheLease_StopsInTimeBillsExactlyTheDeviceTimeAndLosesNoWork()
    {
        var tenant = Guid.CreateVersion7();
        await ExecuteAsync($"INSERT INTO tenants (id, name, slug, status, created_at) VALUES ('{tenant}', 'Outage', 'outage', 'Active', now())");
        var data = Path.Combine(_root, "data");
        TestData.WriteImageFolders(data, perLabel: 96);
        // Long enough (about 1,300 steps) to train on well after the outage.
        var payload = new TrainingJobPayload(data, "cnn-28-grey", new TrainingOptions
        {
            Epochs = 60, BatchSize = 8, Threads = 1, CheckpointEverySteps = 10, Seed = 3, EarlyStoppingPatience = 0,
        });
        var queue = new JobQueue(_dataSource);
        var id = await queue.EnqueueAsync(new JobSubmission(tenant, TrainingJobHandler.JobKind, "cnn",
            JsonSerializer.Serialize(payload, new JsonSerializerOptions(JsonSerializerDefaults.Web)), MaxAttempts: 1));
        var worker = _workers.Start(_cluster.ServerConnectionString, _root, "survivor");
        await WaitForAsync(async () => await ScalarAsync("SELECT count(*) FROM job_events WHERE type = 'checkpoint'") >= 2);

        // Down for 15 s against a 10 s lease; the run must stop itself after 5 s without a renewal.
        var downAt = DateTime.UtcNow;
        await _cluster.StopAsync();
        await Task.Delay(TimeSpan.FromSeconds(15));
        await _cluster.StartAsync();
        var upAt = DateTime.UtcNow;
        NpgsqlConnection.ClearAllPools();

        // Once the run after the outage has resumed, the job is cancelled: what this test proves happened by
        // then, and the 1,000-odd steps left (the bulk of the test's time, 70-140 s on a loaded machine) would
        // only show again what Worker_PostgresRestartsMidJob_JobStillSucceeds shows, a job finishing after an outage.
        await WaitForAsync(async () => await ScalarAsync("SELECT count(*) FROM job_events WHERE type = 'log' AND message LIKE 'resumed from%'") == 1);
        Assert.Equal(CancelResult.Requested, await queue.CancelAsync(tenant, id));
        await WaitForAsync(async () => await ScalarAsync("SELECT count(*) FROM jobs WHERE state = 'Cancelled'") == 1);
        await WaitForAsync(async () => await ScalarAsync("SELECT count(*) FROM usage_segments WHERE NOT closed") == 0);
        Assert.False(worker.HasExited);

        // The outage cost the job no attempt (it had one) and left no error behind.
        Assert.Equal((1L, 1L, 0L), (await ScalarAsync("SELECT attempt FROM jobs"), await ScalarAsync("SELECT interruptions FROM jobs"),
            await ScalarAsync("SELECT count(*) FROM jobs WHERE error IS NOT NULL")));

        // Metering: the first run's segment ends where its device stopped, after training into the
        // outage and before its lease could run out (the last renewal was before downAt); billed time is
        // the time the device measured, within a second per run; no second is counted twice.
        var segments = await SegmentsAsync();
        Assert.Equal(2, segments.Count);
        Assert.All(segments, s => Assert.Equal("worker", s.Source));
        Assert.All(segments, s => Assert.Equal(s.Device, (s.End - s.Start).TotalSeconds, 1.0));
        Assert.InRange(segments[0].End, downAt.AddSeconds(3), downAt.AddSeconds(10));
        Assert.True(segments[1].Start >= segments[0].End, "no second is counted twice");

        // Events of the outage were kept and written with their own times, and the run after it resumed
        // exactly at the last checkpoint the first run saved, although it was saved while the database was away.
        Assert.True(await ScalarAsync($"""
            SELECT count(*) FROM job_events WHERE at > '{downAt:O}'::timestamptz AND at < '{upAt:O}'::timestamptz
            """) >= 1, "events made during the outage are in the log");
        var lastSaved = await ScalarAsync($"""
            SELECT max(substring(message FROM 'step ([0-9]+)')::bigint) FROM job_events
            WHERE type = 'checkpoint' AND at < '{upAt:O}'::timestamptz
            """);
        var resumedAt = await ScalarAsync("""
            SELECT substring(message FROM 'at step ([0-9]+)')::bigint FROM job_events WHERE type = 'log' AND message LIKE 'resumed from%'
            """);
        Assert.True(lastSaved == resumedAt, $"resumed at {resumedAt}, last saved {lastSaved}:\n{string.Join('\n', _workers.Output.TakeLast(80))}");
    }

    private async Task<List<(DateTime Start, DateTime End, double Device, string Source)>> SegmentsAsync()
    {
        await using var command = _dataSource.CreateCommand(
            "SELECT started_at, ended_at, device_seconds, end_source FROM usage_segments ORDER BY attempt, segment");
        await using var reader = await command.ExecuteReaderAsync();
        var segments = new List<(DateTime, DateTime, double, string)>();
        while (await reader.ReadAsync())
            segments.Add((reader.GetDateTime(0), reader.GetDateTime(1), reader.GetDouble(2), reader.GetString(3)));
        return segments;
    }

    private Task WaitForAsync(Func<Task<bool>> condition) =>
        Eventually.WaitAsync(condition, TimeSpan.FromMinutes(8), () => Task.FromResult(string.Join('\n', _workers.Output)),
            () => _workers.Last is { HasExited: true } last ? $"worker exited with {last.ExitCode}" : null);

    private async Task<long> ScalarAsync(string sql)
    {
        await using var command = _dataSource.CreateCommand(sql);
        return Convert.ToInt64(await command.ExecuteScalarAsync());
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var command = _dataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }
}
