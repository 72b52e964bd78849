using Platform.Jobs.Queue;

namespace Platform.Jobs.Workers;

/// <summary>What a handler gets: the claimed job, a token that fires on cancel, shutdown or lost lease, and a reporter.</summary>
public sealed class JobContext(ClaimedJob job, CancellationToken cancellation, JobQueue queue)
{
    public ClaimedJob Job { get; } = job;

    public CancellationToken Cancellation { get; } = cancellation;

    /// <summary>Records progress and/or an event line. False when the lease was lost.</summary>
    public Task<bool> ReportAsync(string? progressJson, string? eventType = null, string? message = null,
        string? dataJson = null) =>
        queue.ReportAsync(Job, progressJson, eventType, message, dataJson, CancellationToken.None);
}
