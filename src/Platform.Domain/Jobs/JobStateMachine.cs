using Platform.Domain.Common;

namespace Platform.Domain.Jobs;

/// <summary>
/// The only way a job's state changes (DESIGN.md, "Job states"): Queued -> Running -> Succeeded |
/// Failed | Cancelled, Running -> Queued on a lost lease (next attempt, resumed from the checkpoint),
/// Queued -> Cancelled.
/// </summary>
public static class JobStateMachine
{
    public static Result<JobStatus> Apply(JobStatus current, JobTrigger trigger)
    {
        JobStatus? next = (current.State, trigger) switch
        {
            (JobState.Queued, JobTrigger.Claim) => current with { State = JobState.Running },
            (JobState.Queued, JobTrigger.Cancel) => current with { State = JobState.Cancelled },
            (JobState.Running, JobTrigger.Succeed) => current with { State = JobState.Succeeded },
            (JobState.Running, JobTrigger.Fail) => current with { State = JobState.Failed },
            (JobState.Running, JobTrigger.Cancel) => current with { State = JobState.Cancelled },
            (JobState.Running, JobTrigger.LoseLease) => new JobStatus(JobState.Queued, current.Attempt + 1),
            _ => null,
        };
        return next is { } status
            ? Result<JobStatus>.Success(status)
            : Result<JobStatus>.Conflict($"A {current.State.ToString().ToLowerInvariant()} job cannot {Describe(trigger)}.");
    }

    public static bool CanApply(JobState state, JobTrigger trigger) =>
        Apply(new JobStatus(state, 1), trigger).IsSuccess;

    private static string Describe(JobTrigger trigger) => trigger switch
    {
        JobTrigger.Claim => "be claimed",
        JobTrigger.Succeed => "succeed",
        JobTrigger.Fail => "fail",
        JobTrigger.Cancel => "be cancelled",
        JobTrigger.LoseLease => "lose its lease",
        _ => throw new ArgumentOutOfRangeException(nameof(trigger), trigger, null),
    };
}
