using Platform.Domain.Jobs;
using System.Collections.Concurrent;
using Platform.Jobs.Queue;

namespace Platform.Jobs.Tests;

public sealed class JobQueueTests : QueueTestBase
{
    [Fact]
    public async Task Claim_EmptyQueue_ReturnsNull()
    {
        Assert.Null(await ClaimAsync());
    }

    [Fact]
    public async Task Claim_TwoTenants_TenantWithFewerRunningJobsGoesFirst()
    {
        // Tenant A queued three jobs before tenant B queued any: age alone would run A's three first.
        for (var i = 0; i < 3; i++)
            await Db.EnqueueAsync(Db.TenantA, $"a{i}");
        await Db.EnqueueAsync(Db.TenantB, "b0");
        await Db.SetLimitAsync(Db.TenantA, 5);

        var first = await ClaimAsync();
        var second = await ClaimAsync();
        var third = await ClaimAsync();

        Assert.Equal(Db.TenantA, first!.TenantId);
        Assert.Equal(Db.TenantB, second!.TenantId);
        Assert.Equal(Db.TenantA, third!.TenantId);
    }

    [Fact]
    public async Task Claim_SameTenant_HigherPriorityThenOlderFirst()
    {
        var low = await Db.EnqueueAsync(Db.TenantA, "low", priority: 0);
        var high = await Db.EnqueueAsync(Db.TenantA, "high", priority: 5);
        var low2 = await Db.EnqueueAsync(Db.TenantA, "low2", priority: 0);
        await Db.SetLimitAsync(Db.TenantA, 5);

        Assert.Equal(high, (await ClaimAsync())!.JobId);
        Assert.Equal(low, (await ClaimAsync())!.JobId);
        Assert.Equal(low2, (await ClaimAsync())!.JobId);
    }

    [Fact]
    public async Task Claim_ConcurrentClaimers_NeverExceedTenantLimit()
    {
        await Db.SetLimitAsync(Db.TenantA, 2);
        for (var i = 0; i < 10; i++)
            await Db.EnqueueAsync(Db.TenantA, $"a{i}");

        var claims = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => Task.Run(ClaimAsync)));

        Assert.Equal(2, claims.Count(c => c is not null));
        Assert.Equal(2, await Db.Database.ScalarAsync<int>("SELECT running FROM tenant_job_limits"));
    }

    [Fact]
    public async Task Claim_ConcurrentWorkers_EachJobClaimedExactlyOnce()
    {
        await Db.SetLimitAsync(Db.TenantA, 1000);
        await Db.SetLimitAsync(Db.TenantB, 1000);
        var enqueued = new List<Guid>();
        for (var i = 0; i < 60; i++)
            enqueued.Add(await Db.EnqueueAsync(i % 2 == 0 ? Db.TenantA : Db.TenantB, $"j{i}"));

        var claimed = new ConcurrentBag<Guid>();
        await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Task.Run(async () =>
        {
            while (await ClaimAsync() is { } job)
                claimed.Add(job.JobId);
        })));

        Assert.Equal(enqueued.Order(), claimed.Order());
    }

    [Fact]
    public async Task Renew_AfterLeaseExpiredAndJobRecovered_IsLostAndOldHolderCannotComplete()
    {
        var id = await Db.EnqueueAsync(Db.TenantA);
        var first = (await ClaimAsync())!;
        await Db.ExpireLeaseAsync(id);

        Assert.Equal(1, await Db.Queue.RecoverExpiredAsync());
        var second = (await ClaimAsync())!;

        Assert.Equal(id, second.JobId);
        // A lost lease is an interruption: same attempt, the next segment.
        Assert.Equal((1, 2), (second.Attempt, second.Segment));
        Assert.NotEqual(first.LeaseToken, second.LeaseToken);
        Assert.Equal(LeaseRenewal.Lost, await Db.Queue.RenewAsync(first, Lease));
        Assert.False(await Db.Queue.CompleteAsync(first, JobOutcome.Succeeded));
        Assert.False(await Db.Queue.ReportAsync(first, """{"step":1}""", "log", "stale writer"));
        Assert.Equal("Running", (await Db.JobAsync(id)).State);

        Assert.Equal(LeaseRenewal.Held, await Db.Queue.RenewAsync(second, Lease));
        Assert.True(await Db.Queue.CompleteAsync(second, JobOutcome.Succeeded, """{"accuracy":0.9}"""));
        Assert.Equal("Succeeded", (await Db.JobAsync(id)).State);
        Assert.Equal(0, await Db.Database.ScalarAsync<int>("SELECT running FROM tenant_job_limits"));
    }

    [Fact]
    public async Task RecoverExpired_LeaseStillValid_LeavesJobAlone()
    {
        var id = await Db.EnqueueAsync(Db.TenantA);
        await ClaimAsync();

        Assert.Equal(0, await Db.Queue.RecoverExpiredAsync());
        Assert.Equal(("Running", 1, (string?)null), await Db.JobAsync(id));
    }

    [Fact]
    public async Task FailAttempt_BelowMaxAttempts_RequeuesAsNextAttempt()
    {
        var id = await Db.EnqueueAsync(Db.TenantA, maxAttempts: 2);
        var job = (await ClaimAsync())!;

        Assert.Equal(JobState.Queued, await Db.Queue.FailAttemptAsync(job, "CUDA out of memory"));
        var retry = (await ClaimAsync())!;

        Assert.Equal(id, retry.JobId);
        Assert.Equal(2, retry.Attempt);
        Assert.Equal(1, retry.Segment);
    }

    [Fact]
    public async Task FailAttempt_AtMaxAttempts_EndsFailedWithTheError()
    {
        var id = await Db.EnqueueAsync(Db.TenantA, maxAttempts: 2);
        await Db.Queue.FailAttemptAsync((await ClaimAsync())!, "boom");
        var state = await Db.Queue.FailAttemptAsync((await ClaimAsync())!, "boom again");

        Assert.Equal(JobState.Failed, state);
        var job = await Db.JobAsync(id);
        Assert.Equal("Failed", job.State);
        Assert.Contains("boom again", job.Error);
        Assert.Contains("2 attempts", job.Error);
        Assert.Null(await ClaimAsync());
    }

    [Fact]
    public async Task RecoverExpired_AtLastAttempt_RequeuesWithoutUsingAnAttempt()
    {
        var id = await Db.EnqueueAsync(Db.TenantA, maxAttempts: 1);
        await ClaimAsync();
        await Db.ExpireLeaseAsync(id);

        Assert.Equal(1, await Db.Queue.RecoverExpiredAsync());

        var job = await Db.JobRowAsync(id);
        Assert.Equal(("Queued", 1, 1), (job.State, job.Attempt, job.Interruptions));
        Assert.Null(job.Error);
        Assert.Contains("lease", job.LastInterruption);
        var retry = (await ClaimAsync())!;
        Assert.Equal((id, 1, 2), (retry.JobId, retry.Attempt, retry.Segment));
    }

    [Fact]
    public async Task Interrupt_PastMaxInterruptions_EndsFailedSayingSo()
    {
        var queue = new JobQueue(Db.Database.DataSource, RetryOptions.Immediate with { MaxInterruptions = 2 });
        var id = await Db.EnqueueAsync(Db.TenantA, maxAttempts: 3);

        Assert.Equal(JobState.Queued, await queue.InterruptAsync((await ClaimAsync())!, "the artifact store is read-only"));
        Assert.Equal(JobState.Queued, await queue.InterruptAsync((await ClaimAsync())!, "the artifact store is read-only"));
        Assert.Equal(JobState.Failed, await queue.InterruptAsync((await ClaimAsync())!, "the artifact store is read-only"));

        var job = await Db.JobRowAsync(id);
        Assert.Equal(("Failed", 1, 3), (job.State, job.Attempt, job.Interruptions));
        Assert.Contains("interrupted 3 times by infrastructure", job.Error);
        Assert.Contains("read-only", job.Error);
    }

    [Theory]
    [InlineData(RunEnding.Interrupted)]
    [InlineData(RunEnding.Failed)]
    public async Task EndRun_InterruptedOrFailed_WaitsOutABackOffBeforeTheNextClaim(RunEnding how)
    {
        var queue = new JobQueue(Db.Database.DataSource, new RetryOptions { Backoff = TimeSpan.FromMinutes(10), BackoffCap = TimeSpan.FromHours(1) });
        var id = await Db.EnqueueAsync(Db.TenantA);
        var run = (await ClaimAsync())!;

        Assert.Equal(JobState.Queued, (await queue.EndRunAsync(run, how, "the database went away")).State);

        Assert.Null(await ClaimAsync());
        // First retry: 10 minutes, jittered to between half of it and all of it.
        var wait = await Db.Database.ScalarAsync<double>(
            $"SELECT extract(epoch FROM available_at - now())::float8 FROM job_queue WHERE job_id = '{id}'");
        Assert.InRange(wait, 299, 600);
        Assert.Equal(DateTimeOffset.UtcNow.AddSeconds(wait), (await queue.NextAvailableAsync())!.Value, TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Release_NeverWaits()
    {
        var queue = new JobQueue(Db.Database.DataSource, new RetryOptions { Backoff = TimeSpan.FromMinutes(10) });
        var id = await Db.EnqueueAsync(Db.TenantA);

        Assert.Equal(JobState.Queued, await queue.ReleaseAsync((await ClaimAsync())!));

        Assert.Equal(id, (await ClaimAsync())!.JobId);
    }

    [Fact]
    public async Task Complete_AfterAFailedAttempt_SucceededJobKeepsNoError()
    {
        var id = await Db.EnqueueAsync(Db.TenantA);
        await Db.Queue.FailAttemptAsync((await ClaimAsync())!, "CUDA out of memory");
        Assert.Contains("out of memory", (await Db.JobAsync(id)).Error);

        Assert.True(await Db.Queue.CompleteAsync((await ClaimAsync())!, JobOutcome.Succeeded));

        Assert.Equal(("Succeeded", 2, (string?)null), await Db.JobAsync(id));
    }

    [Fact]
    public async Task Complete_LeaseExpiredAndRecoveredButNobodyClaimedSince_CompletesTheJob()
    {
        // The worker finished while the database was away; by the time it could say so its lease had
        // been recovered, but no other run has started: its result is the job's result.
        var id = await Db.EnqueueAsync(Db.TenantA);
        var run = (await ClaimAsync())!;
        await Db.ExpireLeaseAsync(id);
        await Db.Queue.RecoverExpiredAsync();

        Assert.True(await Db.Queue.CompleteAsync(run, JobOutcome.Succeeded, """{"by":"first"}"""));

        Assert.Equal("Succeeded", (await Db.JobAsync(id)).State);
        Assert.Null(await ClaimAsync());
        Assert.Equal(0, await Db.Database.ScalarAsync<int>("SELECT running FROM tenant_job_limits"));
        Assert.True((await Db.SegmentRowsAsync(id)).Single().Closed);
    }

    [Fact]
    public async Task Release_GracefulShutdown_KeepsAttemptAndOpensNextSegment()
    {
        var id = await Db.EnqueueAsync(Db.TenantA);
        var first = (await ClaimAsync())!;

        Assert.Equal(JobState.Queued, await Db.Queue.ReleaseAsync(first));
        var second = (await ClaimAsync())!;

        Assert.Equal(id, second.JobId);
        Assert.Equal(1, second.Attempt);
        Assert.Equal(2, second.Segment);
    }

    [Fact]
    public async Task Cancel_QueuedJob_IsCancelledAtOnce()
    {
        var id = await Db.EnqueueAsync(Db.TenantA);

        Assert.Equal(CancelResult.Cancelled, await Db.Queue.CancelAsync(Db.TenantA, id));
        Assert.Equal("Cancelled", (await Db.JobAsync(id)).State);
        Assert.Null(await ClaimAsync());
    }

    [Fact]
    public async Task Cancel_RunningJob_IsFlaggedAndTheHolderLearnsAtRenewal()
    {
        var id = await Db.EnqueueAsync(Db.TenantA);
        var job = (await ClaimAsync())!;

        Assert.Equal(CancelResult.Requested, await Db.Queue.CancelAsync(Db.TenantA, id));
        Assert.Equal(LeaseRenewal.CancelRequested, await Db.Queue.RenewAsync(job, Lease));
        Assert.True(await Db.Queue.CompleteAsync(job, JobOutcome.Cancelled));
        Assert.Equal("Cancelled", (await Db.JobAsync(id)).State);
    }

    [Fact]
    public async Task Cancel_AnotherTenantsJob_IsNotCancellable()
    {
        var id = await Db.EnqueueAsync(Db.TenantA);

        Assert.Equal(CancelResult.NotCancellable, await Db.Queue.CancelAsync(Db.TenantB, id));
        Assert.Equal("Queued", (await Db.JobAsync(id)).State);
    }

    [Fact]
    public async Task Requeue_CancelRequestedWhileLeaseExpired_EndsCancelledNotRetried()
    {
        var id = await Db.EnqueueAsync(Db.TenantA);
        await ClaimAsync();
        await Db.Queue.CancelAsync(Db.TenantA, id);
        await Db.ExpireLeaseAsync(id);

        await Db.Queue.RecoverExpiredAsync();

        Assert.Equal("Cancelled", (await Db.JobAsync(id)).State);
    }
}
