using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Jobs.Metering;
using Platform.Jobs.Queue;
using Platform.Jobs.Telemetry;
using Platform.Jobs.Training;

namespace Platform.Jobs.Workers;

/// <summary>
/// A worker process's dispatcher: registers itself, claims jobs into its slots when woken by NOTIFY,
/// keeps each lease on its own timer, sweeps for other workers' expired leases, and on shutdown gives
/// running jobs back (after their checkpoint) so another worker resumes them at once.
/// Runs fence themselves: one that cannot confirm its lease stops before the lease can expire. What
/// a run's device did is spooled on the worker's disk and reported whenever the database can take it,
/// by this process or, after a kill, by the next one on the same spool (decision 0019).
/// </summary>
public sealed class JobWorker(
    NpgsqlDataSource dataSource,
    JobQueue queue,
    IEnumerable<IJobHandler> handlers,
    IOptions<WorkerOptions> options,
    ILogger<JobWorker> logger,
    Platform.Data.Artifacts.StoredFolders? storedFolders = null) : BackgroundService
{
    private readonly WorkerOptions _options = options.Value;
    private readonly Dictionary<string, IJobHandler> _handlers = handlers.ToDictionary(h => h.Kind, StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Guid, RunningJob> _running = new();
    private readonly ConcurrentDictionary<Task, byte> _slots = new();
    private readonly ConcurrentDictionary<Guid, PendingRun> _pending = new();
    private readonly WakeSignal _wake = new();
    private readonly WakeSignal _pendingAdded = new();
    // One pass over the pending runs at a time: the dispatcher, which waits for the reporting loop's
    // pass, then sees what is really still owed.
    private readonly SemaphoreSlim _reportingPass = new(1, 1);
    private readonly LossCurveRecorder _lossCurve = new(dataSource);
    private DeviceSpool? _spool;

    public Guid WorkerId { get; } = Guid.CreateVersion7();

    public int RunningCount => _running.Count;

    /// <summary>Runs whose end the database has not recorded yet (it was unreachable when they stopped).</summary>
    public int PendingCount => _pending.Count;

    private DeviceSpool Spool => _spool ?? throw new InvalidOperationException("The worker has not started.");

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _spool = DeviceSpool.Open(_options.SpoolDirectory ?? Path.Combine(Path.GetTempPath(), "platform-worker"), _options.Name, logger);
        try
        {
            await RunDispatcherAsync(stoppingToken);
        }
        finally
        {
            _spool.Dispose();
        }
    }

    private async Task RunDispatcherAsync(CancellationToken stoppingToken)
    {
        // Runs a previous process on this spool left behind: it died, so their devices stopped.
        foreach (var record in Spool.ReadAll())
            _pending[record.LeaseToken] = new PendingRun(record, null);
        if (!_pending.IsEmpty)
            logger.LogInformation("{Count} run(s) left by a previous worker process on this spool will be reported", _pending.Count);
        if (!await RegisterAsync(stoppingToken))
            return;
        var listener = new QueueListener(dataSource, logger);
        listener.WorkAvailable += _wake.Set;
        // The listener also fires when it gets its connection back: the database may take reports again.
        listener.WorkAvailable += _pendingAdded.Set;
        listener.CancelRequested += id =>
        {
            // Every run of the job on this worker: a gang may have several of its ranks here.
            foreach (var job in _running.Values.Where(r => r.Job.JobId == id))
                job.RequestCancel();
        };
        var listening = listener.RunAsync(stoppingToken);
        var housekeeping = HousekeepingAsync(stoppingToken);
        var reporting = ReportPendingAsync(stoppingToken);
        var free = new ConcurrentQueue<WorkerSlot>(WorkerSlot.Plan(_options.Slots, _options.DeviceKind,
            _options.DeviceKind == "cuda" ? Platform.Training.Torch.Torch.CudaDeviceCount : 0, Environment.ProcessorCount));
        logger.LogInformation("Worker slots: {Slots}", string.Join(", ", free.Select(s => $"{s.Index}: {s.Device}, {s.Threads} thread(s)")));
        using var slots = new SemaphoreSlim(_options.Slots, _options.Slots);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await slots.WaitAsync(stoppingToken);
                // What this worker owes the database (runs that ended while it was away) goes before
                // new work: a run reported first can still publish its checkpoint for the next one.
                // Until it is, no claim: a run that stopped during an outage may hold the job's newest checkpoint,
                // and a claim of that job now would resume from an older one (steps trained twice, billed twice).
                // A reporting pass in progress holds its run outside _pending while it writes it (the database may
                // just be back): this pass waits for that one, or the job could be claimed before its checkpoint
                // is published (PostgresRestartTests caught it: resumed at step 20 with step 80 on its way).
                if ((!_pending.IsEmpty || _reportingPass.CurrentCount == 0) && !await ReportPendingOnceAsync(stoppingToken) && OwesRecentRun())
                {
                    slots.Release();
                    await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
                    continue;
                }
                ClaimedJob? claimed = null;
                var (request, claim) = SpoolClaim();
                // A trace starts at the claim; an empty poll is no trace at all.
                var claiming = JobsTelemetry.Activities.StartActivity("job.claim", ActivityKind.Consumer, parentContext: default);
                try
                {
                    claimed = await queue.ClaimAsync(request, stoppingToken);
                    if (claimed is null)
                        DeleteSpool(claim);
                }
                catch (Exception ex)
                {
                    // The claim may have committed with its answer lost: its run is ended from the spool.
                    AddPending(claim);
                    if (ex is not (NpgsqlException or TimeoutException or IOException))
                        throw;
                    logger.LogWarning("Claim failed ({Message}); retrying", ex.Message);
                }
                ActivityContext trace = default;
                if (claiming is not null)
                {
                    if (claimed is null)
                        claiming.ActivityTraceFlags &= ~ActivityTraceFlags.Recorded;
                    else
                        Tag(claiming, claimed);
                    trace = claiming.Context;
                    claiming.Dispose();
                }
                if (claimed is null)
                {
                    slots.Release();
                    await _wake.WaitAsync(await IdleWaitAsync(stoppingToken), stoppingToken);
                    continue;
                }
                // The semaphore counts free slots, so one is always queued here.
                free.TryDequeue(out var owned);
                var slot = RunSlotAsync(claimed, trace, owned!, () => { free.Enqueue(owned!); slots.Release(); }, stoppingToken);
                _slots[slot] = 0;
                _ = slot.ContinueWith(t => _slots.TryRemove(t, out _), TaskScheduler.Default);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        // Shutdown: each running job sees its token fire, checkpoints, and is released.
        await Task.WhenAll(_slots.Keys);
        await Task.WhenAll(listening, housekeeping, reporting);
        await ReportPendingOnceAsync(CancellationToken.None);
        if (!_pending.IsEmpty)
            logger.LogWarning("{Count} run(s) could not be reported before shutdown; they stay in {Spool} for the next start",
                _pending.Count, Spool.Directory);
        await MarkStoppedAsync();
    }

    /// <summary>
    /// How long an idle worker sleeps when nothing wakes it: until the next job in back-off becomes
    /// claimable (nothing notifies then), at most <see cref="WorkerOptions.IdlePoll"/>.
    /// </summary>
    private async Task<TimeSpan> IdleWaitAsync(CancellationToken cancellationToken)
    {
        try
        {
            if (await queue.NextAvailableAsync(cancellationToken) is { } next)
            {
                var wait = next - DateTimeOffset.UtcNow + TimeSpan.FromMilliseconds(50);
                return wait < _options.IdlePoll ? (wait > TimeSpan.Zero ? wait : TimeSpan.FromMilliseconds(50)) : _options.IdlePoll;
            }
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or IOException)
        {
            // The claim just failed the same way; the listener wakes us when the database is back.
        }
        return _options.IdlePoll;
    }

    /// <summary>
    /// One slot: runs the claimed job, and whatever job its completion claimed next, until a completion
    /// claims nothing. Then the slot goes back to the dispatcher loop.
    /// </summary>
    private Task RunSlotAsync(ClaimedJob first, ActivityContext trace, WorkerSlot slot, Action release, CancellationToken shutdown) => Task.Run(async () =>
    {
        try
        {
            for (var job = first; job is not null;)
            {
                var running = new RunningJob(job, _options.EffectiveSelfFenceAfter);
                _running[job.LeaseToken] = running;
                try
                {
                    job = await RunAsync(running, slot, trace, shutdown);
                    // The next job was claimed by this one's completion: its trace starts there.
                    trace = default;
                }
                finally
                {
                    _running.TryRemove(running.Job.LeaseToken, out _);
                    running.Dispose();
                }
            }
        }
        catch (Exception ex)
        {
            // Nothing awaits a slot's task: an exception escaping it would vanish with the slot. Its run
            // is on the spool, so the reporting loop (or the next process) still ends it.
            logger.LogError(ex, "A worker slot stopped on an unexpected error; the slot is free again");
        }
        finally
        {
            release();
            _wake.Set();
        }
    }, CancellationToken.None);

    /// <summary>Runs one job until its device stops, and records how it ended. Returns the next job when the completion claimed one.</summary>
    private async Task<ClaimedJob?> RunAsync(RunningJob running, WorkerSlot slot, ActivityContext trace, CancellationToken shutdown)
    {
        var job = running.Job;
        using var activity = JobsTelemetry.Activities.StartActivity("job.run", ActivityKind.Internal, trace);
        Tag(activity, job);
        var started = Stopwatch.GetTimestamp();
        var record = RunRecord.Start(job);
        // Not synced: the claim's record, synced before the claim was sent, already names the run for a
        // machine crash; waiting for a busy disk here would only delay the device.
        WriteSpool(record, sync: false);
        var reports = new RunReports(job, queue, _lossCurve, logger);
        using var pumpStop = new CancellationTokenSource();
        var pump = reports.PumpAsync(pumpStop.Token);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(shutdown, running.Cancel.Token);
        var context = new JobContext(job, linked.Token, queue, reports, () => running.Holds,
            Spool.WorkDirectory(job.JobId, job.LeaseToken), slot);
        using var keeper = new CancellationTokenSource();
        var keeping = KeepLeaseAsync(running, keeper.Token);
        var spooling = SpoolAsync(job, () => WriteSpool(record with
        {
            ActiveUntilUtc = DateTime.UtcNow,
            DeviceSeconds = running.DeviceSeconds,
            Unpublished = context.Unpublished,
        }, sync: false), keeper.Token);

        RunOutcome outcome;
        try
        {
            if (!_handlers.TryGetValue(job.Kind, out var handler))
                throw new InvalidOperationException($"This worker has no handler for jobs of kind '{job.Kind}'.");
            context.Distributed = await GangRendezvous.JoinAsync(queue, job, _options.RendezvousHost, _options.RendezvousTimeout, linked.Token);
            using (JobsTelemetry.Activities.StartActivity("job.train"))
                outcome = new RunOutcome(RunOutcomes.Succeeded, Result: await handler.RunAsync(context));
        }
        catch (Exception ex) when (running.LeaseLost || running.Fenced || ex is OperationCanceledException && linked.IsCancellationRequested)
        {
            outcome = running switch
            {
                { LeaseLost: true } => new RunOutcome(RunOutcomes.Lost, "another run took the job over"),
                { Fenced: true } => new RunOutcome(RunOutcomes.Interrupted,
                    $"the worker could not confirm its lease with the database for {_options.EffectiveSelfFenceAfter.TotalSeconds:0} s " +
                    "and stopped the job before the lease could expire"),
                { CancelRequested: true } => new RunOutcome(RunOutcomes.Cancelled),
                _ => new RunOutcome(RunOutcomes.Released),
            };
        }
        catch (Exception ex)
        {
            var infrastructure = RunFailures.IsInfrastructure(ex);
            if (infrastructure)
                logger.LogWarning("Job {JobId} (attempt {Attempt}) interrupted by infrastructure: {Message}", job.JobId, job.Attempt, ex.Message);
            else
                logger.LogError(ex, "Job {JobId} attempt {Attempt} failed", job.JobId, job.Attempt);
            outcome = new RunOutcome(infrastructure ? RunOutcomes.Interrupted : RunOutcomes.Failed, ex.Message);
        }

        // The device stopped working on the job here: this is where its segment ends.
        record = record with
        {
            ActiveUntilUtc = DateTime.UtcNow,
            DeviceSeconds = running.DeviceSeconds,
            Outcome = outcome.Kind,
            Message = outcome.Message,
            ResultJson = outcome.Result,
            Unpublished = context.Unpublished,
        };
        await keeper.CancelAsync();
        await keeping;
        await spooling;
        WriteSpool(record);
        await pumpStop.CancelAsync();
        await pump;
        var tags = new TagList { { "kind", job.Kind }, { "outcome", outcome.Kind } };
        JobsTelemetry.RunDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, tags);
        activity?.SetTag("job.outcome", outcome.Kind);
        if (outcome.Kind == RunOutcomes.Failed)
            activity?.SetStatus(ActivityStatusCode.Error, outcome.Message);
        if (running.LeaseLost)
            JobsTelemetry.LostLeases.Add(1, new KeyValuePair<string, object?>("detected_by", "worker"));
        if (running.LeaseLost)
            logger.LogWarning("Job {JobId} stopped: its lease was taken over", job.JobId);
        else if (running.Fenced)
            logger.LogWarning("Job {JobId} stopped itself: the lease could not be confirmed in time", job.JobId);
        var (next, claim) = shutdown.IsCancellationRequested ? (null, null) : SpoolClaim();
        bool done;
        ClaimedJob? nextJob;
        using (JobsTelemetry.Activities.StartActivity("job.complete"))
            (done, nextJob) = await FinishAsync(new PendingRun(record, reports), next, CancellationToken.None);
        // Without a next job the claim may still have committed (a retried claim's answer lost after the
        // completion committed): the reporting loop asks the database, which ends such a run at once.
        if (claim is not null && nextJob is null)
            AddPending(claim);
        if (!done)
            _pendingAdded.Set();
        return nextJob;
    }

    /// <summary>
    /// Records a stopped run in the database: its reports, a checkpoint it could not publish, then its
    /// end (a completion that may claim the slot's next job, or a requeue or a late report). When the
    /// database is unreachable the run waits in the pending list (and on the spool) for
    /// <see cref="ReportPendingAsync"/>.
    /// </summary>
    private async Task<(bool Done, ClaimedJob? Next)> FinishAsync(PendingRun pending, ClaimRequest? next, CancellationToken cancellationToken)
    {
        var record = pending.Record;
        var job = record.ToClaimedJob();
        var stop = new DeviceStop(record.ActiveUntilUtc, record.DeviceSeconds);
        try
        {
            if (record.IsClaim)
            {
                if (await queue.EndClaimAsync(record.LeaseToken, stop, cancellationToken))
                    logger.LogInformation("A run claimed under token {Token} before this worker knew its job was ended", record.LeaseToken);
                _pending.TryRemove(record.LeaseToken, out _);
                DeleteSpool(record);
                return (true, null);
            }
            if (pending.Reports is { } reports && !await reports.FlushAsync(cancellationToken))
                throw new TimeoutException("the run's reports could not be written");
            if (record.Unpublished is { } checkpoint && record.Outcome is not (RunOutcomes.Succeeded or RunOutcomes.Cancelled))
                await PublishLateAsync(job, checkpoint, cancellationToken);

            ClaimedJob? claimed = null;
            switch (record.Outcome)
            {
                case RunOutcomes.Succeeded or RunOutcomes.Cancelled:
                    var outcome = record.Outcome == RunOutcomes.Succeeded ? JobOutcome.Succeeded : JobOutcome.Cancelled;
                    var completion = await queue.CompleteAndClaimAsync(job, outcome, record.ResultJson, next, stop, cancellationToken);
                    if (!completion.Completed)
                    {
                        logger.LogWarning("Job {JobId} finished after another run took it over; the outcome was discarded", job.JobId);
                        // The refused completion recorded nothing, so the run's segment is still open: its
                        // device stop goes in as a late report, or it would wait for the report grace and be
                        // billed to its last renewal.
                        await queue.EndRunAsync(job, RunEnding.Interrupted, "finished after another run took the job over", stop, cancellationToken);
                    }
                    claimed = completion.Next;
                    break;
                default:
                    var (how, reason) = record.Outcome switch
                    {
                        RunOutcomes.Released => (RunEnding.Released, null),
                        RunOutcomes.Failed => (RunEnding.Failed, record.Message),
                        RunOutcomes.Interrupted or RunOutcomes.Lost => (RunEnding.Interrupted, record.Message),
                        // A record without an outcome was left by a process that died while the device worked.
                        _ => (RunEnding.Interrupted, "the worker process stopped while running the job"),
                    };
                    var ended = await queue.EndRunAsync(job, how, reason, stop, cancellationToken);
                    if (ended.State is null && !ended.Metered)
                        logger.LogWarning("Job {JobId}: the end of run {Attempt}.{Segment} came after its segment was closed at its last renewal",
                            job.JobId, job.Attempt, job.Segment);
                    else if (ended.State is null)
                        logger.LogInformation("Job {JobId}: device time of run {Attempt}.{Segment} reported ({Seconds:0.0} s)",
                            job.JobId, job.Attempt, job.Segment, record.DeviceSeconds);
                    break;
            }
            _pending.TryRemove(record.LeaseToken, out _);
            DeleteSpool(record);
            return (true, claimed);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or IOException && !cancellationToken.IsCancellationRequested)
        {
            _pending[record.LeaseToken] = pending;
            logger.LogWarning("Job {JobId}: the end of run {Attempt}.{Segment} waits for the database ({Message})",
                job.JobId, job.Attempt, job.Segment, ex.Message);
            return (false, null);
        }
    }

    /// <summary>
    /// Makes the next claim's token and spools it before the claim is sent, so that no moment leaves a
    /// claimed run without a record on this disk: a kill between the claim and the run's first spool
    /// write is reported by the next process on the spool, not left to the report grace.
    /// </summary>
    private (ClaimRequest Request, RunRecord Record) SpoolClaim()
    {
        var record = RunRecord.Claim(Guid.NewGuid());
        WriteSpool(record);
        return (new ClaimRequest(WorkerId, _options.Lease, _options.DeviceKind, record.LeaseToken), record);
    }

    private void AddPending(RunRecord claim)
    {
        _pending[claim.LeaseToken] = new PendingRun(claim, null);
        _pendingAdded.Set();
    }

    /// <summary>A checkpoint kept on this disk goes to the store now if the run is still the job's latest claim.</summary>
    private async Task PublishLateAsync(ClaimedJob job, UnpublishedCheckpoint checkpoint, CancellationToken cancellationToken)
    {
        try
        {
            // Only the handlers that store checkpoints leave one behind, and they run with the store registered.
            if (storedFolders is not null && await RunStorage.PublishLateAsync(queue, storedFolders, job, checkpoint, logger, cancellationToken))
                logger.LogInformation("Job {JobId}: checkpoint at step {Step} kept on the worker is now the job's resume point", job.JobId, checkpoint.Step);
        }
        catch (Exception ex) when (ex is UnauthorizedAccessException or InvalidDataException or HttpRequestException or Amazon.Runtime.AmazonServiceException
                                   || ex is IOException && ex is not NpgsqlException)
        {
            // The store still refuses it: the job resumes from its last published checkpoint instead.
            logger.LogWarning("Job {JobId}: checkpoint at step {Step} could not be published ({Message})", job.JobId, checkpoint.Step, ex.Message);
        }
    }

    /// <summary>Reports pending runs whenever the database takes them, backing off while it does not.</summary>
    private async Task ReportPendingAsync(CancellationToken stoppingToken)
    {
        var backoff = TimeSpan.FromMilliseconds(500);
        while (!stoppingToken.IsCancellationRequested)
        {
            await _pendingAdded.WaitAsync(_pending.IsEmpty ? TimeSpan.FromSeconds(30) : backoff, stoppingToken)
                .ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            if (stoppingToken.IsCancellationRequested)
                return;
            backoff = await ReportPendingOnceAsync(stoppingToken)
                ? TimeSpan.FromMilliseconds(500)
                : TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromSeconds(2).Ticks));
        }
    }

    /// <summary>One pass over the pending runs, oldest first; false when the database still refuses.</summary>
    private async Task<bool> ReportPendingOnceAsync(CancellationToken cancellationToken)
    {
        await _reportingPass.WaitAsync(cancellationToken);
        try
        {
            foreach (var pending in _pending.Values.OrderBy(p => p.Record.ActiveUntilUtc).ToList())
            {
                // Taken out first: a run's own end (FinishAsync from its slot) may report it at the same time.
                if (!_pending.TryRemove(pending.Record.LeaseToken, out _))
                    continue;
                if (!(await FinishAsync(pending, null, cancellationToken)).Done)
                    return false;
            }
            return _pending.IsEmpty;
        }
        finally
        {
            _reportingPass.Release();
        }
    }

    /// <summary>
    /// Whether a run that stopped in the last two minutes is still unreported. Claims wait for such runs;
    /// past that a report the database keeps refusing no longer holds the worker's slots idle.
    /// </summary>
    private bool OwesRecentRun() =>
        _pending.Values.Any(p => !p.Record.IsClaim && DateTime.UtcNow - p.Record.ActiveUntilUtc < TimeSpan.FromMinutes(2));

    /// <summary>
    /// Renews on its own timer, never on the training thread, so a long step cannot starve the lease.
    /// A lost lease cancels the job at once: someone else owns it now. A lease that cannot be confirmed
    /// for <see cref="WorkerOptions.EffectiveSelfFenceAfter"/> cancels it too, while it is still this
    /// run's (<see cref="RunningJob"/>'s timer does that even while a renewal hangs); a renewal that
    /// hangs is abandoned at that deadline rather than waited for.
    /// </summary>
    private async Task KeepLeaseAsync(RunningJob running, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            var untilFence = running.UntilFence;
            if (untilFence <= TimeSpan.Zero)
            {
                logger.LogWarning("Job {JobId}: lease not confirmed for {Seconds:0.0} s; stopping the run before it can expire",
                    running.Job.JobId, _options.EffectiveSelfFenceAfter.TotalSeconds);
                running.Fence();
                return;
            }
            try
            {
                await Task.Delay(untilFence < _options.RenewEvery ? untilFence : _options.RenewEvery, stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            if (running.UntilFence <= TimeSpan.Zero)
                continue;
            var sentAt = Stopwatch.GetTimestamp();
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stop);
            deadline.CancelAfter(running.UntilFence);
            try
            {
                // Not awaited past the deadline: the driver's cancellation asks the server to cancel and
                // waits for its answer, which a partitioned or frozen server never gives. The abandoned
                // call ends when its connection does; the run's own fence timer does not wait for it.
                var renewal = await queue.RenewAsync(running.Job, _options.Lease, deadline.Token).WaitAsync(deadline.Token);
                running.Confirm(sentAt);
                switch (renewal)
                {
                    case LeaseRenewal.Lost:
                        running.LoseLease();
                        return;
                    case LeaseRenewal.CancelRequested:
                        running.RequestCancel();
                        break;
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (OperationCanceledException)
            {
                // The renewal outlived the fence deadline; the loop fences the run.
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException or IOException)
            {
                logger.LogWarning("Lease renewal for job {JobId} failed ({Message}); {Left:0.0} s before the run stops itself",
                    running.Job.JobId, ex.Message, Math.Max(0, running.UntilFence.TotalSeconds));
            }
        }
    }

    /// <summary>
    /// Writes the run's spool record every <see cref="WorkerOptions.SpoolEvery"/> while its device works, so
    /// a kill leaves at most one period of device time unbilled, whatever the database, the lease or the
    /// disk do: these writes do not wait for the disk (<see cref="DeviceSpool.Write"/>).
    /// </summary>
    private async Task SpoolAsync(ClaimedJob job, Action write, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(_options.SpoolEvery);
        var written = Stopwatch.GetTimestamp();
        while (await TickAsync(timer, stop))
        {
            var started = Stopwatch.GetTimestamp();
            write();
            var now = Stopwatch.GetTimestamp();
            // A kill now would bill the run only up to the previous write: say when that gap grows.
            var gap = Stopwatch.GetElapsedTime(written, now);
            if (gap > 4 * _options.SpoolEvery)
                logger.LogWarning("Job {JobId}: device-time spool rewritten {Gap:0.00} s after the previous write (the write took {Write:0.00} s)",
                    job.JobId, gap.TotalSeconds, Stopwatch.GetElapsedTime(started, now).TotalSeconds);
            written = now;
        }
    }

    private void WriteSpool(RunRecord record, bool sync = true)
    {
        try
        {
            Spool.Write(record, sync);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Without its spool the run is metered by its renewals alone, as before the spool existed.
            logger.LogWarning("Device-time spool not written for job {JobId} ({Message})", record.JobId, ex.Message);
        }
    }

    private void DeleteSpool(RunRecord record)
    {
        try
        {
            Spool.Delete(record);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            logger.LogWarning("Spool record of job {JobId} not removed ({Message})", record.JobId, ex.Message);
        }
    }

    private static async Task<bool> TickAsync(PeriodicTimer timer, CancellationToken cancellationToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private async Task HousekeepingAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_options.RecoverEvery);
        while (await TickAsync(timer, stoppingToken))
        {
            try
            {
                await using var batch = dataSource.CreateBatch();
                batch.BatchCommands.Add(new NpgsqlBatchCommand("UPDATE workers SET heartbeat_at = now() WHERE id = $1")
                {
                    Parameters = { new NpgsqlParameter { Value = WorkerId } },
                });
                await batch.ExecuteNonQueryAsync(stoppingToken);
                if (await queue.RecoverExpiredAsync(stoppingToken) is > 0 and var recovered)
                    logger.LogInformation("Recovered {Count} job(s) from workers that stopped renewing", recovered);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException or IOException)
            {
                logger.LogWarning("Worker housekeeping failed ({Message})", ex.Message);
            }
        }
    }

    /// <summary>Registers the worker, waiting for the database if it is not up yet. False when stopped first.</summary>
    private async Task<bool> RegisterAsync(CancellationToken cancellationToken)
    {
        var delay = TimeSpan.FromMilliseconds(250);
        while (true)
        {
            try
            {
                await using var command = dataSource.CreateCommand("""
                    INSERT INTO workers (id, name, device_kind, device_name, slots, heartbeat_every) VALUES ($1, $2, $3, $4, $5, $6)
                    """);
                command.Parameters.Add(new NpgsqlParameter { Value = WorkerId });
                command.Parameters.Add(new NpgsqlParameter { Value = _options.Name });
                command.Parameters.Add(new NpgsqlParameter { Value = _options.DeviceKind });
                command.Parameters.Add(new NpgsqlParameter { Value = _options.DeviceName });
                command.Parameters.Add(new NpgsqlParameter { Value = _options.Slots });
                // The housekeeping timer beats; the queue stops assigning gang ranks here once a beat is missed.
                command.Parameters.Add(new NpgsqlParameter { Value = _options.RecoverEvery });
                await command.ExecuteNonQueryAsync(cancellationToken);
                logger.LogInformation("Worker {Name} ({WorkerId}) registered: {Slots} {Device} slot(s)",
                    _options.Name, WorkerId, _options.Slots, _options.DeviceKind);
                return true;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return false;
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException or IOException)
            {
                logger.LogWarning("Worker registration failed ({Message}); retrying in {Delay}", ex.Message, delay);
                await Task.Delay(delay, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                if (cancellationToken.IsCancellationRequested)
                    return false;
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
            }
        }
    }

    private async Task MarkStoppedAsync()
    {
        try
        {
            await using var command = dataSource.CreateCommand("UPDATE workers SET stopped_at = now() WHERE id = $1");
            command.Parameters.Add(new NpgsqlParameter { Value = WorkerId });
            await command.ExecuteNonQueryAsync();
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or IOException)
        {
            logger.LogWarning("Could not mark worker stopped ({Message})", ex.Message);
        }
    }

    private static void Tag(Activity? activity, ClaimedJob job)
    {
        activity?.SetTag("job.id", job.JobId.ToString());
        activity?.SetTag("job.kind", job.Kind);
        activity?.SetTag("job.attempt", job.Attempt);
        activity?.SetTag("job.segment", job.Segment);
        activity?.SetTag("tenant.id", job.TenantId.ToString());
    }

    /// <summary>How a run ended, as the worker saw it (<see cref="RunOutcomes"/>).</summary>
    private sealed record RunOutcome(string Kind, string? Message = null, string? Result = null);

    /// <summary>A stopped run whose end is not recorded yet, with its unwritten reports when this process made it.</summary>
    private sealed record PendingRun(RunRecord Record, RunReports? Reports);
}
