using Microsoft.Extensions.Logging;
using Platform.Jobs.Metering;
using Platform.Jobs.Queue;
using Platform.Jobs.Workers;
using Platform.Training.Training;

namespace Platform.Jobs.Training;

/// <summary>
/// Where a run's checkpoints and model live (decision 0019). The trainer works on the worker's own disk
/// (<see cref="LocalCheckpoints"/>, <see cref="LocalModel"/>); what is shared goes to the job folder
/// under the run's fencing token, runs/{token}/, and only while the run holds its lease:
/// <list type="bullet">
/// <item>a checkpoint is copied to runs/{token}/checkpoint-{step} and then made the job's resume point
/// by a write fenced by the token; a run resumes from the resume point and from nothing else in the
/// folder, so a checkpoint written by a run that had lost its job is never resumed from;</item>
/// <item>a checkpoint saved while the lease could not be confirmed (the database was away) stays on
/// the worker's disk, and the worker publishes it when the database confirms the run is still the job's
/// latest claim;</item>
/// <item>the model goes to runs/{token}/model, and the job's result names that folder only when the
/// run's completion (fenced) succeeds.</item>
/// </list>
/// A store that refuses a checkpoint (read-only, full) costs nothing but that copy: the checkpoint
/// stays local and the next one is tried again.
/// </summary>
internal sealed class RunStorage
{
    private readonly JobContext _context;
    private readonly ILogger _logger;

    private RunStorage(JobContext context, string jobFolder, ILogger logger)
    {
        _context = context;
        _logger = logger;
        SharedRunFolder = RunFolder(jobFolder, context.Job.LeaseToken);
        LocalCheckpoints = Path.Combine(context.LocalDirectory, "checkpoints");
        LocalModel = Path.Combine(context.LocalDirectory, "model");
    }

    public string SharedRunFolder { get; }

    public string LocalCheckpoints { get; }

    public string LocalModel { get; }

    public static string RunFolder(string jobFolder, Guid leaseToken) => Path.Combine(jobFolder, "runs", leaseToken.ToString("N"));

    /// <summary>
    /// Lays out the run's local folders and puts the job's resume point (read under this run's lease)
    /// into the local checkpoint folder, where the trainer finds it. Returns the step resumed from.
    /// </summary>
    public static async Task<(RunStorage Storage, long? ResumedStep)> PrepareAsync(JobContext context, string jobFolder, ILogger logger)
    {
        var storage = new RunStorage(context, jobFolder, logger);
        if (Directory.Exists(context.LocalDirectory))
            Directory.Delete(context.LocalDirectory, recursive: true);
        Directory.CreateDirectory(storage.LocalCheckpoints);

        var point = await context.Queue.ResumePointAsync(context.Job, context.Cancellation);
        if (point is not null)
        {
            var source = Path.Combine(RunFolder(jobFolder, point.Token), CheckpointTransfer.FolderName(point.Step));
            if (!Directory.Exists(source))
                throw new StorageUnavailableException($"The job's checkpoint at step {point.Step} ({source}) cannot be read from the artifact store.");
            try
            {
                CheckpointTransfer.Copy(source, storage.LocalCheckpoints, markLatest: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException)
            {
                // The checkpoint is the platform's artifact, not the tenant's data: a file of it that is
                // missing or unreadable is the store's fault and must not use one of the job's attempts.
                throw new StorageUnavailableException(
                    $"The job's checkpoint at step {point.Step} could not be read from the artifact store: {ex.Message}", ex);
            }
            return (storage, point.Step);
        }

        // Jobs that started before checkpoints were published under a token kept them here, unfenced;
        // they are resumed once from there, and the first publication removes the folder.
        var legacy = Path.Combine(jobFolder, "checkpoints");
        if (File.Exists(Path.Combine(legacy, "latest")))
        {
            var latest = Path.Combine(legacy, File.ReadAllText(Path.Combine(legacy, "latest")).Trim());
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
            CheckpointTransfer.Copy(localFolder, SharedRunFolder, markLatest: false);
            _context.Reports.Post(new RunReport(DateTime.UtcNow, Checkpoint: new CheckpointPublication(step, SharedRunFolder)));
            _context.Unpublished = null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
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
    /// Copies the trained model to runs/{token}/model while the run holds its lease, retrying a store
    /// that refuses writes for a while (the lease keeps being renewed meanwhile). Returns the shared folder.
    /// </summary>
    public async Task<string> PublishModelAsync(string localModel, TimeSpan patience, CancellationToken cancellationToken)
    {
        var target = Path.Combine(SharedRunFolder, "model");
        var deadline = DateTime.UtcNow + patience;
        var delay = TimeSpan.FromSeconds(1);
        while (true)
        {
            if (!_context.HoldsLease)
                throw new LeaseLostException(_context.Job.JobId);
            try
            {
                CopyFolder(localModel, target);
                return target;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException && DateTime.UtcNow < deadline)
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
    public static async Task<bool> PublishLateAsync(JobQueue queue, ClaimedJob job, UnpublishedCheckpoint checkpoint,
        ILogger logger, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(checkpoint.LocalFolder) || !await queue.IsLatestRunAsync(job, cancellationToken))
            return false;
        CheckpointTransfer.Copy(checkpoint.LocalFolder, checkpoint.SharedRunFolder, markLatest: false);
        if (!await queue.PublishCheckpointAsync(job, checkpoint.Step, cancellationToken))
            return false;
        PruneAfterPublication(new CheckpointPublication(checkpoint.Step, checkpoint.SharedRunFolder), logger);
        return true;
    }

    /// <summary>
    /// After a publication the run's checkpoint is the job's resume point: its older checkpoints and the
    /// folders of earlier runs are superseded. Best effort: a store that refuses deletes now gets them
    /// at the next publication.
    /// </summary>
    public static void PruneAfterPublication(CheckpointPublication checkpoint, ILogger logger)
    {
        try
        {
            CheckpointTransfer.Prune(checkpoint.SharedRunFolder,
                Path.Combine(checkpoint.SharedRunFolder, CheckpointTransfer.FolderName(checkpoint.Step)));
            var runs = Path.GetDirectoryName(checkpoint.SharedRunFolder)!;
            foreach (var other in Directory.EnumerateDirectories(runs))
            {
                if (!string.Equals(other, checkpoint.SharedRunFolder, StringComparison.Ordinal))
                    Directory.Delete(other, recursive: true);
            }
            var legacy = Path.Combine(Path.GetDirectoryName(runs)!, "checkpoints");
            if (Directory.Exists(legacy))
                Directory.Delete(legacy, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            logger.LogInformation("Superseded checkpoints in {Folder} not removed yet ({Message})", checkpoint.SharedRunFolder, ex.Message);
        }
    }

    /// <summary>Copies a folder tree to <paramref name="target"/>, which appears complete or not at all.</summary>
    private static void CopyFolder(string source, string target)
    {
        var partial = target + ".partial";
        if (Directory.Exists(partial))
            Directory.Delete(partial, recursive: true);
        foreach (var directory in Directory.EnumerateDirectories(source, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(Path.Combine(partial, Path.GetRelativePath(source, directory)));
        Directory.CreateDirectory(partial);
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
            File.Copy(file, Path.Combine(partial, Path.GetRelativePath(source, file)));
        if (Directory.Exists(target))
            Directory.Delete(target, recursive: true);
        Directory.Move(partial, target);
    }
}
