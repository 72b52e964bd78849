using Platform.Domain.Common;

namespace Platform.Domain.Jobs;

/// <summary>
/// The only way a job's state changes (DESIGN.md, "Job states"): Queued -> Running -> Succeeded |
/// Failed | Cancelled; Running -> Queued when the run ends without an outcome: released (same attempt),
/// interrupted by infrastructure (same attempt, one more interruption) or failed with attempts left
/// (next attempt); Queued -> Cancelled. The SQL that applies them (migrations/0040, requeue_job and
/// complete_and_claim) is checked against this in Platform.Jobs.Tests (JobTransitionsTests).
/// </summary>
public static class JobStateMachine
{
    public static Result<JobStatus> Apply(JobStatus current, JobTrigger trigger, RetryLimits limits)
    {
        JobStatus? next = (current.State, trigger) switch
        {
            (JobState.Queued, JobTrigger.Claim) => current with { State = JobState.Running },
            (JobState.Queued, JobTrigger.Cancel) => current with { State = JobState.Cancelled },
            (JobState.Running, JobTrigger.Succeed) => current with { State = JobState.Succeeded },
            (JobState.Running, JobTrigger.Fail) => current.Attempt < limits.MaxAttempts
                ? current with { State = JobState.Queued, Attempt = current.Attempt + 1 }
                : current with { State = JobState.Failed },
            (JobState.Running, JobTrigger.Interrupt) => current.Interruptions < limits.MaxInterruptions
                ? current with { State = JobState.Queued, Interruptions = current.Interruptions + 1 }
                : current with { State = JobState.Failed, Interruptions = current.Interruptions + 1 },
            (JobState.Running, JobTrigger.Release) => current with { State = JobState.Queued },
            (JobState.Running, JobTrigger.Cancel) => current with { State = JobState.Cancelled },
            _ => null,
        };
        return next is { } status
            ? Result<JobStatus>.Success(status)
            : Result<JobStatus>.Conflict($"A {current.State.ToString().ToLowerInvariant()} job cannot {Describe(trigger)}.");
    }

    private static string Describe(JobTrigger trigger) => trigger switch
    {
        JobTrigger.Claim => "be claimed",
        JobTrigger.Succeed => "succeed",
        JobTrigger.Fail => "fail",
        JobTrigger.Interrupt => "be interrupted",
        JobTrigger.Release => "be released",
        JobTrigger.Cancel => "be cancelled",
        _ => throw new ArgumentOutOfRangeException(nameof(trigger), trigger, null),
    };
}
