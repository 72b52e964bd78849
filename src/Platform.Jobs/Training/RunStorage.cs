using Microsoft.Extensions.Logging;
using Platform.Data.Artifacts;
using Platform.Jobs.Metering;
using Platform.Jobs.Queue;
using Platform.Jobs.Workers;
using Platform.Training.Training;

namespace Platform.Jobs.Training;

/// <summary>
/// Where a run's checkpoints and model live (decisions 0019 and 0025). The trainer works on the worker's
/// own disk (<see cref="LocalCheckpoints"/>, <see cref="LocalModel"/>, removed when the run ends); what
/// outlives the run goes to the artifact store as stored folders (<see cref="StoredFolders"/>: encrypted
/// with the tenant's data key, local or S3, so workers share no file system), named under the run's
/// fencing token, jobs/{job}/runs/{token}/, and only while the run holds its lease:
/// <list type="bullet">
/// <item>a checkpoint is stored as runs/{token}/checkpoint-{step} and then made the job's resume point
/// by a write fenced by the token; a run resumes from the resume point and from nothing else, so a
/// checkpoint stored by a run that had lost its job is never resumed from;</item>
/// <item>a checkpoint saved while the lease could not be confirmed (the database was away) stays on
/// the worker's disk, and the worker publishes it when the database confirms the run is still the job's
/// latest claim;</item>
/// <item>the model goes to runs/{token}/model, and the job's result names that folder only when the
/// run's completion (fenced) succeeds.</item>
/// </list>
/// A store that refuses a checkpoint (read-only, full, unreachable) costs nothing but that copy: the
/// checkpoint stays local and the next one is tried again.
/// </summary>
internal sealed class RunStorage
{
    private readonly JobContext _context;
    private readonly StoredFolders _folders;
    private readonly ILogger _logger;

    private RunStorage(JobContext context, StoredFolders folders, ILogger logger)
    {
        _context = context;
        _folders = folders;
        _logger = logger;
        SharedRunFolder = JobFolders.Run(context.Job.JobId, context.Job.LeaseToken);
        LocalCheckpoints = Path.Combine(context.LocalDirectory, "checkpoints");
        LocalModel = Path.Combine(context.LocalDirectory, "model");
    }

    /// <summary>The run's stored folder name, jobs/{job}/runs/{token}.</summary>
    public string SharedRunFolder { get; }

    public string LocalCheckpoints { get; }

    public string LocalModel { get; }

    /// <summary>The run's folder inside a job folder of an install from before the store held checkpoints (read for resuming only).</summary>
    public static string LegacyRunFolder(string jobFolder, Guid leaseToken) => Path.Combine(jobFolder, "runs", leaseToken.ToString("N"));

    /// <summary>
    /// Lays out the run's local folders and puts the job's resume point (read under this run's lease)
    /// into the local checkpoint folder, where the trainer finds it. Returns the step resumed from.
    /// <paramref name="legacyJobFolder"/> is the job's folder under Training:WorkDirectory, where installs
    /// before the store kept checkpoints: a job that was running across the upgrade resumes from there once.
    /// </summary>
    public static async Task<(RunStorage Storage, long? ResumedStep)> PrepareAsync(JobContext context, StoredFolders folders,
        string legacyJobFolder, ILogger logger)
    {
        var storage = new RunStorage(context, folders, logger);
        if (Directory.Exists(context.LocalDirectory))
            Directory.Delete(context.LocalDirectory, recursive: true);
        Directory.CreateDirectory(storage.LocalCheckpoints);

        var point = await context.Queue.ResumePointAsync(context.Job, context.Cancellation);
        if (point is not null)
        {
            var name = JobFolders.Checkpoint(JobFolders.Run(context.Job.JobId, point.Token), point.Step);
            var restored = Path.Combine(context.LocalDirectory, "restored");
            bool found;
            try
            {
                found = await folders.DownloadAsync(context.Job.TenantId, name, restored, cancellationToken: context.Cancellation);
            }
            catch (Exception ex) when (ex is not OperationCanceledException && RunFailures.IsInfrastructure(ex))
            {
                throw new StorageUnavailableException($"The job's checkpoint at step {point.Step} cannot be read from the artifact store ({ex.Message}).", ex);
            }
            var legacy = Path.Combine(LegacyRunFolder(legacyJobFolder, point.Token), CheckpointTransfer.FolderName(point.Step));
            if (!found && !Directory.Exists(legacy))
                throw new StorageUnavailableException($"The job's checkpoint at step {point.Step} ({name}) cannot be read from the artifact store.");
            try
            {
                CheckpointTransfer.Copy(found ? Path.Combine(restored, CheckpointTransfer.FolderName(point.Step)) : legacy,
                    storage.LocalCheckpoints, markLatest: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException)
            {
                // The checkpoint is the platform's artifact, not the tenant's data: a file of it that is
                // missing or unreadable is the store's fault and must not use one of the job's attempts.
                throw new StorageUnavailableException(
                    $"The job's checkpoint at step {point.Step} could not be read from the artifact store: {ex.Message}", ex);
            }
            if (found)
                Directory.Delete(restored, recursive: true);
            return (storage, point.Step);
        }

        // Jobs that started before checkpoints were published under a token kept them here, unfenced;
        // they are resumed once from there, and the first publication removes the folder.
        var unfenced = Path.Combine(legacyJobFolder, "checkpoints");
        if (File.Exists(Path.Combine(unfenced, "latest")))
        {
            var latest = Path.Combine(unfenced, File.ReadAllText(Path.Combine(unfenced, "latest")).Trim());
            if (Directory.Exists(latest))
            {
                CheckpointTransfer.Copy(latest, storage.LocalCheckpoints, markLatest: true);
                return (storage, CheckpointTransfer.Step(latest));
            }
        }
        return (storage, null);
    }

    /// <summary>
    /// The trainer saved a checkpoint (on the training thread): publish it if the run holds its lease,
    /// else keep it for the worker to publish once ownership is re-checked. Returns the step.
    /// </summary>
    public long OnCheckpointSaved(string localFolder)
    {
        var step = CheckpointTransfer.Step(localFolder);
        if (!_context.HoldsLease)
        {
            _context.Unpublished = new UnpublishedCheckpoint(localFolder, step, SharedRunFolder);
            return step;
        }
        try
        {
            // The training thread waits for the upload, as it waited for a copy to a shared folder.
            StoreCheckpointAsync(_folders, _context.Job.TenantId, localFolder, SharedRunFolder, step, _context.Cancellation)
                .GetAwaiter().GetResult();
            var jobId = _context.Job.JobId;
            var tenantId = _context.Job.TenantId;
            var folders = _folders;
            var logger = _logger;
            _context.Reports.Post(new RunReport(DateTime.UtcNow, Checkpoint: new CheckpointPublication(step, SharedRunFolder,
                cancellationToken => PruneAfterPublicationAsync(folders, tenantId, jobId, SharedRunFolder, step, logger, cancellationToken))));
            _context.Unpublished = null;
        }
        catch (Exception ex) when (ex is not OperationCanceledException && RunFailures.IsInfrastructure(ex))
        {
            // The store refused the copy: training goes on, the checkpoint waits here for the next try.
            _context.Unpublished = new UnpublishedCheckpoint(localFolder, step, SharedRunFolder);
            _logger.LogWarning("Job {JobId}: checkpoint at step {Step} kept on the worker, the artifact store refused it ({Message})",
                _context.Job.JobId, step, ex.Message);
            _context.Post(null, "log", $"Checkpoint at step {step} kept on the worker: the artifact store refused it ({ex.Message})");
        }
        return step;
    }

    /// <summary>Whether the checkpoint at <paramref name="step"/> went to the store (else it waits on the worker).</summary>
    public bool IsPublished(long step) => _context.Unpublished is not { } kept || kept.Step != step;

    /// <summary>
    /// Stores the trained model as runs/{token}/model while the run holds its lease, retrying a store
    /// that refuses writes for a while (the lease keeps being renewed meanwhile). Returns the stored folder's name.
    /// </summary>
    public async Task<string> PublishModelAsync(string localModel, TimeSpan patience, CancellationToken cancellationToken)
    {
        var target = JobFolders.Model(SharedRunFolder);
        var deadline = DateTime.UtcNow + patience;
        var delay = TimeSpan.FromSeconds(1);
        while (true)
        {
            if (!_context.HoldsLease)
                throw new LeaseLostException(_context.Job.JobId);
            try
            {
                await _folders.PutAsync(_context.Job.TenantId, target, localModel, cancellationToken);
                return target;
            }
            catch (Exception ex) when (ex is not OperationCanceledException && RunFailures.IsInfrastructure(ex) && DateTime.UtcNow < deadline)
            {
                _logger.LogWarning("Job {JobId}: the model could not be written to the artifact store ({Message}); retrying in {Delay}",
                    _context.Job.JobId, ex.Message, delay);
                await Task.Delay(delay, cancellationToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(15).Ticks));
            }
        }
    }

    /// <summary>
    /// Publishes a checkpoint that was kept on the worker: only if the run is still the job's latest
    /// claim (checked first, so nothing is written for a job another run has taken), and fenced again by
    /// the publication itself. Returns false when the run no longer owns the job.
    /// </summary>
    public static async Task<bool> PublishLateAsync(JobQueue queue, StoredFolders folders, ClaimedJob job, UnpublishedCheckpoint checkpoint,
        ILogger logger, CancellationToken cancellationToken)
    {
        // A spool written before the store held checkpoints names a shared path: that run's checkpoint is not published.
        if (!Directory.Exists(checkpoint.LocalFolder) || !StoredFolders.IsValidName(checkpoint.SharedRunFolder)
            || !await queue.IsLatestRunAsync(job, cancellationToken))
            return false;
        await StoreCheckpointAsync(folders, job.TenantId, checkpoint.LocalFolder, checkpoint.SharedRunFolder, checkpoint.Step, cancellationToken);
        if (!await queue.PublishCheckpointAsync(job, checkpoint.Step, cancellationToken))
            return false;
        await PruneAfterPublicationAsync(folders, job.TenantId, job.JobId, checkpoint.SharedRunFolder, checkpoint.Step, logger, cancellationToken);
        return true;
    }

    /// <summary>
    /// Stores a local checkpoint with the best-epoch weights its state names, laid out as the trainer
    /// keeps them (checkpoint-{step}/ and the weights beside it), as runs/{token}/checkpoint-{step}.
    /// </summary>
    private static async Task StoreCheckpointAsync(StoredFolders folders, Guid tenantId, string localFolder, string runFolder, long step,
        CancellationToken cancellationToken)
    {
        // Beside the trainer's checkpoint folder, not in it: the trainer prunes that folder.
        var checkpoints = Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(localFolder))!;
        var staging = Path.Combine(Path.GetDirectoryName(checkpoints) ?? checkpoints, $".publish-{Guid.NewGuid():N}");
        try
        {
            CheckpointTransfer.Copy(localFolder, staging, markLatest: false);
            await folders.PutAsync(tenantId, JobFolders.Checkpoint(runFolder, step), staging, cancellationToken);
        }
        finally
        {
            if (Directory.Exists(staging))
                Directory.Delete(staging, recursive: true);
        }
    }

    /// <summary>
    /// After a publication the run's checkpoint is the job's resume point: its older checkpoints and the
    /// folders of other runs are superseded. The run's newer checkpoints stay (decision 0019's prune rule):
    /// a publication can reach the database well after the run stored its next checkpoint, whose own
    /// publication is still on its way. Best effort: a store that refuses deletes now gets them at the next
    /// publication (or retention does).
    /// </summary>
    internal static async Task PruneAfterPublicationAsync(StoredFolders folders, Guid tenantId, Guid jobId, string runFolder, long step,
        ILogger logger, CancellationToken cancellationToken)
    {
        try
        {
            var keep = JobFolders.Checkpoint(runFolder, step);
            var superseded = new List<string>();
            await foreach (var folder in folders.FoldersAsync(tenantId, JobFolders.Runs(jobId), cancellationToken))
            {
                var newerOfThisRun = folder.StartsWith(runFolder + "/", StringComparison.Ordinal)
                    && JobFolders.CheckpointStep(folder) is { } other && other > step;
                if (folder != keep && !newerOfThisRun)
                    superseded.Add(folder);
            }
            await folders.DeleteAsync(tenantId, superseded, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException && RunFailures.IsInfrastructure(ex))
        {
            logger.LogInformation("Superseded checkpoints of job {JobId} not removed yet ({Message})", jobId, ex.Message);
        }
    }
}
