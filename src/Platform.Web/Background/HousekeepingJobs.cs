using System.ComponentModel;
using Hangfire;
using Microsoft.Extensions.Options;
using Platform.Data.Artifacts;
using Platform.Jobs.Privacy;
using Platform.Jobs.Workers;

namespace Platform.Web.Background;

/// <summary>
/// Housekeeping as Hangfire recurring jobs: nothing else removes what these remove. Each deletes only
/// what is past its retention, so a retry or an overlapping run deletes nothing twice and needs no
/// lock. Returns how much it removed (the dashboard shows it as the job's result).
/// </summary>
public sealed class HousekeepingJobs(
    DeleteStoppedWorkersCommand deleteStoppedWorkers,
    IOptions<StorageOptions> storage,
    IOptions<HousekeepingOptions> options,
    TimeProvider clock,
    ILogger<HousekeepingJobs> logger)
{
    public const string UploadSpoolsId = "housekeeping:upload-spools";
    public const string StoppedWorkersId = "housekeeping:stopped-workers";

    /// <summary>
    /// Deletes upload scratch files that nothing wrote for <see cref="HousekeepingOptions.UploadSpoolAge"/>:
    /// a live upload's file is open (deleted on close), so an old one belongs to a process that died.
    /// Storage:Root is shared by every instance (workers read datasets from it), so one run covers all.
    /// </summary>
    [DisplayName("Housekeeping: delete expired upload spools")]
    [AutomaticRetry(Attempts = 2)]
    public Task<int> DeleteExpiredUploadSpoolsAsync(CancellationToken cancellationToken)
    {
        var directory = new DirectoryInfo(storage.Value.UploadScratchDirectory());
        if (!directory.Exists)
            return Task.FromResult(0);
        var cutoff = clock.GetUtcNow().UtcDateTime - options.Value.UploadSpoolAge;
        var deleted = 0;
        foreach (var file in directory.EnumerateFiles())
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (file.LastWriteTimeUtc >= cutoff)
                continue;
            try
            {
                file.Delete();
                deleted++;
            }
            catch (FileNotFoundException)
            {
                // Its upload ended meanwhile and deleted it.
            }
        }
        if (deleted > 0)
            logger.LogInformation("Housekeeping: deleted {Count} expired upload spool file(s)", deleted);
        return Task.FromResult(deleted);
    }

    /// <summary>
    /// Deletes workers stopped, or silent, for longer than <see cref="HousekeepingOptions.StoppedWorkerRetention"/>
    /// (the Jobs module owns the workers table: <see cref="DeleteStoppedWorkersCommand"/>).
    /// </summary>
    [DisplayName("Housekeeping: delete stopped workers")]
    [AutomaticRetry(Attempts = 2)]
    public async Task<int> DeleteStoppedWorkersAsync(CancellationToken cancellationToken)
    {
        var deleted = await deleteStoppedWorkers.ExecuteAsync(options.Value.StoppedWorkerRetention, cancellationToken);
        if (deleted > 0)
            logger.LogInformation("Housekeeping: deleted {Count} stopped worker(s)", deleted);
        return deleted;
    }

    /// <summary>Puts the housekeeping jobs on the schedule (AddOrUpdate: every start may call it).</summary>
    public static void Schedule(IRecurringJobManager recurring, HousekeepingOptions options)
    {
        var utc = new RecurringJobOptions { TimeZone = TimeZoneInfo.Utc };
        recurring.AddOrUpdate<HousekeepingJobs>(UploadSpoolsId, j => j.DeleteExpiredUploadSpoolsAsync(CancellationToken.None), options.Cron, utc);
        recurring.AddOrUpdate<HousekeepingJobs>(StoppedWorkersId, j => j.DeleteStoppedWorkersAsync(CancellationToken.None), options.Cron, utc);
        // Per plan: checkpoints of finished jobs and job events past the plan's days (docs/security.md).
        recurring.AddOrUpdate<RetentionSweep>(PlanRetentionId, s => s.RunAsync(CancellationToken.None), options.Cron, utc);
        // Job events used to have a fixed 90-day cleanup of their own; the plan's period is the one rule now.
        recurring.RemoveIfExists("housekeeping:job-events");
    }

    public const string PlanRetentionId = "housekeeping:plan-retention";
}
