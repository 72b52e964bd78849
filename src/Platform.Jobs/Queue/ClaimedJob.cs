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
    string PayloadJson);
