using System.Collections.Concurrent;
using Platform.Jobs.Queue;

namespace Platform.Jobs.Tests;

public sealed class JobQueueTests : IAsyncLifetime
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);
    private QueueDatabase _db = null!;
    private Guid _worker;

    public async Task InitializeAsync()
    {
        _db = await QueueDatabase.CreateAsync();
        _worker = await _db.RegisterWorkerAsync();
    }

    public async Task DisposeAsync() => await _db.DisposeAsync();

    private Task<ClaimedJob?> ClaimAsync() => _db.Queue.ClaimAsync(_worker, Lease, "cpu");

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
            await _db.EnqueueAsync(_db.TenantA, $"a{i}");
        await _db.EnqueueAsync(_db.TenantB, "b0");
        await _db.SetLimitAsync(_db.TenantA, 5);

        var first = await ClaimAsync();
        var second = await ClaimAsync();
        var third = await ClaimAsync();

        Assert.Equal(_db.TenantA, first!.TenantId);
        Assert.Equal(_db.TenantB, second!.TenantId);
        Assert.Equal(_db.TenantA, third!.TenantId);
    }

    [Fact]
    public async Task Claim_SameTenant_HigherPriorityThenOlderFirst()
    {
        var low = await _db.EnqueueAsync(_db.TenantA, "low", priority: 0);
        var high = await _db.EnqueueAsync(_db.TenantA, "high", priority: 5);
        var low2 = await _db.EnqueueAsync(_db.TenantA, "low2", priority: 0);
        await _db.SetLimitAsync(_db.TenantA, 5);

        Assert.Equal(high, (await ClaimAsync())!.JobId);
        Assert.Equal(low, (await ClaimAsync())!.JobId);
        Assert.Equal(low2, (await ClaimAsync())!.JobId);
    }

    [Fact]
    public async Task Claim_ConcurrentClaimers_NeverExceedTenantLimit()
    {
        await _db.SetLimitAsync(_db.TenantA, 2);
        for (var i = 0; i < 10; i++)
            await _db.EnqueueAsync(_db.TenantA, $"a{i}");

        var claims = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => Task.Run(ClaimAsync)));

        Assert.Equal(2, claims.Count(c => c is not null));
        Assert.Equal(2, await _db.Database.ScalarAsync<int>("SELECT running FROM tenant_job_limits"));
    }

    [Fact]
    public async Task Claim_ConcurrentWorkers_EachJobClaimedExactlyOnce()
    {
        await _db.SetLimitAsync(_db.TenantA, 1000);
        await _db.SetLimitAsync(_db.TenantB, 1000);
        var enqueued = new List<Guid>();
        for (var i = 0; i < 60; i++)
            enqueued.Add(await _db.EnqueueAsync(i % 2 == 0 ? _db.TenantA : _db.TenantB, $"j{i}"));

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
        var id = await _db.EnqueueAsync(_db.TenantA);
        var first = (await ClaimAsync())!;
        await _db.ExpireLeaseAsync(id);

        Assert.Equal(1, await _db.Queue.RecoverExpiredAsync());
        var second = (await ClaimAsync())!;

        Assert.Equal(id, second.JobId);
        Assert.Equal(2, second.Attempt);
        Assert.NotEqual(first.LeaseToken, second.LeaseToken);
        Assert.Equal(LeaseRenewal.Lost, await _db.Queue.RenewAsync(first, Lease));
        Assert.False(await _db.Queue.CompleteAsync(first, JobOutcome.Succeeded));
        Assert.False(await _db.Queue.ReportAsync(first, """{"step":1}""", "log", "stale writer"));
        Assert.Equal("Running", (await _db.JobAsync(id)).State);

        Assert.Equal(LeaseRenewal.Held, await _db.Queue.RenewAsync(second, Lease));
        Assert.True(await _db.Queue.CompleteAsync(second, JobOutcome.Succeeded, """{"accuracy":0.9}"""));
        Assert.Equal("Succeeded", (await _db.JobAsync(id)).State);
        Assert.Equal(0, await _db.Database.ScalarAsync<int>("SELECT running FROM tenant_job_limits"));
    }

    [Fact]
    public async Task RecoverExpired_LeaseStillValid_LeavesJobAlone()
    {
        var id = await _db.EnqueueAsync(_db.TenantA);
        await ClaimAsync();

        Assert.Equal(0, await _db.Queue.RecoverExpiredAsync());
        Assert.Equal(("Running", 1, (string?)null), await _db.JobAsync(id));
    }

    [Fact]
    public async Task FailAttempt_BelowMaxAttempts_RequeuesAsNextAttempt()
    {
        var id = await _db.EnqueueAsync(_db.TenantA, maxAttempts: 2);
        var job = (await ClaimAsync())!;

        Assert.Equal("Queued", await _db.Queue.FailAttemptAsync(job, "CUDA out of memory"));
        var retry = (await ClaimAsync())!;

        Assert.Equal(id, retry.JobId);
        Assert.Equal(2, retry.Attempt);
        Assert.Equal(1, retry.Segment);
    }

    [Fact]
    public async Task FailAttempt_AtMaxAttempts_EndsFailedWithTheError()
    {
        var id = await _db.EnqueueAsync(_db.TenantA, maxAttempts: 2);
        await _db.Queue.FailAttemptAsync((await ClaimAsync())!, "boom");
        var state = await _db.Queue.FailAttemptAsync((await ClaimAsync())!, "boom again");

        Assert.Equal("Failed", state);
        var job = await _db.JobAsync(id);
        Assert.Equal("Failed", job.State);
        Assert.Contains("boom again", job.Error);
        Assert.Contains("2 attempts", job.Error);
        Assert.Null(await ClaimAsync());
    }

    [Fact]
    public async Task RecoverExpired_AtMaxAttempts_EndsFailedWithTheReason()
    {
        var id = await _db.EnqueueAsync(_db.TenantA, maxAttempts: 1);
        await ClaimAsync();
        await _db.ExpireLeaseAsync(id);

        await _db.Queue.RecoverExpiredAsync();

        var job = await _db.JobAsync(id);
        Assert.Equal("Failed", job.State);
        Assert.Contains("lease", job.Error);
    }

    [Fact]
    public async Task Release_GracefulShutdown_KeepsAttemptAndOpensNextSegment()
    {
        var id = await _db.EnqueueAsync(_db.TenantA);
        var first = (await ClaimAsync())!;

        Assert.Equal("Queued", await _db.Queue.ReleaseAsync(first));
        var second = (await ClaimAsync())!;

        Assert.Equal(id, second.JobId);
        Assert.Equal(1, second.Attempt);
        Assert.Equal(2, second.Segment);
    }

    [Fact]
    public async Task Cancel_QueuedJob_IsCancelledAtOnce()
    {
        var id = await _db.EnqueueAsync(_db.TenantA);

        Assert.Equal(CancelResult.Cancelled, await _db.Queue.CancelAsync(_db.TenantA, id));
        Assert.Equal("Cancelled", (await _db.JobAsync(id)).State);
        Assert.Null(await ClaimAsync());
    }

    [Fact]
    public async Task Cancel_RunningJob_IsFlaggedAndTheHolderLearnsAtRenewal()
    {
        var id = await _db.EnqueueAsync(_db.TenantA);
        var job = (await ClaimAsync())!;

        Assert.Equal(CancelResult.Requested, await _db.Queue.CancelAsync(_db.TenantA, id));
        Assert.Equal(LeaseRenewal.CancelRequested, await _db.Queue.RenewAsync(job, Lease));
        Assert.True(await _db.Queue.CompleteAsync(job, JobOutcome.Cancelled));
        Assert.Equal("Cancelled", (await _db.JobAsync(id)).State);
    }

    [Fact]
    public async Task Cancel_AnotherTenantsJob_IsNotCancellable()
    {
        var id = await _db.EnqueueAsync(_db.TenantA);

        Assert.Equal(CancelResult.NotCancellable, await _db.Queue.CancelAsync(_db.TenantB, id));
        Assert.Equal("Queued", (await _db.JobAsync(id)).State);
    }

    [Fact]
    public async Task Requeue_CancelRequestedWhileLeaseExpired_EndsCancelledNotRetried()
    {
        var id = await _db.EnqueueAsync(_db.TenantA);
        await ClaimAsync();
        await _db.Queue.CancelAsync(_db.TenantA, id);
        await _db.ExpireLeaseAsync(id);

        await _db.Queue.RecoverExpiredAsync();

        Assert.Equal("Cancelled", (await _db.JobAsync(id)).State);
    }
}
