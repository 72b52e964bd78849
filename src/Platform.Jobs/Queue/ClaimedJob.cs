using System.Diagnostics;

namespace Platform.Jobs.Queue;

/// <summary>
/// A job a worker holds. <see cref="LeaseToken"/> fences every later write: once the lease is lost
/// the token no longer matches and the old holder's renewals and completions change nothing.
/// </summary>
public sealed record ClaimedJob(
    Guid JobId,
    Guid TenantId,
    string Kind,
    int Attempt,
    int Segment,
    Guid LeaseToken,
    string PayloadJson)
{
    /// <summary>
    /// When the claim was sent (<see cref="Stopwatch.GetTimestamp"/> on this machine). The lease
    /// started at the database after this moment, so "lease length after this" is a safe lower bound
    /// of when it expires.
    /// </summary>
    public long RequestedAt { get; init; } = Stopwatch.GetTimestamp();

    /// <summary>
    /// When the claim's answer arrived: the device starts working on the job here, so the run's device
    /// time counts from this moment. Not from <see cref="RequestedAt"/>: the claim's round trip
    /// (a connection opened after an outage, on a busy machine) measured up to 2 s, and the device did
    /// nothing for the job then. The segment starts here too: the run's end reports its device time,
    /// and the database starts the segment that long before the device's stop (migration 0220).
    /// </summary>
    public long ReceivedAt { get; init; } = Stopwatch.GetTimestamp();

    /// <summary>
    /// This run's rank in its job's gang (decision 0044): 0 for the run that holds the job's queue row
    /// (every single-device run), 1..<see cref="WorldSize"/>-1 for the other ranks of a data-parallel job.
    /// </summary>
    public int Rank { get; init; }

    /// <summary>How many ranks (devices) the job's gang runs on; 1 for a single-device job.</summary>
    public int WorldSize { get; init; } = 1;
}
