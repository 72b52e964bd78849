using Platform.Domain.Common;
using Platform.Domain.Jobs;

namespace Platform.Domain.Tests.Jobs;

public class JobStateMachineTests
{
    private static readonly RetryLimits Limits = new(MaxAttempts: 3, MaxInterruptions: 20);

    [Theory]
    [InlineData(JobState.Queued, JobTrigger.Claim, JobState.Running)]
    [InlineData(JobState.Queued, JobTrigger.Cancel, JobState.Cancelled)]
    [InlineData(JobState.Running, JobTrigger.Succeed, JobState.Succeeded)]
    [InlineData(JobState.Running, JobTrigger.Fail, JobState.Queued)]
    [InlineData(JobState.Running, JobTrigger.Interrupt, JobState.Queued)]
    [InlineData(JobState.Running, JobTrigger.Release, JobState.Queued)]
    [InlineData(JobState.Running, JobTrigger.Cancel, JobState.Cancelled)]
    public void Apply_AllowedTransition_ReturnsNextState(JobState from, JobTrigger trigger, JobState expected)
    {
        var result = JobStateMachine.Apply(new JobStatus(from, 1), trigger, Limits);

        Assert.True(result.IsSuccess, result.Error);
        Assert.Equal(expected, result.Value.State);
    }

    [Fact]
    public void Apply_FailWithAttemptsLeft_QueuesTheNextAttempt()
    {
        var result = JobStateMachine.Apply(new JobStatus(JobState.Running, 2, Interruptions: 4), JobTrigger.Fail, Limits);

        Assert.Equal(new JobStatus(JobState.Queued, 3, 4), result.Value);
    }

    [Fact]
    public void Apply_FailAtLastAttempt_EndsFailed()
    {
        var result = JobStateMachine.Apply(new JobStatus(JobState.Running, 3), JobTrigger.Fail, Limits);

        Assert.Equal(new JobStatus(JobState.Failed, 3), result.Value);
    }

    [Fact]
    public void Apply_InterruptAtLastAttempt_KeepsTheAttemptAndCountsTheInterruption()
    {
        // Three killed workers used to fail a job of three attempts; now they cost none of them.
        var status = new JobStatus(JobState.Running, 3, Ran: true);
        for (var i = 0; i < 3; i++)
        {
            status = JobStateMachine.Apply(status, JobTrigger.Interrupt, Limits).Value;
            Assert.Equal(new JobStatus(JobState.Queued, 3, i + 1, Ran: true), status);
            status = JobStateMachine.Apply(status, JobTrigger.Claim, Limits).Value;
        }
    }

    [Fact]
    public void Apply_InterruptPastTheCap_EndsFailed()
    {
        var result = JobStateMachine.Apply(new JobStatus(JobState.Running, 1, Interruptions: 20), JobTrigger.Interrupt, Limits);

        Assert.Equal(new JobStatus(JobState.Failed, 1, 21), result.Value);
    }

    [Fact]
    public void Apply_Release_ChangesNeitherAttemptNorInterruptions()
    {
        var result = JobStateMachine.Apply(new JobStatus(JobState.Running, 2, 1), JobTrigger.Release, Limits);

        Assert.Equal(new JobStatus(JobState.Queued, 2, 1), result.Value);
    }

    [Theory]
    [InlineData(JobTrigger.Claim)]
    [InlineData(JobTrigger.Succeed)]
    public void Apply_ClaimThenSucceed_KeepsAttempt(JobTrigger trigger)
    {
        var running = JobStateMachine.Apply(new JobStatus(JobState.Queued, 2), JobTrigger.Claim, Limits).Value;
        var next = trigger == JobTrigger.Claim ? running : JobStateMachine.Apply(running, trigger, Limits).Value;

        Assert.Equal(2, next.Attempt);
    }

    [Fact]
    public void Apply_SucceedWhileQueuedAfterARun_IsTheLatestRunsLateCompletion()
    {
        var requeued = JobStateMachine.Apply(JobStateMachine.Apply(JobStatus.New, JobTrigger.Claim, Limits).Value,
            JobTrigger.Interrupt, Limits).Value;

        var done = JobStateMachine.Apply(requeued, JobTrigger.Succeed, Limits);

        Assert.True(done.IsSuccess, done.Error);
        Assert.Equal(JobState.Succeeded, done.Value.State);
    }

    [Theory]
    [InlineData(JobState.Queued, JobTrigger.Succeed)]
    [InlineData(JobState.Queued, JobTrigger.Fail)]
    [InlineData(JobState.Queued, JobTrigger.Interrupt)]
    [InlineData(JobState.Queued, JobTrigger.Release)]
    [InlineData(JobState.Running, JobTrigger.Claim)]
    public void Apply_ForbiddenTransition_ReturnsConflict(JobState from, JobTrigger trigger)
    {
        var result = JobStateMachine.Apply(new JobStatus(from, 1), trigger, Limits);

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
            Assert.False(JobStateMachine.Apply(new JobStatus(terminal, 1), trigger, Limits).IsSuccess, $"{terminal} + {trigger}");
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
