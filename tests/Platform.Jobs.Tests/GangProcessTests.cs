using System.Diagnostics;
using System.Text.Json;
using Platform.Jobs.Queue;
using Platform.Jobs.Training;
using Platform.Training.Tests.Common;
using Platform.Training.Training;

namespace Platform.Jobs.Tests;

/// <summary>
/// A two-device CNN job on two real worker processes of one CPU slot each (decisions 0043, 0044): the
/// ranks train over Gloo, and a killed rank stops the gang, which resumes from its checkpoint and ends
/// where an uninterrupted run of the same job ends.
/// </summary>
[Collection(WorkerProcessCollection.Name)]
public sealed class GangProcessTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(5);
    private QueueDatabase _db = null!;
    private string _root = null!;
    private readonly Dictionary<string, Process> _byName = [];

    private WorkerProcesses Workers { get; } = new();

    public async Task InitializeAsync()
    {
        _db = await QueueDatabase.CreateAsync();
        _root = Directory.CreateTempSubdirectory("platform-gang-test-").FullName;
        TestData.WriteImageFolders(Path.Combine(_root, "data"), perLabel: 48);
    }

    public async Task DisposeAsync()
    {
        Workers.Dispose();
        await _db.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task Gang_RankKilledMidTraining_ResumesAndEndsLikeAnUninterruptedRun()
    {
        var (plain, killed, name) = await RunOneThenKillRankOneOfTheNextAsync();
        StartWorker(name);
        await WaitForAsync(async () => await StateAsync(killed) == "Succeeded");

        var job = await _db.JobRowAsync(killed);
        Assert.Equal(1, job.Attempt);
        Assert.True(job.Interruptions >= 1, "the kill interrupted the gang");
        Assert.True(await CountAsync($"SELECT count(*) FROM job_events WHERE job_id = '{killed}' AND type = 'log' AND message LIKE 'resumed from%'") >= 1);
        // The same model: both runs end at the same accuracy, and their last step's loss agrees to 1e-3
        // (a resume mid-epoch is not bit-exact: the first run measured 2e-5 against 9e-5).
        var (plainLoss, plainAccuracy) = await FinalAsync(plain);
        var (killedLoss, killedAccuracy) = await FinalAsync(killed);
        Assert.Equal(plainAccuracy, killedAccuracy);
        Assert.Equal(plainLoss, killedLoss, 1e-3);
        // Both devices were metered for both jobs: every run a segment of its own, all ended.
        Assert.Equal(2L, await CountAsync($"SELECT count(*) FROM usage_segments WHERE job_id = '{plain}' AND closed"));
        await WaitForAsync(async () => await CountAsync($"SELECT count(*) FROM usage_segments WHERE job_id = '{killed}' AND NOT closed") == 0);
        Assert.True(await CountAsync($"SELECT count(*) FROM usage_segments WHERE job_id = '{killed}'") >= 4);
    }

    [Fact]
    public async Task Gang_RankWorkerKilledAndNotReplaced_ResumesOnTheOneLeftAndEndsLikeAnUninterruptedRun()
    {
        var (plain, killed, _) = await RunOneThenKillRankOneOfTheNextAsync();
        // One slot is left: the gang waits for two until its reservation time (30 s, moved back here
        // rather than waited for), then resumes on the one.
        await WaitForAsync(async () => await CountAsync(
            $"SELECT count(*) FROM job_queue WHERE job_id = '{killed}' AND lease_token IS NULL AND gang_waiting_since IS NOT NULL") == 1);
        await using (var command = _db.Database.DataSource.CreateCommand($"""
            UPDATE job_queue SET gang_waiting_since = now() - interval '31 seconds', available_at = now() WHERE job_id = '{killed}';
            NOTIFY platform_jobs;
            """))
            await command.ExecuteNonQueryAsync();
        await WaitForAsync(async () => await StateAsync(killed) == "Succeeded");

        Assert.Equal(1L, await CountAsync(
            $"SELECT count(*) FROM job_events WHERE job_id = '{killed}' AND type = 'claimed' AND message LIKE 'Resumed on 1 of its 2 devices%'"));
        // The global batch is the same on one rank: the same model as the uninterrupted two-rank run
        // (the tolerance of the test above: a resume mid-epoch is not bit-exact).
        var (plainLoss, plainAccuracy) = await FinalAsync(plain);
        var (killedLoss, killedAccuracy) = await FinalAsync(killed);
        Assert.Equal(plainAccuracy, killedAccuracy);
        Assert.Equal(plainLoss, killedLoss, 1e-3);
        // The resumed run is metered as one device.
        Assert.Equal(1L, await CountAsync($"""
            SELECT count(*) FROM usage_segments s WHERE s.job_id = '{killed}'
              AND s.gang_head = (SELECT max(gang_head) FROM usage_segments WHERE job_id = '{killed}')
            """));
    }

    /// <summary>
    /// On two workers: one job run to its end, then a second killed after two checkpoints: the worker
    /// running its rank 1 is killed, so rank 0's collective fails and the gang is requeued whole.
    /// Returns both jobs and the killed worker's name.
    /// </summary>
    private async Task<(Guid Plain, Guid Killed, string KilledWorker)> RunOneThenKillRankOneOfTheNextAsync()
    {
        StartWorker("a");
        StartWorker("b");
        var plain = await EnqueueCnnAsync("uninterrupted");
        await WaitForAsync(async () => await StateAsync(plain) == "Succeeded");

        var killed = await EnqueueCnnAsync("killed");
        await WaitForAsync(async () => await CountAsync($"SELECT count(*) FROM job_events WHERE job_id = '{killed}' AND type = 'checkpoint'") >= 2);
        var name = await _db.Database.ScalarAsync<string>(
            $"SELECT w.name FROM gang_ranks g JOIN workers w ON w.id = g.worker_id WHERE g.job_id = '{killed}'");
        var rank1 = _byName[name];
        rank1.Kill(entireProcessTree: true);
        await rank1.WaitForExitAsync();
        return (plain, killed, name);
    }

    private void StartWorker(string name) =>
        _byName[name] = Workers.Start(_db.Database.ConnectionString, _root, name, new Dictionary<string, string>
        {
            ["Worker__Slots"] = "1",
            ["Worker__RendezvousTimeout"] = "00:00:20",
        });

    private async Task<Guid> EnqueueCnnAsync(string name)
    {
        var payload = new TrainingJobPayload(Path.Combine(_root, "data"), "cnn-28-grey", new TrainingOptions
        {
            Epochs = 3,
            BatchSize = 8,
            Threads = 1,
            CheckpointEverySteps = 3,
            Seed = 7,
        });
        return await _db.Queue.EnqueueAsync(new JobSubmission(_db.TenantA, TrainingJobHandler.JobKind, name,
            JsonSerializer.Serialize(payload, new JsonSerializerOptions(JsonSerializerDefaults.Web)), MaxAttempts: 1, Devices: 2));
    }

    private async Task<string> StateAsync(Guid id) => (await _db.JobAsync(id)).State;

    private async Task<long> CountAsync(string sql) => await _db.Database.ScalarAsync<long>(sql);

    /// <summary>The last step's loss and the result's accuracy.</summary>
    private async Task<(double Loss, double Accuracy)> FinalAsync(Guid id) =>
        (await _db.Database.ScalarAsync<double>($"SELECT loss FROM job_loss_points WHERE job_id = '{id}' ORDER BY step DESC LIMIT 1"),
         await _db.Database.ScalarAsync<double>($"SELECT (result->>'accuracy')::float8 FROM jobs WHERE id = '{id}'"));

    private async Task WaitForAsync(Func<Task<bool>> done)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!await done())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"not reached within {Patience}; job events: {await EventsAsync()}\n{string.Join('\n', Workers.Output)}");
            if (await CountAsync("SELECT count(*) FROM jobs WHERE state = 'Failed'") > 0)
                throw new InvalidOperationException($"a job failed; job events: {await EventsAsync()}\n{string.Join('\n', Workers.Output)}");
            await Task.Delay(200);
        }
    }

    private async Task<string> EventsAsync()
    {
        await using var command = _db.Database.DataSource.CreateCommand("SELECT string_agg(type || ': ' || message, ' | ' ORDER BY id) FROM job_events");
        return (await command.ExecuteScalarAsync())?.ToString() ?? "";
    }
}
