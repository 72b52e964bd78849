namespace Platform.Domain.Jobs;

/// <summary>
/// A job's state, its attempt number (attempts count the job's own failures) and how many of its runs
/// infrastructure interrupted (those cost no attempt). <see cref="Ran"/>: the job has been claimed, so
/// a queued job's latest run (no claim has superseded it) may still complete it (decision 0019).
/// </summary>
public readonly record struct JobStatus(JobState State, int Attempt, int Interruptions = 0, bool Ran = false)
{
    public static JobStatus New => new(JobState.Queued, 1);

    public bool IsTerminal => State is JobState.Succeeded or JobState.Failed or JobState.Cancelled;
}

/// <summary>
/// How much a job may be retried: <see cref="MaxAttempts"/> for its own failures, and a generous
/// <see cref="MaxInterruptions"/> for infrastructure faults, there only so a job that can never run
/// (a poisoned worker pool) ends some day.
/// </summary>
public readonly record struct RetryLimits(int MaxAttempts, int MaxInterruptions);
