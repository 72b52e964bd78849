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

    private async Task WaitForAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(4);
        while (true)
        {
            try
            {
                if (await condition())
                    return;
            }
            catch (NpgsqlException)
            {
                // The test's own reads fail while the server restarts, like everyone else's.
            }
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException("job did not succeed after the restart");
            if (_workers.Last is { HasExited: true } last)
                throw new InvalidOperationException($"worker exited with {last.ExitCode}");
            await Task.Delay(200);
        }
    }

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
