using Npgsql;
using NpgsqlTypes;

namespace Platform.Jobs.Queue;

/// <summary>
/// The PostgreSQL job queue. Every write by a job's holder is fenced by its lease token, so a worker
/// that lost its lease (paused, partitioned, presumed dead) can no longer change the job.
/// </summary>
public sealed class JobQueue(NpgsqlDataSource dataSource)
{
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
                    INSERT INTO jobs (id, tenant_id, kind, name, state, priority, max_attempts, payload, created_by)
                    VALUES ($1, $2, $3, $4, 'Queued', $5, $6, $7::jsonb, $8)
                    """,
                    id, submission.TenantId, submission.Kind, submission.Name, submission.Priority,
                    submission.MaxAttempts, submission.PayloadJson, (object?)submission.CreatedBy ?? DBNull.Value),
                Command("INSERT INTO job_queue (job_id, tenant_id, priority) VALUES ($1, $2, $3)",
                    id, submission.TenantId, submission.Priority),
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
    public async Task<ClaimedJob?> ClaimAsync(Guid workerId, TimeSpan lease, string deviceKind,
        CancellationToken cancellationToken = default)
    {
        // A claim that found its candidates locked by other claimers retries at once: those locks are
        // held for one short transaction, and returning null would send the worker to sleep with
        // work still queued.
        for (var attempt = 0; ; attempt++)
        {
            var call = await CallCompleteAndClaimAsync(null, null, null, new ClaimRequest(workerId, lease, deviceKind),
                cancellationToken);
            if (!call.Busy)
                return call.Next;
            if (attempt >= 3)
                await Task.Delay(Math.Min(attempt, 20), cancellationToken);
        }
    }

    /// <summary>
    /// Extends the lease and pushes the open usage segment's end to now, so a crash bills up to the
    /// last renewal and no further. Returns <see cref="LeaseRenewal.Lost"/> when the token no longer
    /// matches: the holder must stop at once.
    /// </summary>
    public async Task<LeaseRenewal> RenewAsync(ClaimedJob job, TimeSpan lease, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("""
            WITH q AS (
                UPDATE job_queue SET lease_expires_at = now() + make_interval(secs => $3)
                WHERE job_id = $1 AND lease_token = $2 RETURNING job_id),
            s AS (
                UPDATE usage_segments SET ended_at = now()
                WHERE job_id = $1 AND attempt = $4 AND segment = $5 AND NOT closed
                  AND EXISTS (SELECT 1 FROM q))
            SELECT j.cancel_requested_at IS NOT NULL FROM jobs j JOIN q ON q.job_id = j.id
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

    /// <summary>Records progress (JSON) and, optionally, an event line; fenced like every holder write.</summary>
    public async Task<bool> ReportAsync(ClaimedJob job, string? progressJson, string? eventType, string? message,
        string? dataJson = null, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand($"""
            WITH owner AS (SELECT job_id FROM job_queue WHERE job_id = $1 AND lease_token = $2),
            j AS (
                UPDATE jobs SET progress = coalesce($3::jsonb, progress)
                WHERE id = $1 AND EXISTS (SELECT 1 FROM owner) RETURNING id, tenant_id),
            e AS (
                INSERT INTO job_events (tenant_id, job_id, type, message, data)
                SELECT tenant_id, id, $4, coalesce($5, $4), $6::jsonb FROM j WHERE $4 IS NOT NULL)
            SELECT id, pg_notify('{QueueChannels.Events}', id::text) FROM j
            """);
        AddParameters(command, job.JobId, job.LeaseToken, Nullable(progressJson), Nullable(eventType),
            Nullable(message), Nullable(dataJson));
        return await command.ExecuteScalarAsync(cancellationToken) is not null;
    }

    /// <summary>Ends a held job as Succeeded or Cancelled. False when the lease was lost first.</summary>
    public async Task<bool> CompleteAsync(ClaimedJob job, JobOutcome outcome, string? resultJson = null,
        CancellationToken cancellationToken = default) =>
        (await CompleteAndClaimAsync(job, outcome, resultJson, null, cancellationToken)).Completed;

    /// <summary>
    /// Ends a held job as Succeeded or Cancelled and, when <paramref name="next"/> is given, claims the
    /// worker's next job in the same transaction: one round trip and one durable commit where a
    /// completion and a claim took two. A holder that lost its lease completes nothing and claims
    /// nothing (<see cref="Completion.Completed"/> is false).
    /// </summary>
    public async Task<Completion> CompleteAndClaimAsync(ClaimedJob job, JobOutcome outcome, string? resultJson,
        ClaimRequest? next, CancellationToken cancellationToken = default)
    {
        var call = await CallCompleteAndClaimAsync(job, outcome, resultJson, next, cancellationToken);
        if (!call.Busy || next is null)
            return new Completion(call.Completed, call.Next);
        try
        {
            return new Completion(true, await ClaimAsync(next.WorkerId, next.Lease, next.DeviceKind, cancellationToken));
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
        JobOutcome? outcome, string? resultJson, ClaimRequest? next, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            CALL complete_and_claim($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)
            """);
        var state = outcome switch
        {
            JobOutcome.Succeeded => "Succeeded",
            JobOutcome.Cancelled => "Cancelled",
            _ => null,
        };
        command.Parameters.Add(Typed(job?.JobId, NpgsqlDbType.Uuid));
        command.Parameters.Add(Typed(job?.LeaseToken, NpgsqlDbType.Uuid));
        command.Parameters.Add(Typed(state, NpgsqlDbType.Varchar));
        command.Parameters.Add(Typed(job?.Attempt, NpgsqlDbType.Integer));
        command.Parameters.Add(Typed(job?.Segment, NpgsqlDbType.Integer));
        command.Parameters.Add(Typed(resultJson, NpgsqlDbType.Jsonb));
        command.Parameters.Add(Typed(next?.WorkerId, NpgsqlDbType.Uuid));
        command.Parameters.Add(Typed(next is null ? null : (int)Math.Ceiling(next.Lease.TotalSeconds), NpgsqlDbType.Integer));
        command.Parameters.Add(Typed(next?.DeviceKind, NpgsqlDbType.Varchar));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
            throw new InvalidOperationException("complete_and_claim returned no row.");
        var claimed = reader.IsDBNull(2)
            ? null
            : new ClaimedJob(reader.GetGuid(2), reader.GetGuid(3), reader.GetString(4), reader.GetInt32(5),
                reader.GetInt32(6), reader.GetGuid(7), reader.GetString(8));
        return (reader.GetBoolean(0), reader.GetBoolean(1), claimed);
    }

    /// <summary>
    /// The holder's attempt failed: the job goes back to the queue as a new attempt (resuming from its
    /// checkpoint) or, at max attempts, ends Failed with the error. Returns the new state, or null
    /// when the lease was lost first.
    /// </summary>
    public Task<string?> FailAttemptAsync(ClaimedJob job, string error, CancellationToken cancellationToken = default) =>
        EndHoldAsync(job, newAttempt: true, error, cancellationToken);

    /// <summary>
    /// Graceful shutdown: gives the job back at once, same attempt, so another worker resumes it
    /// from the checkpoint without waiting for the lease to expire.
    /// </summary>
    public Task<string?> ReleaseAsync(ClaimedJob job, CancellationToken cancellationToken = default) =>
        EndHoldAsync(job, newAttempt: false, null, cancellationToken);

    private async Task<string?> EndHoldAsync(ClaimedJob job, bool newAttempt, string? error,
        CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var fence = new NpgsqlCommand("""
            WITH q AS (SELECT job_id FROM job_queue WHERE job_id = $1 AND lease_token = $2 FOR UPDATE)
            UPDATE usage_segments SET ended_at = now()
            WHERE job_id = $1 AND attempt = $3 AND segment = $4 AND NOT closed AND EXISTS (SELECT 1 FROM q)
            RETURNING 1
            """, connection, transaction))
        {
            AddParameters(fence, job.JobId, job.LeaseToken, job.Attempt, job.Segment);
            if (await fence.ExecuteScalarAsync(cancellationToken) is null)
                return null;
        }
        await using var requeue = new NpgsqlCommand("SELECT requeue_job($1, $2, $3)", connection, transaction);
        AddParameters(requeue, job.JobId, newAttempt, Nullable(Truncate(error, 3000)));
        var state = await requeue.ExecuteScalarAsync(cancellationToken) as string;
        await transaction.CommitAsync(cancellationToken);
        return state;
    }

    /// <summary>
    /// Returns jobs whose lease expired (their worker died or lost the database) to the queue as a new
    /// attempt, or fails them at max attempts. Any worker may run it; SKIP LOCKED keeps two sweepers
    /// from touching the same row. Returns how many jobs it recovered.
    /// </summary>
    public async Task<int> RecoverExpiredAsync(CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT count(requeue_job(x.job_id, true, 'the worker stopped renewing its lease'))
            FROM (SELECT job_id FROM job_queue
                  WHERE lease_token IS NOT NULL AND lease_expires_at < now()
                  ORDER BY lease_expires_at LIMIT 100
                  FOR UPDATE SKIP LOCKED) x
            """);
        return Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken));
    }

    /// <summary>
    /// Cancels a tenant's job: a queued job is cancelled at once; a running one is flagged and its
    /// worker told over NOTIFY (and again at its next renewal, should the notification be missed).
    /// </summary>
    public async Task<CancelResult> CancelAsync(Guid tenantId, Guid jobId, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand($"""
            WITH q AS (
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
                SELECT $1, id, 'cancel-requested', 'Cancellation requested' FROM flagged)
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

/// <summary>What a worker asks for when it claims: who it is, how long a lease, which device.</summary>
public sealed record ClaimRequest(Guid WorkerId, TimeSpan Lease, string DeviceKind);

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
