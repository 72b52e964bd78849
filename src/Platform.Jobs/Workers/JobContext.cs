using Platform.Jobs.Metering;
using Platform.Jobs.Queue;

namespace Platform.Jobs.Workers;

/// <summary>
/// What a handler gets: the claimed job, a token that fires on cancel, shutdown, lost lease or
/// self-fence, a folder on the worker's own disk, and the run's reports (decision 0019).
/// </summary>
public sealed class JobContext
{
    private readonly Func<bool> _holdsLease;

    internal JobContext(ClaimedJob job, CancellationToken cancellation, JobQueue queue, RunReports reports, Func<bool> holdsLease,
        string localDirectory, WorkerSlot slot)
    {
        Slot = slot;
        Job = job;
        Cancellation = cancellation;
        Queue = queue;
        Reports = reports;
        _holdsLease = holdsLease;
        LocalDirectory = localDirectory;
    }

    public ClaimedJob Job { get; }

    /// <summary>
    /// This run's rank in its data-parallel gang and where the gang meets (decision 0044); null for a
    /// single-device run. Only rank 0 reports and checkpoints: what the other ranks post is dropped.
    /// </summary>
    public Platform.Training.Distributed.DistributedOptions? Distributed { get; internal set; }

    /// <summary>The slot the run holds: its device and its share of the cores.</summary>
    public WorkerSlot Slot { get; }

    public CancellationToken Cancellation { get; }

    /// <summary>
    /// Whether the run holds its lease as far as the worker can tell at this moment: a renewal (or the
    /// claim) confirmed it recently enough that it cannot have expired. Shared state is written only
    /// while this is true; otherwise it stays in <see cref="LocalDirectory"/> until ownership is re-checked.
    /// </summary>
    public bool HoldsLease => _holdsLease();

    /// <summary>This run's folder on the worker's own disk; removed once the run's end is recorded.</summary>
    public string LocalDirectory { get; }

    internal JobQueue Queue { get; }

    internal RunReports Reports { get; }

    /// <summary>A checkpoint the run saved locally and could not publish yet; the worker publishes it when it can.</summary>
    internal UnpublishedCheckpoint? Unpublished { get; set; }

    /// <summary>
    /// Queues progress and/or an event line; written in order, kept while the database is away.
    /// Returns at once: call it from a training thread.
    /// </summary>
    public void Post(string? progressJson, string? eventType = null, string? message = null, string? dataJson = null)
    {
        if (Job.Rank == 0)
            Reports.Post(new RunReport(DateTime.UtcNow, progressJson, eventType, message, dataJson));
    }

    /// <summary>Records progress and/or an event line now. False when another run has claimed the job.</summary>
    public Task<bool> ReportAsync(string? progressJson, string? eventType = null, string? message = null,
        string? dataJson = null) =>
        Queue.ReportAsync(Job, progressJson, eventType, message, dataJson, null, CancellationToken.None);
}
