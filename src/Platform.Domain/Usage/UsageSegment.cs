namespace Platform.Domain.Usage;

/// <summary>
/// One metered run of a job on one worker: the unit billing counts. (JobId, Attempt, Segment) is its
/// idempotency key; Seconds are whole seconds of the closed interval, rounded down, so replaying a
/// segment never adds time and partial seconds are never billed.
/// </summary>
public sealed record UsageSegment(
    Guid TenantId,
    Guid JobId,
    int Attempt,
    int Segment,
    Guid WorkerId,
    string DeviceKind,
    DateTimeOffset StartedAt,
    DateTimeOffset EndedAt)
{
    public string IdempotencyKey => $"{JobId:N}:{Attempt}:{Segment}";

    public long Seconds => Math.Max(0, (long)Math.Floor((EndedAt - StartedAt).TotalSeconds));
}
