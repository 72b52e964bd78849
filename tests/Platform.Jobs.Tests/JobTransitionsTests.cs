using Platform.Domain.Jobs;
using Platform.Jobs.Queue;

namespace Platform.Jobs.Tests;

/// <summary>
/// The SQL that moves jobs (claim_job, complete, end_run/requeue_job, cancel) is the state machine
/// in Platform.Domain (decision 0035): from every state the machine can reach, every trigger is applied
/// through the real queue, and the job's row must land where <see cref="JobStateMachine.Apply"/> says,
/// or stay put where it refuses.
/// </summary>
public sealed class JobTransitionsTests : IAsyncLifetime
{
    private static readonly RetryLimits Limits = new(MaxAttempts: 2, MaxInterruptions: 2);
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);

    // Every path to a distinct status, the limits' edges included (the last attempt, the last interruption).
    private static readonly JobTrigger[][] Paths =
    [
        [],
        [JobTrigger.Claim],
        [JobTrigger.Claim, JobTrigger.Fail],
        [JobTrigger.Claim, JobTrigger.Fail, JobTrigger.Claim],
        [JobTrigger.Claim, JobTrigger.Interrupt],
        [JobTrigger.Claim, JobTrigger.Interrupt, JobTrigger.Claim],
        [JobTrigger.Claim, JobTrigger.Interrupt, JobTrigger.Claim, JobTrigger.Interrupt, JobTrigger.Claim],
        [JobTrigger.Claim, JobTrigger.Release],
        [JobTrigger.Claim, JobTrigger.Succeed],
        [JobTrigger.Claim, JobTrigger.Fail, JobTrigger.Claim, JobTrigger.Fail],
        [JobTrigger.Claim, JobTrigger.Interrupt, JobTrigger.Claim, JobTrigger.Interrupt, JobTrigger.Claim, JobTrigger.Interrupt],
        [JobTrigger.Cancel],
        [JobTrigger.Claim, JobTrigger.Cancel],
    ];

    private QueueDatabase _db = null!;
    private JobQueue _queue = null!;
    private Guid _worker;

    public async Task InitializeAsync()
    {
        _db = await QueueDatabase.CreateAsync();
        _queue = new JobQueue(_db.Database.DataSource, RetryOptions.Immediate with { MaxInterruptions = Limits.MaxInterruptions });
        _worker = await _db.RegisterWorkerAsync();
    }

    public async Task DisposeAsync() => await _db.DisposeAsync();

    [Fact]
    public async Task EveryTriggerFromEveryReachableState_SqlLandsWhereTheStateMachineSays()
    {
        var mismatches = new List<string>();
        foreach (var path in Paths)
        {
            foreach (var trigger in Enum.GetValues<JobTrigger>())
            {
                var (job, run) = await ReachAsync(path);
                var before = await StatusAsync(job);
                var expected = JobStateMachine.Apply(before, trigger, Limits);

                run = await ApplyAsync(job, run, trigger);

                var after = await StatusAsync(job);
                var want = expected.IsSuccess ? expected.Value : before;
                // Ran is what the database can tell only while the job is queued (its queue row goes when it ends).
                if ((after.State, after.Attempt, after.Interruptions) != (want.State, want.Attempt, want.Interruptions))
                    mismatches.Add($"{Describe(path)} then {trigger}: SQL {after}, state machine {(expected.IsSuccess ? want : "refuses, so " + want)}");
                await RetireAsync(job, run);
            }
        }
        Assert.True(mismatches.Count == 0, string.Join("\n", mismatches));
    }

    [Fact]
    public async Task StatesInTheDatabase_AreTheEnumsNames()
    {
        var allowed = await _db.Database.ScalarAsync<string>("""
            SELECT string_agg(pg_get_constraintdef(oid), ' ') FROM pg_constraint
            WHERE conrelid = 'jobs'::regclass AND contype = 'c' AND pg_get_constraintdef(oid) LIKE '%(state)::text%'
            """);

        var names = System.Text.RegularExpressions.Regex.Matches(allowed, "'([A-Za-z]+)'").Select(m => m.Groups[1].Value).Order();
        Assert.Equal(Enum.GetNames<JobState>().Order(), names);
    }

    private async Task<(Guid Job, ClaimedJob Run)> ReachAsync(JobTrigger[] path)
    {
        var job = await _db.EnqueueAsync(_db.TenantA, maxAttempts: Limits.MaxAttempts);
        var run = NoRun(job);
        foreach (var step in path)
        {
            var before = await StatusAsync(job);
            run = await ApplyAsync(job, run, step);
            // A path is only a way to get somewhere: each of its steps must be one the SQL takes as the machine does.
            var want = JobStateMachine.Apply(before, step, Limits).Value;
            var got = await StatusAsync(job);
            Assert.Equal((want.State, want.Attempt, want.Interruptions), (got.State, got.Attempt, got.Interruptions));
        }
        return (job, run);
    }

    /// <summary>Applies a trigger the way the platform does; returns the run that holds the job afterwards.</summary>
    private async Task<ClaimedJob> ApplyAsync(Guid job, ClaimedJob run, JobTrigger trigger)
    {
        switch (trigger)
        {
            case JobTrigger.Claim:
                var claimed = await _queue.ClaimAsync(_worker, Lease, "cpu");
                Assert.True(claimed is null || claimed.JobId == job, "only the job under test is ever claimable");
                return claimed ?? run;
            case JobTrigger.Succeed:
                await _queue.CompleteAsync(run, JobOutcome.Succeeded);
                return run;
            case JobTrigger.Fail:
                await _queue.FailAttemptAsync(run, "the job's own error");
                return run;
            case JobTrigger.Interrupt:
                await _queue.InterruptAsync(run, "the worker lost the database");
                return run;
            case JobTrigger.Release:
                await _queue.ReleaseAsync(run);
                return run;
            case JobTrigger.Cancel:
                // A running job is flagged; its worker sees the flag at its next step and ends the run cancelled.
                if (await _queue.CancelAsync(_db.TenantA, job) == CancelResult.Requested)
                    await _queue.CompleteAsync(run, JobOutcome.Cancelled);
                return run;
            default:
                throw new ArgumentOutOfRangeException(nameof(trigger), trigger, null);
        }
    }

    /// <summary>Ends a job left queued or running, so the next one is the only claimable job and the tenant's running count is free.</summary>
    private async Task RetireAsync(Guid job, ClaimedJob run)
    {
        var status = await StatusAsync(job);
        if (status.State == JobState.Queued)
            Assert.Equal(CancelResult.Cancelled, await _queue.CancelAsync(_db.TenantA, job));
        else if (status.State == JobState.Running)
            Assert.True(await _queue.CompleteAsync(run, JobOutcome.Succeeded));
    }

    /// <summary>A stand-in for "no run holds this job": a token no claim made.</summary>
    private static ClaimedJob NoRun(Guid job) => new(job, Guid.Empty, "noop", 1, 0, Guid.NewGuid(), "{}");

    private async Task<JobStatus> StatusAsync(Guid job)
    {
        var row = await _db.JobRowAsync(job);
        // A claim leaves its token in job_queue.last_token until the next claim: the mark of a job that ran.
        var ran = await _db.Database.ScalarAsync<bool>($"SELECT EXISTS (SELECT 1 FROM job_queue WHERE job_id = '{job}' AND last_token IS NOT NULL)");
        return new JobStatus(Enum.Parse<JobState>(row.State), row.Attempt, row.Interruptions, ran);
    }

    private static string Describe(JobTrigger[] path) => path.Length == 0 ? "New" : "New, " + string.Join(", ", path);
}
