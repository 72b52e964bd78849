using Platform.Domain.Common;

namespace Platform.Domain.Jobs;

/// <summary>
/// The specification of how a job's state changes (DESIGN.md, "Job states"; decision 0035): Queued ->
/// Running -> Succeeded | Failed | Cancelled; Running -> Queued when the run ends without an outcome:
/// released (same attempt), interrupted by infrastructure (same attempt, one more interruption) or
/// failed with attempts left (next attempt); Queued -> Cancelled; Queued -> Succeeded when the latest
/// run completes before another claim. The SQL applies them (claim_job, complete_and_claim, end_run and
/// requeue_job, the cancel statement); Platform.Jobs.Tests/JobTransitionsTests checks it against this.
/// </summary>
public static class JobStateMachine
{
    public static Result<JobStatus> Apply(JobStatus current, JobTrigger trigger, RetryLimits limits)
    {
        JobStatus? next = (current.State, trigger) switch
        {
            (JobState.Queued, JobTrigger.Claim) => current with { State = JobState.Running, Ran = true },
            // The job's latest run completes after its lease ran out (an outage, a slow renewal) and
            // before another run claimed it: nobody else trained it, so its result stands (decision 0019).
            (JobState.Queued, JobTrigger.Succeed) when current.Ran => current with { State = JobState.Succeeded },
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
