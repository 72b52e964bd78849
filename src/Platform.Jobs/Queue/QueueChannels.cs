namespace Platform.Jobs.Queue;

/// <summary>PostgreSQL NOTIFY channels the queue speaks on.</summary>
internal static class QueueChannels
{
    /// <summary>Work may be claimable: a job was enqueued, re-queued, or a tenant slot freed.</summary>
    public const string Work = "platform_jobs";

    /// <summary>A running job was asked to stop; the payload is the job id.</summary>
    public const string Cancel = "platform_job_cancel";

    /// <summary>A job's events or state changed; the payload is the job id (feeds the portal's SSE).</summary>
    public const string Events = "platform_job_events";
}
