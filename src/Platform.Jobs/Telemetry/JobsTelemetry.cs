using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Platform.Jobs.Telemetry;

/// <summary>
/// The job system's traces and metrics. One trace per run: <c>job.claim</c> (the worker taking the job
/// from the queue), then <c>job.run</c> with <c>job.train</c> (the handler) and <c>job.complete</c> (its
/// end recorded, the slot's next job claimed) inside it. Static, as the runtime's own instruments are:
/// a process has one job system.
/// </summary>
internal static class JobsTelemetry
{
    public const string Name = "Platform.Jobs";

    public static readonly ActivitySource Activities = new(Name);

    private static readonly Meter Meter = new(Name);

    /// <summary>Jobs claimed from the queue (a claim by a completion included), by device kind.</summary>
    public static readonly Counter<long> Claims = Meter.CreateCounter<long>("platform.jobs.claims", unit: "{claim}",
        description: "Jobs claimed from the queue by workers");

    /// <summary>
    /// Leases lost: recovered by the sweep after they expired (<c>detected_by=sweep</c>), or found taken over by
    /// the run holding them (<c>detected_by=worker</c>).
    /// </summary>
    public static readonly Counter<long> LostLeases = Meter.CreateCounter<long>("platform.jobs.lost_leases", unit: "{lease}",
        description: "Job leases that expired or were taken over");

    /// <summary>How long a run's device worked on the job, by job kind and how the run ended.</summary>
    public static readonly Histogram<double> RunDuration = Meter.CreateHistogram<double>("platform.jobs.run.duration", unit: "s",
        description: "Duration of job runs, by kind and outcome");

    /// <summary>From a progress report made on the worker to its row committed in PostgreSQL.</summary>
    public static readonly Histogram<double> IngestLag = Meter.CreateHistogram<double>("platform.jobs.progress.ingest_lag", unit: "s",
        description: "Time from a job's progress report to its storage in the database");
}
