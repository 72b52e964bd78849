using System.Collections.Concurrent;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Jobs.Queue;

namespace Platform.Jobs.Workers;

/// <summary>
/// A worker process's dispatcher: registers itself, claims jobs into its slots when woken by NOTIFY,
/// keeps each lease on its own timer, sweeps for other workers' expired leases, and on shutdown gives
/// running jobs back (after their checkpoint) so another worker resumes them at once.
/// </summary>
public sealed class JobWorker(
    NpgsqlDataSource dataSource,
    JobQueue queue,
    IEnumerable<IJobHandler> handlers,
    IOptions<WorkerOptions> options,
    ILogger<JobWorker> logger) : BackgroundService
{
    private readonly WorkerOptions _options = options.Value;
    private readonly Dictionary<string, IJobHandler> _handlers = handlers.ToDictionary(h => h.Kind, StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Guid, RunningJob> _running = new();
    private readonly ConcurrentDictionary<Task, byte> _slots = new();
    private readonly WakeSignal _wake = new();

    public Guid WorkerId { get; } = Guid.CreateVersion7();

    public int RunningCount => _running.Count;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await RegisterAsync(stoppingToken);
        var listener = new QueueListener(dataSource, logger);
        listener.WorkAvailable += _wake.Set;
        listener.CancelRequested += id =>
        {
            if (_running.TryGetValue(id, out var job))
                job.RequestCancel();
        };
        var listening = listener.RunAsync(stoppingToken);
        var housekeeping = HousekeepingAsync(stoppingToken);
        using var slots = new SemaphoreSlim(_options.Slots, _options.Slots);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await slots.WaitAsync(stoppingToken);
                ClaimedJob? claimed = null;
                try
                {
                    claimed = await queue.ClaimAsync(WorkerId, _options.Lease, _options.DeviceKind, stoppingToken);
                }
                catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
                {
                    logger.LogWarning("Claim failed ({Message}); retrying", ex.Message);
                }
                if (claimed is null)
                {
                    slots.Release();
                    await _wake.WaitAsync(_options.IdlePoll, stoppingToken);
                    continue;
                }
                var slot = RunSlotAsync(claimed, slots, stoppingToken);
                _slots[slot] = 0;
                _ = slot.ContinueWith(t => _slots.TryRemove(t, out _), TaskScheduler.Default);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        // Shutdown: each running job sees its token fire, checkpoints, and is released.
        await Task.WhenAll(_slots.Keys);
        await Task.WhenAll(listening, housekeeping);
        await MarkStoppedAsync();
    }

    /// <summary>
    /// One slot: runs the claimed job, and whatever job its completion claimed next, until a completion
    /// claims nothing. Then the slot goes back to the dispatcher loop.
    /// </summary>
    private Task RunSlotAsync(ClaimedJob first, SemaphoreSlim slots, CancellationToken shutdown) => Task.Run(async () =>
    {
        try
        {
            for (var job = first; job is not null;)
            {
                var running = new RunningJob(job);
                _running[job.JobId] = running;
                try
                {
                    job = await RunAsync(running, shutdown);
                }
                finally
                {
                    _running.TryRemove(running.Job.JobId, out _);
                }
            }
        }
        finally
        {
            slots.Release();
            _wake.Set();
        }
    }, CancellationToken.None);

    /// <summary>Runs one job to its end and records the outcome. Returns the next job when the completion claimed one.</summary>
    private async Task<ClaimedJob?> RunAsync(RunningJob running, CancellationToken shutdown)
    {
        var job = running.Job;
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(shutdown, running.Cancel.Token);
        using var keeper = new CancellationTokenSource();
        var keeping = KeepLeaseAsync(running, keeper.Token);
        try
        {
            if (!_handlers.TryGetValue(job.Kind, out var handler))
                throw new InvalidOperationException($"This worker has no handler for jobs of kind '{job.Kind}'.");
            var result = await handler.RunAsync(new JobContext(job, linked.Token, queue));
            await StopKeepingAsync(keeper, keeping);
            return await CompleteAsync(job, JobOutcome.Succeeded, result, shutdown);
        }
        catch (OperationCanceledException) when (linked.IsCancellationRequested)
        {
            await StopKeepingAsync(keeper, keeping);
            if (running.LeaseLost)
                logger.LogWarning("Job {JobId} stopped: its lease was taken over", job.JobId);
            else if (running.CancelRequested)
                return await CompleteAsync(job, JobOutcome.Cancelled, null, shutdown);
            else
                await PersistAsync(() => queue.ReleaseAsync(job, CancellationToken.None));
        }
        catch (Exception ex)
        {
            await StopKeepingAsync(keeper, keeping);
            logger.LogError(ex, "Job {JobId} attempt {Attempt} failed", job.JobId, job.Attempt);
            if (!running.LeaseLost)
                await PersistAsync(() => queue.FailAttemptAsync(job, ex.Message, CancellationToken.None));
        }
        return null;
    }

    /// <summary>
    /// Completes the job and, unless the worker is shutting down, claims the slot's next job in the
    /// same transaction. A completion fenced out by a lost lease claims nothing.
    /// </summary>
    private async Task<ClaimedJob?> CompleteAsync(ClaimedJob job, JobOutcome outcome, string? result, CancellationToken shutdown)
    {
        var next = shutdown.IsCancellationRequested ? null : new ClaimRequest(WorkerId, _options.Lease, _options.DeviceKind);
        var completion = await PersistAsync(() => queue.CompleteAndClaimAsync(job, outcome, result, next, CancellationToken.None));
        if (!completion.Completed)
            logger.LogWarning("Job {JobId} finished after its lease was lost; the outcome was discarded", job.JobId);
        return completion.Next;
    }

    /// <summary>
    /// Retries a job's final write while the database is unreachable (a restart, a failover), for up to
    /// one lease: past that the job has been recovered elsewhere and the write would be fenced anyway.
    /// </summary>
    private async Task<T> PersistAsync<T>(Func<Task<T>> write)
    {
        var deadline = DateTime.UtcNow + _options.Lease;
        var delay = TimeSpan.FromMilliseconds(200);
        while (true)
        {
            try
            {
                return await write();
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException or IOException && DateTime.UtcNow < deadline)
            {
                logger.LogWarning("Recording a job's outcome failed ({Message}); retrying in {Delay}", ex.Message, delay);
                await Task.Delay(delay);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(3).Ticks));
            }
        }
    }

    /// <summary>
    /// Renews on its own timer, never on the training thread, so a long step cannot starve the lease.
    /// A lost lease cancels the job at once: someone else owns it now.
    /// </summary>
    private async Task KeepLeaseAsync(RunningJob running, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(_options.RenewEvery);
        while (await TickAsync(timer, stop))
        {
            try
            {
                switch (await queue.RenewAsync(running.Job, _options.Lease, stop))
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
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException or IOException)
            {
                // The database may be restarting: keep trying until the lease itself runs out.
                logger.LogWarning("Lease renewal for job {JobId} failed ({Message})", running.Job.JobId, ex.Message);
            }
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

    private static async Task StopKeepingAsync(CancellationTokenSource keeper, Task keeping)
    {
        await keeper.CancelAsync();
        await keeping;
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

    private async Task RegisterAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            INSERT INTO workers (id, name, device_kind, device_name, slots) VALUES ($1, $2, $3, $4, $5)
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = WorkerId });
        command.Parameters.Add(new NpgsqlParameter { Value = _options.Name });
        command.Parameters.Add(new NpgsqlParameter { Value = _options.DeviceKind });
        command.Parameters.Add(new NpgsqlParameter { Value = _options.DeviceName });
        command.Parameters.Add(new NpgsqlParameter { Value = _options.Slots });
        await command.ExecuteNonQueryAsync(cancellationToken);
        logger.LogInformation("Worker {Name} ({WorkerId}) registered: {Slots} {Device} slot(s)",
            _options.Name, WorkerId, _options.Slots, _options.DeviceKind);
    }

    private async Task MarkStoppedAsync()
    {
        try
        {
            await using var command = dataSource.CreateCommand("UPDATE workers SET stopped_at = now() WHERE id = $1");
            command.Parameters.Add(new NpgsqlParameter { Value = WorkerId });
            await command.ExecuteNonQueryAsync();
        }
        catch (NpgsqlException ex)
        {
            logger.LogWarning("Could not mark worker stopped ({Message})", ex.Message);
        }
    }

    private sealed class RunningJob(ClaimedJob job)
    {
        public ClaimedJob Job { get; } = job;

        public CancellationTokenSource Cancel { get; } = new();

        public bool CancelRequested { get; private set; }

        public bool LeaseLost { get; private set; }

        public void RequestCancel()
        {
            CancelRequested = true;
            Cancel.Cancel();
        }

        public void LoseLease()
        {
            LeaseLost = true;
            Cancel.Cancel();
        }
    }
}
