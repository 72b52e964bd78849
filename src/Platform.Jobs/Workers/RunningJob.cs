using System.Diagnostics;
using Platform.Jobs.Queue;

namespace Platform.Jobs.Workers;

/// <summary>
/// A run in progress on this worker: its cancellation, why it was cancelled, and what the worker knows
/// about its lease. The lease is known held until <see cref="WorkerOptions.EffectiveSelfFenceAfter"/>
/// after the last confirmation (the send time of the last renewal that succeeded, or of the claim),
/// which is well inside the lease the database granted after that moment (decision 0019).
/// The fence is a timer of its own: it fires at the deadline whatever the renewal loop is doing. A
/// renewal that hangs (a partitioned or frozen database, where even the driver's cancel request waits
/// for an answer) kept the loop from ever reaching its deadline check, and the run trained on past
/// its lease (issue 10: 7-9 s unbilled in the chaos bench, and for as long as the hang lasted in
/// <c>FencingTests</c>).
/// </summary>
internal sealed class RunningJob : IDisposable
{
    private readonly TimeSpan _selfFenceAfter;
    private readonly Timer _fenceTimer;
    private long _confirmedAt;

    public RunningJob(ClaimedJob job, TimeSpan selfFenceAfter)
    {
        Job = job;
        _selfFenceAfter = selfFenceAfter;
        _confirmedAt = job.RequestedAt;
        _fenceTimer = new Timer(_ => FenceIfDue(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        Arm();
    }

    public ClaimedJob Job { get; }

    public CancellationTokenSource Cancel { get; } = new();

    public bool CancelRequested { get; private set; }

    /// <summary>A renewal found the token gone: another run owns the job (or it was recovered).</summary>
    public bool LeaseLost { get; private set; }

    /// <summary>The lease could not be confirmed in time: the run stopped itself before it could expire.</summary>
    public bool Fenced { get; private set; }

    public bool Holds => !LeaseLost && !Fenced && UntilFence > TimeSpan.Zero;

    /// <summary>Time left before the run must stop unless a renewal confirms the lease again.</summary>
    public TimeSpan UntilFence => _selfFenceAfter - Stopwatch.GetElapsedTime(Volatile.Read(ref _confirmedAt));

    /// <summary>Device time so far: from the claim's arrival to now, on the monotonic clock.</summary>
    public double DeviceSeconds => Stopwatch.GetElapsedTime(Job.ReceivedAt).TotalSeconds;

    /// <summary>A renewal sent at <paramref name="sentAt"/> succeeded.</summary>
    public void Confirm(long sentAt)
    {
        long seen;
        while ((seen = Volatile.Read(ref _confirmedAt)) < sentAt && Interlocked.CompareExchange(ref _confirmedAt, sentAt, seen) != seen)
        {
        }
    }

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

    public void Fence()
    {
        Fenced = true;
        Cancel.Cancel();
    }

    public void Dispose() => _fenceTimer.Dispose();

    /// <summary>
    /// The timer fired: fence the run unless a renewal confirmed the lease meanwhile, in which case the
    /// timer waits for the new deadline. Confirmations never re-arm it, so they cannot race a firing.
    /// </summary>
    private void FenceIfDue()
    {
        if (Fenced || LeaseLost)
            return;
        if (UntilFence <= TimeSpan.Zero)
            Fence();
        else
            Arm();
    }

    private void Arm()
    {
        try
        {
            var due = UntilFence;
            _fenceTimer.Change(due > TimeSpan.Zero ? due : TimeSpan.Zero, Timeout.InfiniteTimeSpan);
        }
        catch (ObjectDisposedException)
        {
            // The run ended.
        }
    }
}
