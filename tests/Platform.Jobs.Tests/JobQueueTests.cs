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
        Assert.Equal(2, second.Attempt);
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

        Assert.Equal("Queued", await Db.Queue.FailAttemptAsync(job, "CUDA out of memory"));
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

        Assert.Equal("Failed", state);
        var job = await Db.JobAsync(id);
        Assert.Equal("Failed", job.State);
        Assert.Contains("boom again", job.Error);
        Assert.Contains("2 attempts", job.Error);
        Assert.Null(await ClaimAsync());
    }

    [Fact]
    public async Task RecoverExpired_AtMaxAttempts_EndsFailedWithTheReason()
    {
        var id = await Db.EnqueueAsync(Db.TenantA, maxAttempts: 1);
        await ClaimAsync();
        await Db.ExpireLeaseAsync(id);

        await Db.Queue.RecoverExpiredAsync();

        var job = await Db.JobAsync(id);
        Assert.Equal("Failed", job.State);
        Assert.Contains("lease", job.Error);
    }

    [Fact]
    public async Task Release_GracefulShutdown_KeepsAttemptAndOpensNextSegment()
    {
        var id = await Db.EnqueueAsync(Db.TenantA);
        var first = (await ClaimAsync())!;

        Assert.Equal("Queued", await Db.Queue.ReleaseAsync(first));
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
