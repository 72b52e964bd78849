namespace Platform.Domain.Jobs;

/// <summary>A job's state and attempt number; attempts count claims lost to dead workers.</summary>
public readonly record struct JobStatus(JobState State, int Attempt)
{
    public static JobStatus New => new(JobState.Queued, 1);

    public bool IsTerminal => State is JobState.Succeeded or JobState.Failed or JobState.Cancelled;
}
