using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Data.Artifacts;
using Platform.Jobs.Training;

namespace Platform.Jobs.Privacy;

/// <summary>Section "Retention": the defaults for tenants without a plan.</summary>
public sealed class RetentionOptions
{
    /// <summary>Days a finished job's checkpoints are kept when the tenant has no plan (a plan's checkpoint_retention_days wins).</summary>
    [System.ComponentModel.DataAnnotations.Range(1, 36500)]
    public int CheckpointDays { get; set; } = 30;

    /// <summary>Days job events are kept when the tenant has no plan (a plan's event_retention_days wins).</summary>
    [System.ComponentModel.DataAnnotations.Range(1, 36500)]
    public int EventDays { get; set; } = 90;
}

/// <summary>What one sweep removed.</summary>
public sealed record RetentionResult(int JobsSwept, int EventsDeleted);

/// <summary>How long the current tenant's checkpoints and events are kept (the dataset and model pages say it).</summary>
public sealed record RetentionPolicy(int CheckpointDays, int EventDays);

/// <summary>
/// Removes what each tenant's plan says not to keep: the checkpoints (and the materialised training data)
/// of jobs that finished more than checkpoint_retention_days ago, and job events older than
/// event_retention_days of finished jobs. Models, metrics, the loss curve and the job rows stay.
/// Idempotent: a sweep cut short is finished by the next. Runs as a Hangfire recurring job with the
/// housekeeping jobs (Platform.Web/Background/HousekeepingJobs.Schedule, Housekeeping:Cron).
/// </summary>
public sealed class RetentionSweep(NpgsqlDataSource dataSource, TenantFolders folders, StoredFolders storedFolders, IOptions<RetentionOptions> options,
    TimeProvider clock, ILogger<RetentionSweep> logger)
{
    /// <summary>The plan in force now, or the defaults: the SQL both the sweep and the pages use.</summary>
    private const string Policy = """
        SELECT t.id AS tenant_id,
               coalesce(p.checkpoint_retention_days, $1) AS checkpoint_days,
               coalesce(p.event_retention_days, $2) AS event_days
        FROM tenants t
        LEFT JOIN LATERAL (
            SELECT c.plan_id FROM subscription_plan_changes c
            WHERE c.tenant_id = t.id AND c.effective_at <= $3 ORDER BY c.effective_at DESC LIMIT 1) current_plan ON true
        LEFT JOIN billing_plans p ON p.id = current_plan.plan_id
        """;

    public async Task<RetentionPolicy> PolicyAsync(Guid tenantId, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand($"SELECT checkpoint_days, event_days FROM ({Policy}) policy WHERE tenant_id = $4");
        AddPolicyParameters(command);
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new RetentionPolicy(reader.GetInt32(0), reader.GetInt32(1))
            : new RetentionPolicy(options.Value.CheckpointDays, options.Value.EventDays);
    }

    [System.ComponentModel.DisplayName("Housekeeping: plan retention (checkpoints, job events)")]
    public Task<RetentionResult> RunAsync(CancellationToken cancellationToken = default) =>
        Platform.Data.Scheduling.SchedulerRuns.RecordAsync(dataSource, StepName, () => SweepAsync(cancellationToken), cancellationToken);

    /// <summary>The sweep's name in scheduler_runs and the scheduler metrics (the readiness check looks for it).</summary>
    public const string StepName = "housekeeping:plan-retention";

    private async Task<RetentionResult> SweepAsync(CancellationToken cancellationToken)
    {
        var due = new List<(Guid Tenant, Guid Job)>();
        await using (var command = dataSource.CreateCommand($"""
            SELECT j.tenant_id, j.id FROM jobs j JOIN ({Policy}) policy ON policy.tenant_id = j.tenant_id
            WHERE j.state IN ('Succeeded', 'Failed', 'Cancelled')
              -- A job queued again after a sweep (a retry) and finished since is swept again.
              AND (j.checkpoints_removed_at IS NULL OR j.checkpoints_removed_at < j.finished_at)
              AND j.finished_at < $3 - make_interval(days => policy.checkpoint_days)
            ORDER BY j.finished_at
            """))
        {
            AddPolicyParameters(command);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
                due.Add((reader.GetGuid(0), reader.GetGuid(1)));
        }
        foreach (var (tenant, job) in due)
        {
            // The model folder stays; what only a resumed attempt would need goes.
            var checkpoints = new List<string>();
            await foreach (var stored in storedFolders.FoldersAsync(tenant, JobFolders.Runs(job), cancellationToken))
            {
                if (JobFolders.IsCheckpoint(stored))
                    checkpoints.Add(stored);
            }
            await storedFolders.DeleteAsync(tenant, checkpoints, cancellationToken);
            if (folders.TenantJobs(tenant) is { } tenantJobs)
            {
                // Job folders of installs from before the store held checkpoints.
                var folder = Path.Combine(tenantJobs, job.ToString("N"));
                TenantFolders.DeleteIfExists(Path.Combine(folder, "checkpoints"));
                TenantFolders.DeleteIfExists(Path.Combine(folder, "data"));
                var runs = Path.Combine(folder, "runs");
                if (Directory.Exists(runs))
                {
                    foreach (var checkpoint in Directory.EnumerateDirectories(runs, "checkpoint-*", SearchOption.AllDirectories).ToList())
                        TenantFolders.DeleteIfExists(checkpoint);
                }
            }
            await using var mark = dataSource.CreateCommand("UPDATE jobs SET checkpoints_removed_at = $2 WHERE id = $1");
            mark.Parameters.Add(new NpgsqlParameter { Value = job });
            mark.Parameters.Add(new NpgsqlParameter { Value = clock.GetUtcNow() });
            await mark.ExecuteNonQueryAsync(cancellationToken);
        }

        int events;
        await using (var delete = dataSource.CreateCommand($"""
            DELETE FROM job_events e USING jobs j, ({Policy}) policy
            WHERE j.id = e.job_id AND policy.tenant_id = e.tenant_id
              AND j.state IN ('Succeeded', 'Failed', 'Cancelled')
              AND e.at < $3 - make_interval(days => policy.event_days)
            """))
        {
            AddPolicyParameters(command: delete);
            events = await delete.ExecuteNonQueryAsync(cancellationToken);
        }
        if (due.Count > 0 || events > 0)
            logger.LogInformation("Retention: checkpoints of {Jobs} finished job(s) and {Events} job event(s) removed", due.Count, events);
        return new RetentionResult(due.Count, events);
    }

    private void AddPolicyParameters(NpgsqlCommand command)
    {
        command.Parameters.Add(new NpgsqlParameter { Value = options.Value.CheckpointDays });
        command.Parameters.Add(new NpgsqlParameter { Value = options.Value.EventDays });
        command.Parameters.Add(new NpgsqlParameter { Value = clock.GetUtcNow() });
    }
}
