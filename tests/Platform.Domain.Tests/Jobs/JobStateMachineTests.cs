using Platform.Domain.Common;
using Platform.Domain.Jobs;

namespace Platform.Domain.Tests.Jobs;

public class JobStateMachineTests
{
    [Theory]
    [InlineData(JobState.Queued, JobTrigger.Claim, JobState.Running)]
    [InlineData(JobState.Queued, JobTrigger.Cancel, JobState.Cancelled)]
    [InlineData(JobState.Running, JobTrigger.Succeed, JobState.Succeeded)]
    [InlineData(JobState.Running, JobTrigger.Fail, JobState.Failed)]
    [InlineData(JobState.Running, JobTrigger.Cancel, JobState.Cancelled)]
    [InlineData(JobState.Running, JobTrigger.LoseLease, JobState.Queued)]
    public void Apply_AllowedTransition_ReturnsNextState(JobState from, JobTrigger trigger, JobState expected)
    {
        var result = JobStateMachine.Apply(new JobStatus(from, 1), trigger);

        Assert.True(result.IsSuccess, result.Error);
        Assert.Equal(expected, result.Value.State);
    }

    [Fact]
    public void Apply_LostLease_IncrementsAttempt()
    {
        var result = JobStateMachine.Apply(new JobStatus(JobState.Running, 3), JobTrigger.LoseLease);

        Assert.Equal(new JobStatus(JobState.Queued, 4), result.Value);
    }

    [Theory]
    [InlineData(JobTrigger.Claim)]
    [InlineData(JobTrigger.Succeed)]
    [InlineData(JobTrigger.Fail)]
    public void Apply_ClaimThenFinish_KeepsAttempt(JobTrigger trigger)
    {
        var running = JobStateMachine.Apply(new JobStatus(JobState.Queued, 2), JobTrigger.Claim).Value;
        var next = trigger == JobTrigger.Claim ? running : JobStateMachine.Apply(running, trigger).Value;

        Assert.Equal(2, next.Attempt);
    }

    [Theory]
    [InlineData(JobState.Queued, JobTrigger.Succeed)]
    [InlineData(JobState.Queued, JobTrigger.Fail)]
    [InlineData(JobState.Queued, JobTrigger.LoseLease)]
    [InlineData(JobState.Running, JobTrigger.Claim)]
    public void Apply_ForbiddenTransition_ReturnsConflict(JobState from, JobTrigger trigger)
    {
        var result = JobStateMachine.Apply(new JobStatus(from, 1), trigger);

        Assert.Equal(ResultStatus.Conflict, result.Status);
        Assert.Contains(from.ToString().ToLowerInvariant(), result.Error);
    }

    [Theory]
    [InlineData(JobState.Succeeded)]
    [InlineData(JobState.Failed)]
    [InlineData(JobState.Cancelled)]
    public void Apply_TerminalState_RefusesEveryTrigger(JobState terminal)
    {
        foreach (var trigger in Enum.GetValues<JobTrigger>())
        {
            Assert.False(JobStateMachine.Apply(new JobStatus(terminal, 1), trigger).IsSuccess, $"{terminal} + {trigger}");
        }
        Assert.True(new JobStatus(terminal, 1).IsTerminal);
    }

    [Fact]
    public void New_Always_StartsQueuedAtFirstAttempt()
    {
        Assert.Equal(new JobStatus(JobState.Queued, 1), JobStatus.New);
        Assert.False(JobStatus.New.IsTerminal);
    }
}
