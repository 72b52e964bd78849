using Microsoft.Extensions.Logging.Abstractions;
using Platform.Jobs.Training;
using Platform.Jobs.Workers;
using Platform.Training.Training;

namespace Platform.Jobs.Tests.Training;

/// <summary>
/// Pruning after a publication (decision 0019) runs on the reports' pump, which can lag the trainer by
/// a whole database outage: by then the trainer may have copied its next checkpoints. Real folders.
/// </summary>
public sealed class CheckpointPruneTests : IDisposable
{
    private readonly string _jobFolder = Directory.CreateTempSubdirectory("platform-prune-").FullName;

    public void Dispose() => Directory.Delete(_jobFolder, recursive: true);

    [Fact]
    public void PruneAfterPublication_NewerCheckpointCopiedMeanwhile_KeepsItResumable()
    {
        var run = RunStorage.RunFolder(_jobFolder, Guid.NewGuid());
        var earlierRun = RunStorage.RunFolder(_jobFolder, Guid.NewGuid());
        Checkpoint(earlierRun, step: 3, bestEpoch: null);
        Checkpoint(run, step: 5, bestEpoch: 1);
        Checkpoint(run, step: 10, bestEpoch: 2);
        // Copied by the trainer after 10 was posted, before the pump got to 10: a new best epoch, and a
        // copy still in progress.
        Checkpoint(run, step: 15, bestEpoch: 3);
        Directory.CreateDirectory(Path.Combine(run, ".checkpoint-00000020.partial"));

        RunStorage.PruneAfterPublication(new CheckpointPublication(10, run), NullLogger.Instance);

        Assert.False(Directory.Exists(earlierRun));
        Assert.Equal(
            [".checkpoint-00000020.partial", "best-epoch-0002.safetensors", "best-epoch-0003.safetensors", "checkpoint-00000010", "checkpoint-00000015"],
            Directory.EnumerateFileSystemEntries(run).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        // 15 becomes the resume point when its report is written: a next run can still take it.
        var local = Path.Combine(_jobFolder, "local");
        CheckpointTransfer.Copy(Path.Combine(run, "checkpoint-00000015"), local, markLatest: true);
        Assert.True(File.Exists(Path.Combine(local, "best-epoch-0003.safetensors")));
    }

    [Fact]
    public async Task PrepareAsync_ResumePointMissingItsBestWeights_InterruptsTheRunInsteadOfFailingTheJob()
    {
        await using var db = await QueueDatabase.CreateAsync();
        var id = await db.EnqueueAsync(db.TenantA);
        var first = (await db.Queue.ClaimAsync(await db.RegisterWorkerAsync(), TimeSpan.FromMinutes(1), "cpu"))!;
        Checkpoint(RunStorage.RunFolder(_jobFolder, first.LeaseToken), step: 5, bestEpoch: 1);
        Assert.True(await db.Queue.PublishCheckpointAsync(first, 5));
        File.Delete(Path.Combine(RunStorage.RunFolder(_jobFolder, first.LeaseToken), "best-epoch-0001.safetensors"));
        await db.Queue.InterruptAsync(first, "killed");
        var next = (await db.Queue.ClaimAsync(await db.RegisterWorkerAsync("next"), TimeSpan.FromMinutes(1), "cpu"))!;
        Assert.Equal(id, next.JobId);
        var context = new JobContext(next, CancellationToken.None, db.Queue,
            new RunReports(next, db.Queue, new LossCurveRecorder(db.Database.DataSource), NullLogger.Instance), () => true,
            Path.Combine(_jobFolder, "local"));

        var error = await Assert.ThrowsAsync<StorageUnavailableException>(() => RunStorage.PrepareAsync(context, _jobFolder, NullLogger.Instance));

        Assert.True(RunFailures.IsInfrastructure(error));
        Assert.Contains("step 5", error.Message);
    }

    /// <summary>A checkpoint folder as the trainer writes it, with the best-epoch weights it names beside it.</summary>
    private static void Checkpoint(string root, long step, int? bestEpoch)
    {
        var folder = Path.Combine(root, CheckpointTransfer.FolderName(step));
        Directory.CreateDirectory(folder);
        var best = bestEpoch is { } epoch ? $"best-epoch-{epoch:D4}.safetensors" : null;
        if (best is not null)
            File.WriteAllText(Path.Combine(root, best), "weights");
        File.WriteAllText(Path.Combine(folder, "trainer_state.json"),
            $$"""{"step":{{step}},"best_epoch":{{(bestEpoch?.ToString() ?? "null")}},"best_weights":{{(best is null ? "null" : $"\"{best}\"")}}}""");
        File.WriteAllText(Path.Combine(folder, "model.safetensors"), "model");
    }
}
