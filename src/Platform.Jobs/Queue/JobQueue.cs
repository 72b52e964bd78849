using System.Diagnostics;
using Npgsql;
using NpgsqlTypes;
using Platform.Domain.Jobs;

namespace Platform.Jobs.Queue;

/// <summary>
/// The PostgreSQL job queue. Every write by a job's holder is fenced by its lease token, so a worker
/// that lost its lease (paused, partitioned, presumed dead) can no longer change the job.
/// </summary>
public sealed class JobQueue(NpgsqlDataSource dataSource, RetryOptions? retry = null)
{
    private readonly RetryOptions _retry = retry ?? new RetryOptions();

    /// <summary>The DI key of the queue's own connection pool (<see cref="CreateDataSource"/>).</summary>
    public const string DataSourceKey = "Platform.Jobs.Queue";

    /// <summary>
    /// A connection pool for the queue's own statements. Its connections skip Npgsql's reset
    /// (DISCARD ALL) when they return to the pool: the reset also throws away the plans PostgreSQL
    /// cached for claim_job and complete_and_claim, and planning them again on every call cost the
    /// server more CPU than the claims themselves (bench/RESULTS.md). That is safe only because the
    /// queue's statements leave no session state behind: no SET (complete_and_claim's setting is
    /// transaction-local), no LISTEN, temporary table, prepared statement or advisory lock, and Npgsql
    /// still rolls back a transaction left open. Do not lend this pool to other code.
    /// </summary>
    public static NpgsqlDataSource CreateDataSource(string connectionString) =>
        new NpgsqlDataSourceBuilder(connectionString) { ConnectionStringBuilder = { NoResetOnClose = true } }.Build();

    /// <summary>
    /// Writes the job, its queue row and its first event inside the caller's transaction, so a
    /// quota check and the submission commit together. Wakes workers on commit.
    /// </summary>
    public async Task<Guid> EnqueueAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction,
        JobSubmission submission, CancellationToken cancellationToken = default)
    {
        var id = Guid.CreateVersion7();
        await using var batch = new NpgsqlBatch(connection, transaction)
        {
            BatchCommands =
            {
                Command("INSERT INTO tenant_job_limits (tenant_id) VALUES ($1) ON CONFLICT DO NOTHING",
                    submission.TenantId),
                Command("""
                    INSERT INTO jobs (id, tenant_id, kind, name, state, priority, max_attempts, payload, created_by, devices)
                    VALUES ($1, $2, $3, $4, 'Queued', $5, $6, $7::jsonb, $8, $9)
                    """,
                    id, submission.TenantId, submission.Kind, submission.Name, submission.Priority,
                    submission.MaxAttempts, submission.PayloadJson, (object?)submission.CreatedBy ?? DBNull.Value, submission.Devices),
                Command("INSERT INTO job_queue (job_id, tenant_id, priority, devices) VALUES ($1, $2, $3, $4)",
                    id, submission.TenantId, submission.Priority, submission.Devices),
                Command("INSERT INTO job_events (tenant_id, job_id, type, message) VALUES ($1, $2, 'queued', 'Queued')",
                    submission.TenantId, id),
                Command($"SELECT pg_notify('{QueueChannels.Work}', ''), pg_notify('{QueueChannels.Events}', $1::text)", id),
            },
        };
        await batch.ExecuteNonQueryAsync(cancellationToken);
        return id;
    }

    public async Task<Guid> EnqueueAsync(JobSubmission submission, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var id = await EnqueueAsync(connection, transaction, submission, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return id;
    }

    /// <summary>Claims the next job by fair share, or returns null when nothing is claimable.</summary>
    public Task<ClaimedJob?> ClaimAsync(Guid workerId, TimeSpan lease, string deviceKind,
        CancellationToken cancellationToken = default) =>
        ClaimAsync(new ClaimRequest(workerId, lease, deviceKind), cancellationToken);

    /// <summary>
    /// Claims the next job by fair share, or returns null when nothing is claimable. The claim takes
    /// <see cref="ClaimRequest.Token"/> as its lease token when the worker made one (and spooled it first).
    /// </summary>
    public async Task<ClaimedJob?> ClaimAsync(ClaimRequest request, CancellationToken cancellationToken = default)
    {
        // A claim that found its candidates locked by other claimers retries at once: those locks are
        // held for one short transaction, and returning null would send the worker to sleep with
        // work still queued.
        for (var attempt = 0; ; attempt++)
        {
            var call = await CallCompleteAndClaimAsync(null, null, null, null, request, cancellationToken);
            if (!call.Busy)
                return call.Next;
            if (attempt >= 3)
                await Task.Delay(Math.Min(attempt, 20), cancellationToken);
        }
    }

    /// <summary>
    /// Extends the lease and pushes the open usage segment's end to now, so a crash bills up to the
    /// last renewal and no further. Returns <see cref="LeaseRenewal.Lost"/> when the token no longer
    /// matches: the holder must stop at once; <see cref="LeaseRenewal.CancelRequested"/> when the job is
    /// to stop at its next step: a user cancelled it, or it reached its plan's per-job runtime cap
    /// (stop_over_runtime_cap, migration 0121, which records the reason as the job's error).
    /// </summary>
    public async Task<LeaseRenewal> RenewAsync(ClaimedJob job, TimeSpan lease, CancellationToken cancellationToken = default)
    {
        // A gang's other ranks hold a gang_ranks row, not the queue row; a stop of the job reaches them
        // as a cancellation, and a released gang as a lost lease (migration 0245).
        await using var command = dataSource.CreateCommand(job.Rank > 0 ? """
            WITH g AS (
                UPDATE gang_ranks SET lease_expires_at = now() + make_interval(secs => $3)
                WHERE job_id = $1 AND lease_token = $2 RETURNING job_id),
            s AS (
                UPDATE usage_segments SET ended_at = now()
                WHERE job_id = $1 AND attempt = $4 AND segment = $5 AND NOT closed
                  AND EXISTS (SELECT 1 FROM g))
            SELECT j.cancel_requested_at IS NOT NULL FROM jobs j JOIN g ON g.job_id = j.id
            """ : """
            WITH q AS (
                UPDATE job_queue SET lease_expires_at = now() + make_interval(secs => $3)
                WHERE job_id = $1 AND lease_token = $2 RETURNING job_id),
            s AS (
                UPDATE usage_segments SET ended_at = now()
                WHERE job_id = $1 AND attempt = $4 AND segment = $5 AND NOT closed
                  AND EXISTS (SELECT 1 FROM q))
            SELECT stop_over_runtime_cap(j.id) FROM jobs j JOIN q ON q.job_id = j.id
            """);
        AddParameters(command, job.JobId, job.LeaseToken, (int)Math.Ceiling(lease.TotalSeconds), job.Attempt, job.Segment);
        var result = await command.ExecuteScalarAsync(cancellationToken);
        return result switch
        {
            null or DBNull => LeaseRenewal.Lost,
            true => LeaseRenewal.CancelRequested,
            _ => LeaseRenewal.Held,
        };
    }

    /// <summary>
    /// Records progress (JSON) and, optionally, an event line that happened <paramref name="at"/> (now when
    /// null). Fenced by the run's token: accepted while this run is the job's latest claim, which
    /// includes a run whose lease ran out during a database outage when nobody has claimed the job since,
    /// so what it buffered meanwhile still reaches the log. False once another run has claimed the job.
    /// </summary>
    public async Task<bool> ReportAsync(ClaimedJob job, string? progressJson, string? eventType, string? message,
        string? dataJson = null, DateTime? at = null, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand($"""
            WITH owner AS (SELECT job_id FROM job_queue WHERE job_id = $1 AND last_token = $2),
            j AS (
                UPDATE jobs SET progress = coalesce($3::jsonb, progress)
                WHERE id = $1 AND EXISTS (SELECT 1 FROM owner) RETURNING id, tenant_id),
            e AS (
                INSERT INTO job_events (tenant_id, job_id, type, message, data, at)
                SELECT tenant_id, id, $4, coalesce($5, $4), $6::jsonb, now() - make_interval(secs => $7) FROM j WHERE $4 IS NOT NULL)
            SELECT id, pg_notify('{QueueChannels.Events}', id::text) FROM j
            """);
        AddParameters(command, job.JobId, job.LeaseToken, Nullable(progressJson), Nullable(eventType),
            Nullable(message), Nullable(dataJson), SecondsAgo(at));
        return await command.ExecuteScalarAsync(cancellationToken) is not null;
    }

    /// <summary>
    /// Makes checkpoint <paramref name="step"/> of this run (runs/{token}/checkpoint-{step} in the job
    /// folder, already written there) the job's resume point. Fenced like a report: false once another
    /// run has claimed the job, whose resume point this run can then no longer move.
    /// </summary>
    public async Task<bool> PublishCheckpointAsync(ClaimedJob job, long step, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("""
            UPDATE jobs j SET checkpoint_token = $2, checkpoint_step = $3
            FROM job_queue q WHERE q.job_id = j.id AND j.id = $1 AND q.last_token = $2
            RETURNING 1
            """);
        AddParameters(command, job.JobId, job.LeaseToken, step);
        return await command.ExecuteScalarAsync(cancellationToken) is not null;
    }

    /// <summary>
    /// The checkpoint this run must resume from (null: start from scratch), read under the run's own
    /// lease, after which no other run can move it. Throws when the run no longer holds its lease.
    /// </summary>
    public async Task<ResumePoint?> ResumePointAsync(ClaimedJob job, CancellationToken cancellationToken = default)
    {
        // Every rank of a gang resumes from the same checkpoint: rank 0 under the queue row's lease, the
        // others under their own.
        await using var command = dataSource.CreateCommand("""
            SELECT j.checkpoint_token, j.checkpoint_step FROM jobs j JOIN job_queue q ON q.job_id = j.id
            WHERE j.id = $1 AND (q.lease_token = $2
                OR EXISTS (SELECT 1 FROM gang_ranks g WHERE g.job_id = j.id AND g.lease_token = $2))
            """);
        AddParameters(command, job.JobId, job.LeaseToken);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
            throw new LeaseLostException(job.JobId);
        return reader.IsDBNull(0) ? null : new ResumePoint(reader.GetGuid(0), reader.GetInt64(1));
    }

    /// <summary>Whether this run is still the job's latest claim (see <see cref="ReportAsync"/>).</summary>
    public async Task<bool> IsLatestRunAsync(ClaimedJob job, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("SELECT 1 FROM job_queue WHERE job_id = $1 AND last_token = $2");
        AddParameters(command, job.JobId, job.LeaseToken);
        return await command.ExecuteScalarAsync(cancellationToken) is not null;
    }

    /// <summary>Ends a held job as Succeeded or Cancelled. False when the lease was lost first.</summary>
    public async Task<bool> CompleteAsync(ClaimedJob job, JobOutcome outcome, string? resultJson = null,
        DeviceStop? stop = null, CancellationToken cancellationToken = default) =>
        (await CompleteAndClaimAsync(job, outcome, resultJson, null, stop, cancellationToken)).Completed;

    /// <summary>
    /// Ends a held job as Succeeded or Cancelled and, when <paramref name="next"/> is given, claims the
    /// worker's next job in the same transaction: one round trip and one durable commit where a
    /// completion and a claim took two. A holder that lost its lease completes nothing and claims
    /// nothing (<see cref="Completion.Completed"/> is false). A run whose lease ran out while nobody
    /// claimed the job since may still complete it. The run's segment ends at <paramref name="stop"/>
    /// (now when null).
    /// </summary>
    public async Task<Completion> CompleteAndClaimAsync(ClaimedJob job, JobOutcome outcome, string? resultJson,
        ClaimRequest? next, DeviceStop? stop = null, CancellationToken cancellationToken = default)
    {
        var call = await CallCompleteAndClaimAsync(job, outcome, resultJson, stop, next, cancellationToken);
        if (!call.Busy || next is null)
            return new Completion(call.Completed, call.Next);
        try
        {
            return new Completion(true, await ClaimAsync(next, cancellationToken));
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            // The completion has committed: reporting this claim's failure would make the caller
            // retry the completion, which is then fenced. Claiming again is the caller's next step anyway.
            return new Completion(true, null);
        }
    }

    /// <summary>
    /// The complete_and_claim procedure: completes <paramref name="job"/> when given, claims for
    /// <paramref name="next"/> when given. It commits (durably) and then notifies listeners in a second,
    /// asynchronously committed transaction, so it must not run inside a caller's transaction.
    /// </summary>
    private async Task<(bool Completed, bool Busy, ClaimedJob? Next)> CallCompleteAndClaimAsync(ClaimedJob? job,
        JobOutcome? outcome, string? resultJson, DeviceStop? stop, ClaimRequest? next, CancellationToken cancellationToken)
    {
        // Opened before the stop becomes "seconds ago": opening a connection (a worker restarted after a kill,
        // the database back after an outage) took a good part of a second under load, and every moment
        // between that conversion and the statement's start moves the segment later (decision 0039).
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand("""
            CALL complete_and_claim($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)
            """, connection);
        var state = outcome switch
        {
            JobOutcome.Succeeded => nameof(JobState.Succeeded),
            JobOutcome.Cancelled => nameof(JobState.Cancelled),
            _ => null,
        };
        command.Parameters.Add(Typed(job?.JobId, NpgsqlDbType.Uuid));
        command.Parameters.Add(Typed(job?.LeaseToken, NpgsqlDbType.Uuid));
        command.Parameters.Add(Typed(state, NpgsqlDbType.Varchar));
        command.Parameters.Add(Typed(job?.Attempt, NpgsqlDbType.Integer));
        command.Parameters.Add(Typed(job?.Segment, NpgsqlDbType.Integer));
        command.Parameters.Add(Typed(resultJson, NpgsqlDbType.Jsonb));
        command.Parameters.Add(Typed(stop?.SecondsAgo(), NpgsqlDbType.Double));
        command.Parameters.Add(Typed(stop?.DeviceSeconds, NpgsqlDbType.Double));
        command.Parameters.Add(Typed(next?.WorkerId, NpgsqlDbType.Uuid));
        command.Parameters.Add(Typed(next is null ? null : (int)Math.Ceiling(next.Lease.TotalSeconds), NpgsqlDbType.Integer));
        command.Parameters.Add(Typed(next?.DeviceKind, NpgsqlDbType.Varchar));
        command.Parameters.Add(Typed(next?.Token, NpgsqlDbType.Uuid));
        var requestedAt = Stopwatch.GetTimestamp();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
            throw new InvalidOperationException("complete_and_claim returned no row.");
        var claimed = reader.IsDBNull(2)
            ? null
            : new ClaimedJob(reader.GetGuid(2), reader.GetGuid(3), reader.GetString(4), reader.GetInt32(5),
                reader.GetInt32(6), reader.GetGuid(7), reader.GetString(8))
            {
                RequestedAt = requestedAt,
                ReceivedAt = Stopwatch.GetTimestamp(),
                Rank = reader.IsDBNull(9) ? 0 : reader.GetInt32(9),
                WorldSize = reader.IsDBNull(10) ? 1 : reader.GetInt32(10),
            };
        if (claimed is not null)
            Telemetry.JobsTelemetry.Claims.Add(1, new KeyValuePair<string, object?>("device_kind", next?.DeviceKind));
        return (reader.GetBoolean(0), reader.GetBoolean(1), claimed);
    }

    /// <summary>
    /// The job's own error ended the run: the job goes back to the queue as its next attempt (resuming
    /// from its checkpoint, after a back-off) or, at max attempts, ends Failed with the error. Returns
    /// the new state, or null when the run no longer held the job.
    /// </summary>
    public async Task<JobState?> FailAttemptAsync(ClaimedJob job, string error, DeviceStop? stop = null,
        CancellationToken cancellationToken = default) =>
        (await EndRunAsync(job, RunEnding.Failed, error, stop, cancellationToken)).State;

    /// <summary>
    /// Infrastructure ended the run (the database, the store, the worker): the job comes back at the same
    /// attempt after a back-off, one interruption more.
    /// </summary>
    public async Task<JobState?> InterruptAsync(ClaimedJob job, string reason, DeviceStop? stop = null,
        CancellationToken cancellationToken = default) =>
        (await EndRunAsync(job, RunEnding.Interrupted, reason, stop, cancellationToken)).State;

    /// <summary>
    /// Graceful shutdown: gives the job back at once, same attempt, so another worker resumes it
    /// from the checkpoint without waiting for the lease to expire.
    /// </summary>
    public async Task<JobState?> ReleaseAsync(ClaimedJob job, DeviceStop? stop = null, CancellationToken cancellationToken = default) =>
        (await EndRunAsync(job, RunEnding.Released, null, stop, cancellationToken)).State;

    /// <summary>
    /// Ends the run a claim with <paramref name="token"/> made, for a worker that spooled the token but
    /// never learnt the job (it died, or the claim's answer was lost): the device did nothing for it
    /// after <paramref name="stop"/>. The job, if still held, is requeued as an interruption. False when
    /// no run has that token (the claim found nothing, or never committed).
    /// </summary>
    public async Task<bool> EndClaimAsync(Guid token, DeviceStop stop, CancellationToken cancellationToken = default)
    {
        // Opened before the stop becomes "seconds ago": opening a connection (a worker restarted after a kill,
        // the database back after an outage) took a good part of a second under load, and every moment
        // between that conversion and the statement's start moves the segment later (decision 0039).
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand("SELECT count(*) FROM end_claimed_run($1, $2, $3, $4, $5)", connection);
        command.Parameters.Add(Typed(token, NpgsqlDbType.Uuid));
        command.Parameters.Add(Typed(stop.SecondsAgo(), NpgsqlDbType.Double));
        AddRetryParameters(command);
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken)) > 0;
    }

    /// <summary>
    /// Ends a run that did not complete its job: its segment ends when the device stopped
    /// (<paramref name="stop"/>; now when null), and if the run still holds the job it is requeued as
    /// <paramref name="how"/> says. A run that no longer holds it (recovered while its worker could
    /// not reach the database) only reports its device time: <see cref="RunEnded.State"/> is null.
    /// </summary>
    public async Task<RunEnded> EndRunAsync(ClaimedJob job, RunEnding how, string? error, DeviceStop? stop = null,
        CancellationToken cancellationToken = default)
    {
        // Opened before the stop becomes "seconds ago": opening a connection (a worker restarted after a kill,
        // the database back after an outage) took a good part of a second under load, and every moment
        // between that conversion and the statement's start moves the segment later (decision 0039).
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand("SELECT state, metered FROM end_run($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)", connection);
        command.Parameters.Add(Typed(job.JobId, NpgsqlDbType.Uuid));
        command.Parameters.Add(Typed(job.LeaseToken, NpgsqlDbType.Uuid));
        command.Parameters.Add(Typed(job.Attempt, NpgsqlDbType.Integer));
        command.Parameters.Add(Typed(job.Segment, NpgsqlDbType.Integer));
        command.Parameters.Add(Typed(how switch
        {
            RunEnding.Released => "released",
            RunEnding.Interrupted => "interrupted",
            _ => "failed",
        }, NpgsqlDbType.Varchar));
        command.Parameters.Add(Typed(Truncate(error, 900), NpgsqlDbType.Varchar));
        command.Parameters.Add(Typed(stop?.SecondsAgo(), NpgsqlDbType.Double));
        command.Parameters.Add(Typed(stop?.DeviceSeconds, NpgsqlDbType.Double));
        AddRetryParameters(command);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new RunEnded(reader.IsDBNull(0) ? null : Enum.Parse<JobState>(reader.GetString(0)), reader.GetBoolean(1));
    }

    /// <summary>
    /// Returns jobs whose lease expired (their worker died, or lost the database and stopped) to the
    /// queue as interrupted: same attempt, after a back-off. Their segments wait for the worker's report
    /// of when its device stopped; segments that waited longer than the report grace end at their last
    /// renewal. Any worker may run it; SKIP LOCKED keeps two sweepers from touching the same row.
    /// Returns how many jobs it recovered.
    /// </summary>
    public async Task<int> RecoverExpiredAsync(CancellationToken cancellationToken = default)
    {
        await using var batch = dataSource.CreateBatch();
        // A gang whose rank other than 0 stopped renewing (its worker died, or never picked the rank up)
        // is requeued whole, like one whose rank 0 did (decision 0044); the two arms never meet a job twice.
        var recover = new NpgsqlBatchCommand("""
            SELECT (SELECT count(requeue_job(x.job_id, 'interrupted', 'the worker stopped renewing its lease', $1, $2, $3))
                    FROM (SELECT job_id FROM job_queue
                          WHERE lease_token IS NOT NULL AND lease_expires_at < now()
                          ORDER BY lease_expires_at LIMIT 100
                          FOR UPDATE SKIP LOCKED) x)
                 + (SELECT count(requeue_job(x.job_id, 'interrupted', 'a rank of its gang stopped renewing its lease', $1, $2, $3))
                    FROM (SELECT job_id FROM job_queue
                          WHERE lease_token IS NOT NULL AND lease_expires_at >= now()
                            AND job_id IN (SELECT g.job_id FROM gang_ranks g WHERE g.lease_expires_at < now())
                          LIMIT 100
                          FOR UPDATE SKIP LOCKED) x)
            """);
        recover.Parameters.Add(Typed(_retry.Backoff.TotalSeconds, NpgsqlDbType.Double));
        recover.Parameters.Add(Typed(_retry.BackoffCap.TotalSeconds, NpgsqlDbType.Double));
        recover.Parameters.Add(Typed(_retry.MaxInterruptions, NpgsqlDbType.Integer));
        batch.BatchCommands.Add(recover);
        var unreported = new NpgsqlBatchCommand("""
            UPDATE usage_segments SET closed = true, end_source = 'renewal'
            WHERE recovered_at IS NOT NULL AND NOT closed AND recovered_at < now() - make_interval(secs => $1)
            """);
        unreported.Parameters.Add(Typed(_retry.ReportGrace.TotalSeconds, NpgsqlDbType.Double));
        batch.BatchCommands.Add(unreported);
        var recovered = Convert.ToInt32(await batch.ExecuteScalarAsync(cancellationToken));
        if (recovered > 0)
            Telemetry.JobsTelemetry.LostLeases.Add(recovered, new KeyValuePair<string, object?>("detected_by", "sweep"));
        return recovered;
    }

    /// <summary>
    /// Rank 0 of a gang publishes where its TCPStore listens (host:port) for the other ranks to read
    /// (<see cref="RendezvousAsync"/>). False when the run no longer holds the job.
    /// </summary>
    public async Task<bool> PublishRendezvousAsync(ClaimedJob job, string address, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(
            "UPDATE job_queue SET rendezvous = $3 WHERE job_id = $1 AND lease_token = $2 RETURNING 1");
        AddParameters(command, job.JobId, job.LeaseToken, address);
        return await command.ExecuteScalarAsync(cancellationToken) is not null;
    }

    /// <summary>
    /// The address rank 0 of this rank's gang published; null while it has not yet. Throws
    /// <see cref="LeaseLostException"/> once the gang was released (this rank's row is gone).
    /// </summary>
    public async Task<string?> RendezvousAsync(ClaimedJob job, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT q.rendezvous FROM job_queue q JOIN gang_ranks g ON g.job_id = q.job_id
            WHERE g.job_id = $1 AND g.lease_token = $2
            """);
        AddParameters(command, job.JobId, job.LeaseToken);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
            throw new LeaseLostException(job.JobId);
        return reader.IsDBNull(0) ? null : reader.GetString(0);
    }

    /// <summary>The earliest moment a queued job in back-off becomes claimable, or null when none waits.</summary>
    public async Task<DateTimeOffset?> NextAvailableAsync(CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT min(available_at) FROM job_queue WHERE lease_token IS NULL AND available_at > now()
            """);
        return await command.ExecuteScalarAsync(cancellationToken) is DateTime next ? new DateTimeOffset(next, TimeSpan.Zero) : null;
    }

    private void AddRetryParameters(NpgsqlCommand command)
    {
        command.Parameters.Add(Typed(_retry.Backoff.TotalSeconds, NpgsqlDbType.Double));
        command.Parameters.Add(Typed(_retry.BackoffCap.TotalSeconds, NpgsqlDbType.Double));
        command.Parameters.Add(Typed(_retry.MaxInterruptions, NpgsqlDbType.Integer));
    }

    private static double SecondsAgo(DateTime? at) =>
        at is { } moment ? Math.Max(0, (DateTime.UtcNow - moment).TotalSeconds) : 0;

    /// <summary>
    /// Cancels a tenant's job: a queued job is cancelled at once; a running one is flagged and its
    /// worker told over NOTIFY (and again at its next renewal, should the notification be missed).
    /// </summary>
    public async Task<CancelResult> CancelAsync(Guid tenantId, Guid jobId, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand($"""
            WITH before AS (SELECT cancel_requested_at FROM jobs WHERE id = $2 AND tenant_id = $1),
            q AS (
                DELETE FROM job_queue WHERE job_id = $2 AND tenant_id = $1 AND lease_token IS NULL
                RETURNING job_id),
            cancelled AS (
                UPDATE jobs SET state = 'Cancelled', cancel_requested_at = now(), finished_at = now()
                WHERE id IN (SELECT job_id FROM q) RETURNING id, tenant_id),
            e AS (
                INSERT INTO job_events (tenant_id, job_id, type, message)
                SELECT tenant_id, id, 'cancelled', 'Cancelled before it started' FROM cancelled),
            flagged AS (
                UPDATE jobs SET cancel_requested_at = coalesce(cancel_requested_at, now())
                WHERE id = $2 AND tenant_id = $1 AND state = 'Running' AND NOT EXISTS (SELECT 1 FROM q)
                RETURNING id),
            fe AS (
                INSERT INTO job_events (tenant_id, job_id, type, message)
                -- A repeated request changes nothing, so it logs nothing: cancel is idempotent.
                SELECT $1, id, 'cancel-requested', 'Cancellation requested' FROM flagged
                WHERE (SELECT cancel_requested_at FROM before) IS NULL)
            SELECT CASE WHEN EXISTS (SELECT 1 FROM cancelled) THEN 1 WHEN EXISTS (SELECT 1 FROM flagged) THEN 2 ELSE 0 END,
                   (SELECT count(pg_notify('{QueueChannels.Cancel}', id::text)) FROM flagged),
                   (SELECT count(pg_notify('{QueueChannels.Events}', $2::text)))
            """);
        AddParameters(command, tenantId, jobId);
        var code = Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken));
        return code switch { 1 => CancelResult.Cancelled, 2 => CancelResult.Requested, _ => CancelResult.NotCancellable };
    }

    private static NpgsqlBatchCommand Command(string sql, params object[] values)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var value in values)
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        return command;
    }

    private static void AddParameters(NpgsqlCommand command, params object[] values)
    {
        foreach (var value in values)
            command.Parameters.Add(value is DBNull
                ? new NpgsqlParameter { Value = DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text }
                : new NpgsqlParameter { Value = value });
    }

    private static NpgsqlParameter Typed(object? value, NpgsqlDbType type) =>
        new() { Value = value ?? DBNull.Value, NpgsqlDbType = type };

    private static object Nullable(string? value) => (object?)value ?? DBNull.Value;

    private static string? Truncate(string? value, int length) =>
        value is { Length: var n } && n > length ? value[..length] : value;
}

/// <summary>
/// When a run's device stopped working on its job, on the worker's own clock (UTC), and the device time
/// the worker measured for the run (on its monotonic clock, from the claim's answer to the stop). The
/// database is told "so many seconds ago", computed as the call is sent: the worker's clock and the
/// database's need not agree, only tick at the same rate. The segment ends that long ago and starts
/// <see cref="DeviceSeconds"/> before that stop, never before the claim committed (a trigger of
/// migration 0220), so it spans exactly what the device did.
/// </summary>
public sealed record DeviceStop(DateTime StoppedAtUtc, double? DeviceSeconds)
{
    public double SecondsAgo() => Math.Max(0, (DateTime.UtcNow - StoppedAtUtc).TotalSeconds);
}

/// <summary>A run's resume point: checkpoint <see cref="Step"/> of the run with lease token <see cref="Token"/>.</summary>
public sealed record ResumePoint(Guid Token, long Step);

/// <summary>Why a run ended when it did not complete its job (see requeue_job in migrations/0040).</summary>
public enum RunEnding
{
    Released,
    Interrupted,
    Failed,
}

/// <summary>
/// What <see cref="JobQueue.EndRunAsync"/> did: the job's new state (null when the run no longer held
/// the job) and whether this call closed the run's usage segment.
/// </summary>
public sealed record RunEnded(JobState? State, bool Metered);

/// <summary>The run asked for something only the lease's holder may have, and no longer holds it.</summary>
internal sealed class LeaseLostException(Guid jobId)
    : Exception($"The run no longer holds the lease on job {jobId}: another run owns it now.");

/// <summary>What a worker asks for when it claims: who it is, how long a lease, which device.</summary>
/// <param name="Token">
/// The lease token the claim is to use, made by the worker and spooled before the claim is sent (decision
/// 0019); null lets the database make one.
/// </param>
public sealed record ClaimRequest(Guid WorkerId, TimeSpan Lease, string DeviceKind, Guid? Token = null);

/// <summary>
/// A completion's result: whether the job was completed (false: the lease was lost first and nothing
/// changed), and the worker's next job when it asked for one and one was claimable.
/// </summary>
public sealed record Completion(bool Completed, ClaimedJob? Next);

public enum JobOutcome
{
    Succeeded,
    Cancelled,
}

public enum LeaseRenewal
{
    Held,
    CancelRequested,
    Lost,
}

public enum CancelResult
{
    /// <summary>It was queued and is now cancelled.</summary>
    Cancelled,

    /// <summary>It is running; its worker stops it at the next step and marks it cancelled.</summary>
    Requested,

    /// <summary>Unknown to this tenant, or already finished.</summary>
    NotCancellable,
}
