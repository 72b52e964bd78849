using System.Security.Cryptography;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Platform.Data;
using Platform.Data.Artifacts;
using Platform.Jobs.Queue;
using Platform.Jobs.Training;
using Platform.Jobs.Workers;
using Platform.Testing;
using Platform.Training.Training;

namespace Platform.Jobs.Tests;

/// <summary>
/// The fencing rule (decision 0019) with checkpoints in the artifact store: a checkpoint is stored under its
/// run's token, and only the one the job's fenced resume point names is ever resumed, so a run that lost its
/// job (a zombie still training) can store checkpoints but never move the job.
/// </summary>
public sealed class RunStorageFencingTests : IAsyncLifetime
{
    private readonly TempDirectory _root = new();
    private QueueDatabase _db = null!;
    private IHost _host = null!;
    private Guid _worker;

    private StoredFolders Folders => _host.Services.GetRequiredService<StoredFolders>();

    public async Task InitializeAsync()
    {
        _db = await QueueDatabase.CreateAsync();
        _worker = await _db.RegisterWorkerAsync();
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Platform"] = _db.Database.ConnectionString,
            ["Storage:Root"] = Path.Combine(_root.Path, "store"),
            ["Storage:MasterKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            ["Data:Migrations"] = "Check",
        });
        builder.AddPlatformData();
        _host = builder.Build();
        await _host.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
        await _db.DisposeAsync();
        _root.Dispose();
    }

    private sealed record Run(ClaimedJob Job, JobContext Context, RunReports Reports, RunStorage Storage, long? Resumed);

    private async Task<Run> ClaimAsync(string name)
    {
        var job = await _db.Queue.ClaimAsync(_worker, TimeSpan.FromMinutes(5), "cpu") ?? throw new InvalidOperationException("nothing to claim");
        var reports = new RunReports(job, _db.Queue, new LossCurveRecorder(_db.Database.DataSource), NullLogger.Instance);
        var context = new JobContext(job, CancellationToken.None, _db.Queue, reports, () => true, Path.Combine(_root.Path, name), new WorkerSlot(0, "cpu", 1));
        var (storage, resumed) = await RunStorage.PrepareAsync(context, Folders, Path.Combine(_root.Path, "legacy"), NullLogger.Instance);
        return new Run(job, context, reports, storage, resumed);
    }

    /// <summary>What the trainer leaves after a checkpoint: checkpoint-{step}/trainer_state.json and the best weights beside it.</summary>
    private static string SaveCheckpoint(Run run, long step)
    {
        var folder = Path.Combine(run.Storage.LocalCheckpoints, CheckpointTransfer.FolderName(step));
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "trainer_state.json"), $$"""{"step":{{step}},"best_weights":"best-{{step}}.safetensors"}""");
        File.WriteAllBytes(Path.Combine(folder, "optimizer.bin"), RandomNumberGenerator.GetBytes(256));
        File.WriteAllBytes(Path.Combine(run.Storage.LocalCheckpoints, $"best-{step}.safetensors"), RandomNumberGenerator.GetBytes(512));
        return folder;
    }

    private async Task<(Guid? Token, long? Step)> ResumePointAsync(Guid jobId)
    {
        await using var command = _db.Database.DataSource.CreateCommand("SELECT checkpoint_token, checkpoint_step FROM jobs WHERE id = $1");
        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = jobId });
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.IsDBNull(0) ? null : reader.GetGuid(0), reader.IsDBNull(1) ? null : reader.GetInt64(1));
    }

    [Fact]
    public async Task Resume_AfterAZombieRunStoredALaterCheckpoint_ResumesFromTheFencedResumePointOnly()
    {
        var jobId = await _db.EnqueueAsync(_db.TenantA, kind: TrainingJobHandler.JobKind);
        var first = await ClaimAsync("first");
        Assert.Null(first.Resumed);
        Assert.True(first.Storage.IsPublished(first.Storage.OnCheckpointSaved(SaveCheckpoint(first, 3))));
        Assert.True(await first.Reports.FlushAsync(CancellationToken.None));
        Assert.Equal((first.Job.LeaseToken, 3L), await ResumePointAsync(jobId));

        // The job is taken from the first run (its lease ran out while it went on training).
        await _db.ExpireLeaseAsync(jobId);
        await _db.Queue.RecoverExpiredAsync();
        var second = await ClaimAsync("second");
        Assert.Equal(3L, second.Resumed);
        Assert.True(File.Exists(Path.Combine(second.Storage.LocalCheckpoints, CheckpointTransfer.FolderName(3), "optimizer.bin")));
        Assert.True(File.Exists(Path.Combine(second.Storage.LocalCheckpoints, "best-3.safetensors")));

        // The zombie stores a later checkpoint under its own token: its publication is refused.
        first.Storage.OnCheckpointSaved(SaveCheckpoint(first, 6));
        await first.Reports.FlushAsync(CancellationToken.None);
        Assert.True(first.Reports.FencedOut);
        Assert.Equal((first.Job.LeaseToken, 3L), await ResumePointAsync(jobId));
        Assert.True(await Folders.ExistsAsync(_db.TenantA, JobFolders.Checkpoint(JobFolders.Run(jobId, first.Job.LeaseToken), 6)));

        // The second run stops before a checkpoint of its own: the next run resumes from step 3, not the zombie's 6.
        await _db.Queue.ReleaseAsync(second.Job);
        var third = await ClaimAsync("third");
        Assert.Equal(3L, third.Resumed);

        // Its own publication supersedes every other run's folders, the zombie's included.
        third.Storage.OnCheckpointSaved(SaveCheckpoint(third, 9));
        Assert.True(await third.Reports.FlushAsync(CancellationToken.None));
        Assert.Equal((third.Job.LeaseToken, 9L), await ResumePointAsync(jobId));
        Assert.Equal([JobFolders.Checkpoint(JobFolders.Run(jobId, third.Job.LeaseToken), 9)],
            await Folders.FoldersAsync(_db.TenantA, JobFolders.Runs(jobId)).ToListAsync());

        // Two checkpoints stored before their publications reach the database: publishing the first keeps the newer one.
        third.Storage.OnCheckpointSaved(SaveCheckpoint(third, 12));
        third.Storage.OnCheckpointSaved(SaveCheckpoint(third, 15));
        Assert.True(await third.Reports.FlushAsync(CancellationToken.None));
        Assert.Equal((third.Job.LeaseToken, 15L), await ResumePointAsync(jobId));
        Assert.Equal([JobFolders.Checkpoint(JobFolders.Run(jobId, third.Job.LeaseToken), 15)],
            await Folders.FoldersAsync(_db.TenantA, JobFolders.Runs(jobId)).ToListAsync());
    }

    /// <summary>Ported from main's CheckpointPruneTests (issue 10): a resume point that cannot be resumed from is the store's fault.</summary>
    [Fact]
    public async Task PrepareAsync_ResumePointMissingItsBestWeights_InterruptsTheRunInsteadOfFailingTheJob()
    {
        var jobId = await _db.EnqueueAsync(_db.TenantA, kind: TrainingJobHandler.JobKind);
        var first = await ClaimAsync("first");
        // Stored as a checkpoint whose state names best weights the folder does not hold.
        var broken = Path.Combine(_root.Path, "broken");
        Directory.CreateDirectory(Path.Combine(broken, CheckpointTransfer.FolderName(5)));
        File.WriteAllText(Path.Combine(broken, CheckpointTransfer.FolderName(5), "trainer_state.json"),
            """{"step":5,"best_epoch":1,"best_weights":"best-epoch-0001.safetensors"}""");
        await Folders.PutAsync(_db.TenantA, JobFolders.Checkpoint(JobFolders.Run(jobId, first.Job.LeaseToken), 5), broken);
        Assert.True(await _db.Queue.PublishCheckpointAsync(first.Job, 5));
        await _db.Queue.ReleaseAsync(first.Job);

        var error = await Assert.ThrowsAsync<StorageUnavailableException>(() => ClaimAsync("second"));

        Assert.True(RunFailures.IsInfrastructure(error));
        Assert.Contains("step 5", error.Message);
    }

    [Fact]
    public async Task Prepare_ResumePointWhoseFolderIsMissing_IsAStorageInterruption()
    {
        var jobId = await _db.EnqueueAsync(_db.TenantA, kind: TrainingJobHandler.JobKind);
        var first = await ClaimAsync("first");
        first.Storage.OnCheckpointSaved(SaveCheckpoint(first, 3));
        await first.Reports.FlushAsync(CancellationToken.None);
        await Folders.DeleteAsync(_db.TenantA, JobFolders.Checkpoint(JobFolders.Run(jobId, first.Job.LeaseToken), 3));
        await _db.Queue.ReleaseAsync(first.Job);

        var error = await Assert.ThrowsAsync<StorageUnavailableException>(() => ClaimAsync("second"));

        Assert.True(RunFailures.IsInfrastructure(error));
    }
}
