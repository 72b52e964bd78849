using Platform.Domain.Jobs;

namespace Platform.Jobs.Portal;

/// <summary>
/// A job as lists and pages show it. Progress and Result are the worker's JSON, as stored. Error is the
/// job's own (it used an attempt); Interruptions counts runs lost to infrastructure, which used none
/// (decision 0019), and LastInterruption is the reason the latest of them gave. Devices is what the job
/// asked for; RunningDevices what its run holds now (null when not running): fewer when a data-parallel
/// gang resumed on the slots that were free (migration 0266).
/// </summary>
public sealed record JobView(
    Guid Id,
    string Name,
    string Kind,
    string State,
    int Attempt,
    int MaxAttempts,
    string? ProgressJson,
    string? ResultJson,
    string? Error,
    bool CancelRequested,
    DateTimeOffset CreatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    string PayloadJson,
    int Interruptions = 0,
    string? LastInterruption = null,
    int Devices = 1,
    int? RunningDevices = null)
{
    /// <summary>The state as the domain names it (<see cref="State"/> is its name, as stored and as the pages bind it).</summary>
    public JobState Status => Enum.Parse<JobState>(State);

    public bool IsActive => Status is JobState.Queued or JobState.Running;
}

/// <summary>One line of a job's event log; Id orders them and lets a stream resume after the last seen.</summary>
public sealed record JobEventView(long Id, DateTimeOffset At, string Type, string Message, string? DataJson);

/// <summary>A point of a job's training-loss curve: the mean loss of the steps up to Step.</summary>
public sealed record LossPointView(long Step, long TotalSteps, double Loss);
