using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Npgsql;
using Platform.Jobs.Queue;
using Platform.Jobs.Training;

namespace Platform.Jobs.Workers;

/// <summary>
/// One thing a run reports: progress and/or an event line, a loss-curve point, or a checkpoint to make
/// the job's resume point. <see cref="At"/> is when it happened, on the worker's clock; a report written
/// late (after a database outage) keeps that time.
/// </summary>
internal sealed record RunReport(DateTime At, string? ProgressJson = null, string? EventType = null, string? Message = null,
    string? DataJson = null, LossPoint? LossPoint = null, CheckpointPublication? Checkpoint = null);

/// <summary>
/// Checkpoint <see cref="Step"/>, already stored under <see cref="SharedRunFolder"/>, becomes the resume point;
/// <see cref="AfterPublished"/> then removes what it supersedes.
/// </summary>
internal sealed record CheckpointPublication(long Step, string SharedRunFolder, Func<CancellationToken, Task>? AfterPublished = null);

/// <summary>
/// A run's reports on their way to the database, in the order they were made. The training thread
/// only posts (never waits); a pump writes them. While the database is away nothing is dropped: the
/// reports wait and go out, with their original times, when it is back. Every write is fenced by the
/// run's token (accepted while the run is the job's latest claim); once another run has claimed the
/// job, whatever is still queued is dropped, since it describes work the job no longer builds on.
/// </summary>
internal sealed class RunReports(ClaimedJob job, JobQueue queue, LossCurveRecorder lossCurve, ILogger logger)
{
    private readonly ConcurrentQueue<RunReport> _queue = new();
    private readonly SemaphoreSlim _writer = new(1, 1);
    private readonly WakeSignal _posted = new();
    private volatile bool _fencedOut;

    public int Pending => _queue.Count;

    /// <summary>True once a write was refused because another run has claimed the job.</summary>
    public bool FencedOut => _fencedOut;

    public void Post(RunReport report)
    {
        if (_fencedOut)
            return;
        _queue.Enqueue(report);
        _posted.Set();
    }

    /// <summary>Writes reports as they come, backing off while the database is unreachable, until stopped.</summary>
    public async Task PumpAsync(CancellationToken stop)
    {
        var backoff = TimeSpan.FromMilliseconds(250);
        while (!stop.IsCancellationRequested)
        {
            await _posted.WaitAsync(TimeSpan.FromSeconds(1), stop).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            if (await FlushAsync(stop))
            {
                backoff = TimeSpan.FromMilliseconds(250);
                continue;
            }
            await Task.Delay(backoff, stop).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
        }
    }

    /// <summary>
    /// Writes everything queued now, in order. True when the queue is empty (written or fenced out);
    /// false when the database failed, leaving the rest for a later call.
    /// </summary>
    public async Task<bool> FlushAsync(CancellationToken cancellationToken)
    {
        await _writer.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (cancellationToken.IsCancellationRequested)
            return _queue.IsEmpty;
        try
        {
            while (_queue.TryPeek(out var report))
            {
                try
                {
                    if (!await WriteAsync(report, cancellationToken))
                    {
                        _fencedOut = true;
                        logger.LogWarning("Job {JobId}: another run has claimed the job; {Count} report(s) of this run dropped",
                            job.JobId, _queue.Count);
                        _queue.Clear();
                        return true;
                    }
                }
                catch (Exception ex) when (ex is NpgsqlException or TimeoutException or IOException)
                {
                    logger.LogDebug("Job {JobId}: reports wait for the database ({Message})", job.JobId, ex.Message);
                    return false;
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    return false;
                }
                _queue.TryDequeue(out _);
            }
            return true;
        }
        finally
        {
            _writer.Release();
        }
    }

    private async Task<bool> WriteAsync(RunReport report, CancellationToken cancellationToken)
    {
        if (report.Checkpoint is { } checkpoint)
        {
            if (!await queue.PublishCheckpointAsync(job, checkpoint.Step, cancellationToken))
                return false;
            if (checkpoint.AfterPublished is { } prune)
                await prune(cancellationToken);
            return true;
        }
        if (report.ProgressJson is not null || report.EventType is not null)
        {
            if (!await queue.ReportAsync(job, report.ProgressJson, report.EventType, report.Message, report.DataJson, report.At,
                    cancellationToken))
                return false;
            if (report.ProgressJson is not null)
                Telemetry.JobsTelemetry.IngestLag.Record(Math.Max(0, (DateTime.UtcNow - report.At).TotalSeconds));
        }
        if (report.LossPoint is { } point)
            return await lossCurve.RecordAsync(job, point, cancellationToken);
        return true;
    }
}
