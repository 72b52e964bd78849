using System.ComponentModel;
using Hangfire;
using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Data.Artifacts;
using Platform.Jobs.Privacy;

namespace Platform.Web.Background;

/// <summary>
/// Housekeeping as Hangfire recurring jobs: nothing else removes what these remove. Each deletes only
/// what is past its retention, so a retry or an overlapping run deletes nothing twice and needs no
/// lock. Returns how much it removed (the dashboard shows it as the job's result).
/// </summary>
public sealed class HousekeepingJobs(
    NpgsqlDataSource dataSource,
    IOptions<StorageOptions> storage,
    IOptions<HousekeepingOptions> options,
    TimeProvider clock,
    ILogger<HousekeepingJobs> logger)
{
    public const string UploadSpoolsId = "housekeeping:upload-spools";
    public const string StoppedWorkersId = "housekeeping:stopped-workers";
    public const string JobEventsId = "housekeeping:job-events";

    /// <summary>Rows per delete statement, so a first run over a large backlog holds no long transaction.</summary>
    private const int Batch = 5000;

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
    /// Deletes workers stopped, or silent (no heartbeat: the host died without marking itself stopped),
    /// for longer than <see cref="HousekeepingOptions.StoppedWorkerRetention"/>. A running worker beats
    /// every few seconds, so it is never older than that.
    /// </summary>
    [DisplayName("Housekeeping: delete stopped workers")]
    [AutomaticRetry(Attempts = 2)]
    public async Task<int> DeleteStoppedWorkersAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "DELETE FROM workers WHERE coalesce(stopped_at, heartbeat_at) < now() - $1");
        command.Parameters.Add(new NpgsqlParameter { Value = options.Value.StoppedWorkerRetention });
        var deleted = await command.ExecuteNonQueryAsync(cancellationToken);
        if (deleted > 0)
            logger.LogInformation("Housekeeping: deleted {Count} stopped worker(s)", deleted);
        return deleted;
    }

    /// <summary>
    /// Deletes the event lines of jobs that finished more than <see cref="HousekeepingOptions.JobEventRetention"/>
    /// ago, keeping each job's last line (how it ended), in batches.
    /// </summary>
    [DisplayName("Housekeeping: delete old job events")]
    [AutomaticRetry(Attempts = 2)]
    public async Task<long> DeleteOldJobEventsAsync(CancellationToken cancellationToken)
    {
        long total = 0;
        while (true)
        {
            await using var command = dataSource.CreateCommand($"""
                DELETE FROM job_events WHERE id IN (
                    SELECT e.id FROM job_events e JOIN jobs j ON j.id = e.job_id AND j.tenant_id = e.tenant_id
                    WHERE j.finished_at < now() - $1
                      AND e.id < (SELECT max(l.id) FROM job_events l WHERE l.tenant_id = e.tenant_id AND l.job_id = e.job_id)
                    LIMIT {Batch})
                """);
            command.Parameters.Add(new NpgsqlParameter { Value = options.Value.JobEventRetention });
            var deleted = await command.ExecuteNonQueryAsync(cancellationToken);
            total += deleted;
            if (deleted < Batch)
                break;
        }
        if (total > 0)
            logger.LogInformation("Housekeeping: deleted {Count} old job event(s)", total);
        return total;
    }

    /// <summary>Puts the housekeeping jobs on the schedule (AddOrUpdate: every start may call it).</summary>
    public static void Schedule(IRecurringJobManager recurring, HousekeepingOptions options)
    {
        var utc = new RecurringJobOptions { TimeZone = TimeZoneInfo.Utc };
        recurring.AddOrUpdate<HousekeepingJobs>(UploadSpoolsId, j => j.DeleteExpiredUploadSpoolsAsync(CancellationToken.None), options.Cron, utc);
        recurring.AddOrUpdate<HousekeepingJobs>(StoppedWorkersId, j => j.DeleteStoppedWorkersAsync(CancellationToken.None), options.Cron, utc);
        recurring.AddOrUpdate<HousekeepingJobs>(JobEventsId, j => j.DeleteOldJobEventsAsync(CancellationToken.None), options.Cron, utc);
        // Per plan: checkpoints of finished jobs and job events past the plan's days (docs/security.md).
        recurring.AddOrUpdate<RetentionSweep>(PlanRetentionId, s => s.RunAsync(CancellationToken.None), options.Cron, utc);
    }

    public const string PlanRetentionId = "housekeeping:plan-retention";
}
