using System.Diagnostics;
using Platform.Jobs.Queue;

namespace Platform.Jobs.Workers;

/// <summary>
/// A run in progress on this worker: its cancellation, why it was cancelled, and what the worker knows
/// about its lease. The lease is known held until <see cref="WorkerOptions.EffectiveSelfFenceAfter"/>
/// after the last confirmation (the send time of the last renewal that succeeded, or of the claim),
/// which is well inside the lease the database granted after that moment (decision 0019).
/// </summary>
internal sealed class RunningJob(ClaimedJob job, TimeSpan selfFenceAfter)
{
    private long _confirmedAt = job.RequestedAt;

    public ClaimedJob Job { get; } = job;

    public CancellationTokenSource Cancel { get; } = new();

    public bool CancelRequested { get; private set; }

    /// <summary>A renewal found the token gone: another run owns the job (or it was recovered).</summary>
    public bool LeaseLost { get; private set; }

    /// <summary>The lease could not be confirmed in time: the run stopped itself before it could expire.</summary>
    public bool Fenced { get; private set; }

    public bool Holds => !LeaseLost && !Fenced && UntilFence > TimeSpan.Zero;

    /// <summary>Time left before the run must stop unless a renewal confirms the lease again.</summary>
    public TimeSpan UntilFence => selfFenceAfter - Stopwatch.GetElapsedTime(Volatile.Read(ref _confirmedAt));

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
}
