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
    /// of when it expires, and it is where the run's device time starts.
    /// </summary>
    public long RequestedAt { get; init; } = Stopwatch.GetTimestamp();
}
