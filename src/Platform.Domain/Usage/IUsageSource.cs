namespace Platform.Domain.Usage;

/// <summary>
/// Where billing reads metered usage from (the job system implements it). Only closed segments are
/// returned: an open one still grows with every lease renewal.
/// </summary>
public interface IUsageSource
{
    /// <summary>Closed segments whose end falls in [from, to), optionally for one tenant, oldest first.</summary>
    Task<IReadOnlyList<UsageSegment>> ClosedSegmentsAsync(DateTimeOffset from, DateTimeOffset to, Guid? tenantId = null,
        CancellationToken cancellationToken = default);
}
