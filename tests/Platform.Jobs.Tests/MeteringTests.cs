using Platform.Jobs.Queue;

namespace Platform.Jobs.Tests;

public sealed class MeteringTests : QueueTestBase
{
    [Fact]
    public async Task Segment_WorkerDiesAfterRenewal_WaitsForItsReportThenEndsAtLastRenewal()
    {
        var id = await Db.EnqueueAsync(Db.TenantA);
        var first = (await Db.Queue.ClaimAsync(Worker, Lease, "cpu"))!;
        await Task.Delay(300);
        await Db.Queue.RenewAsync(first, Lease);
        var lastRenewal = (await Db.SegmentsAsync(id)).Single().End;
        await Task.Delay(300);

        // The worker "dies": no more renewals; its lease runs out and another worker recovers the job.
        await Db.ExpireLeaseAsync(id);
        await Db.Queue.RecoverExpiredAsync();
        var second = (await Db.Queue.ClaimAsync(Worker, Lease, "cpu"))!;
        await Db.Queue.CompleteAsync(second, JobOutcome.Succeeded);

        // The first segment waits for its worker to say when its device stopped...
        var segments = await Db.SegmentRowsAsync(id);
        Assert.Equal([(1, 1, false), (1, 2, true)], segments.Select(s => (s.Attempt, s.Segment, s.Closed)));
        Assert.NotNull(segments[0].LostAt);
        // ...until the report grace has passed: then it ends at its last renewal, never later.
        await new JobQueue(Db.Database.DataSource, RetryOptions.Immediate with { ReportGrace = TimeSpan.Zero }).RecoverExpiredAsync();
        var closed = (await Db.SegmentRowsAsync(id))[0];
        Assert.Equal((true, lastRenewal, "renewal"), (closed.Closed, closed.End, closed.EndSource));
        Assert.True(segments[1].Start >= closed.End, "segments of one job never overlap");
    }

    [Fact]
    public async Task Segment_LateReportAfterRecovery_EndsWhenTheDeviceStoppedAndNoSecondIsCountedTwice()
    {
        // The database was away longer than the lease: the worker trained on, stopped itself before the
        // lease could expire, and reports when the database is back, after the recovery.
        var id = await Db.EnqueueAsync(Db.TenantA);
        var run = (await Db.Queue.ClaimAsync(Worker, Lease, "cpu"))!;
        await Db.Database.ScalarAsync<int>($"""
            WITH u AS (UPDATE usage_segments SET started_at = now() - interval '100 seconds', ended_at = now() - interval '90 seconds'
                       WHERE job_id = '{id}' RETURNING 1),
                 q AS (UPDATE job_queue SET lease_expires_at = now() - interval '60 seconds' WHERE job_id = '{id}' RETURNING 1)
            SELECT count(*)::int FROM u
            """);
        await Db.Queue.RecoverExpiredAsync();
        var next = (await Db.Queue.ClaimAsync(Worker, Lease, "cpu"))!;

        // The device stopped 70 s ago (20 s of training after the last renewal, 10 s before the lease ran out).
        var ended = await Db.Queue.EndRunAsync(run, RunEnding.Interrupted, "lost the database",
            new DeviceStop(DateTime.UtcNow.AddSeconds(-70), DeviceSeconds: 30));

        Assert.Equal(new RunEnded(null, Metered: true), ended);
        var segments = await Db.SegmentRowsAsync(id);
        Assert.Equal(30, segments[0].Seconds, 0.5);
        Assert.Equal((true, 30.0, "worker"), (segments[0].Closed, segments[0].DeviceSeconds, segments[0].EndSource));
        Assert.True(segments[1].Start >= segments[0].End, "no second is counted twice");
        // The run no longer held the job: the late report changed nothing else.
        Assert.Equal(LeaseRenewal.Held, await Db.Queue.RenewAsync(next, Lease));
        Assert.Equal(1, (await Db.JobRowAsync(id)).Interruptions);
    }

    [Fact]
    public async Task Segment_ReportedStopAfterTheLeaseExpired_BillsTheDeviceTimeNobodyElseOverlapped()
    {
        // A worker whose last step ran past its lease (issue 10's chaos bench: 7-9 s) says it stopped
        // after the expiry. Nobody has run the job since, so every second the device worked is billed.
        var id = await Db.EnqueueAsync(Db.TenantA);
        var run = (await Db.Queue.ClaimAsync(Worker, Lease, "cpu"))!;
        await Db.Database.ScalarAsync<int>($"""
            WITH u AS (UPDATE usage_segments SET started_at = now() - interval '100 seconds' WHERE job_id = '{id}' RETURNING 1),
                 q AS (UPDATE job_queue SET lease_expires_at = now() - interval '40 seconds' WHERE job_id = '{id}' RETURNING 1)
            SELECT count(*)::int FROM u
            """);
        await Db.Queue.RecoverExpiredAsync();

        var stoppedAt = DateTime.UtcNow.AddSeconds(-5);
        await Db.Queue.EndRunAsync(run, RunEnding.Interrupted, "paused", new DeviceStop(stoppedAt, 95));

        var segment = (await Db.SegmentRowsAsync(id)).Single();
        Assert.True(segment.End > segment.LostAt, "the end passes the lease's expiry");
        Assert.Equal(stoppedAt, segment.End, TimeSpan.FromSeconds(0.5));
    }

    [Fact]
    public async Task Segment_ReportedStopAfterTheNextRunStarted_EndsWhereTheNextRunStarted()
    {
        // A worker paused past its lease (no self-fence could run) while the job's next run started
        // elsewhere: the two overlapped, and the overlap is billed once, to the next run.
        var id = await Db.EnqueueAsync(Db.TenantA);
        var run = (await Db.Queue.ClaimAsync(Worker, Lease, "cpu"))!;
        await Db.Database.ScalarAsync<int>($"""
            WITH u AS (UPDATE usage_segments SET started_at = now() - interval '100 seconds' WHERE job_id = '{id}' RETURNING 1),
                 q AS (UPDATE job_queue SET lease_expires_at = now() - interval '40 seconds' WHERE job_id = '{id}' RETURNING 1)
            SELECT count(*)::int FROM u
            """);
        await Db.Queue.RecoverExpiredAsync();
        var next = (await Db.Queue.ClaimAsync(Worker, Lease, "cpu"))!;
        await Db.Database.ScalarAsync<int>($"""
            WITH u AS (UPDATE usage_segments SET started_at = now() - interval '30 seconds'
                       WHERE job_id = '{id}' AND segment = {next.Segment} RETURNING 1)
            SELECT count(*)::int FROM u
            """);

        await Db.Queue.EndRunAsync(run, RunEnding.Interrupted, "paused", new DeviceStop(DateTime.UtcNow.AddSeconds(-5), 95));

        var segments = await Db.SegmentRowsAsync(id);
        Assert.Equal(segments[1].Start, segments[0].End);
        Assert.Equal(70, segments[0].Seconds, 0.5);
    }

    [Fact]
    public async Task Segment_ReportAfterTheGrace_ChangesNothing()
    {
        var id = await Db.EnqueueAsync(Db.TenantA);
        var run = (await Db.Queue.ClaimAsync(Worker, Lease, "cpu"))!;
        await Db.ExpireLeaseAsync(id);
        var noGrace = new JobQueue(Db.Database.DataSource, RetryOptions.Immediate with { ReportGrace = TimeSpan.Zero });
        await noGrace.RecoverExpiredAsync();
        await noGrace.RecoverExpiredAsync();
        var closed = (await Db.SegmentRowsAsync(id)).Single();

        var ended = await Db.Queue.EndRunAsync(run, RunEnding.Interrupted, "lost the database", new DeviceStop(DateTime.UtcNow, 1));

        Assert.Equal(new RunEnded(null, Metered: false), ended);
        Assert.Equal(closed, (await Db.SegmentRowsAsync(id)).Single());
    }

    [Fact]
    public async Task Segment_StaleHolderRenews_DoesNotExtendItsSegment()
    {
        var id = await Db.EnqueueAsync(Db.TenantA);
        var first = (await Db.Queue.ClaimAsync(Worker, Lease, "cpu"))!;
        await Db.ExpireLeaseAsync(id);
        await Db.Queue.RecoverExpiredAsync();
        var lostEnd = (await Db.SegmentsAsync(id)).Single().End;

        await Task.Delay(50);
        Assert.Equal(LeaseRenewal.Lost, await Db.Queue.RenewAsync(first, Lease));

        Assert.Equal(lostEnd, (await Db.SegmentsAsync(id)).Single().End);
    }

    [Fact]
    public async Task Segment_CompletedWithTheDeviceStop_EndsThereNotAtTheCall()
    {
        // The completion reached the database 20 s after the device stopped (it was restarting).
        var id = await Db.EnqueueAsync(Db.TenantA);
        var job = (await Db.Queue.ClaimAsync(Worker, Lease, "cpu"))!;
        await Db.Database.ScalarAsync<int>(
            $"WITH u AS (UPDATE usage_segments SET started_at = now() - interval '50 seconds' WHERE job_id = '{id}' RETURNING 1) SELECT count(*)::int FROM u");

        await Db.Queue.CompleteAsync(job, JobOutcome.Succeeded, stop: new DeviceStop(DateTime.UtcNow.AddSeconds(-20), 30));

        var segment = (await Db.SegmentRowsAsync(id)).Single();
        Assert.True(segment.Closed);
        Assert.Equal(30, segment.Seconds, 0.5);
        Assert.Equal(30.0, segment.DeviceSeconds);
    }

    [Fact]
    public async Task Segment_DeviceStartedAfterTheClaimCommitted_StartsWhereTheDeviceDid()
    {
        // The claim committed 50 s ago; its answer reached the worker, whose device then worked 30 s and
        // stopped 10 s ago. The 10 s between the commit and the device's start are not the tenant's.
        var id = await Db.EnqueueAsync(Db.TenantA);
        var run = (await Db.Queue.ClaimAsync(Worker, Lease, "cpu"))!;
        await Db.Database.ScalarAsync<int>(
            $"WITH u AS (UPDATE usage_segments SET started_at = now() - interval '50 seconds' WHERE job_id = '{id}' RETURNING 1) SELECT count(*)::int FROM u");
        var committed = (await Db.SegmentRowsAsync(id)).Single().Start;

        await Db.Queue.EndRunAsync(run, RunEnding.Interrupted, "paused", new DeviceStop(DateTime.UtcNow.AddSeconds(-10), 30));

        var segment = (await Db.SegmentRowsAsync(id)).Single();
        Assert.Equal(committed.AddSeconds(10), segment.Start, TimeSpan.FromSeconds(0.5));
        Assert.Equal(30, segment.Seconds, 0.001);
    }

    [Fact]
    public async Task Segment_ReportedMoreDeviceTimeThanSinceTheClaim_StartsAtTheClaim()
    {
        // A worker whose clock jumped reports more device time than the run can have had: the device
        // cannot have started before the claim committed.
        var id = await Db.EnqueueAsync(Db.TenantA);
        var job = (await Db.Queue.ClaimAsync(Worker, Lease, "cpu"))!;
        var committed = (await Db.SegmentRowsAsync(id)).Single().Start;

        await Db.Queue.CompleteAsync(job, JobOutcome.Succeeded, stop: new DeviceStop(DateTime.UtcNow, 3600));

        var segment = (await Db.SegmentRowsAsync(id)).Single();
        Assert.Equal(committed, segment.Start);
        Assert.Equal(3600.0, segment.DeviceSeconds);
    }

    [Fact]
    public async Task Segment_Completed_ClosedWithPositiveDuration()
    {
        var id = await Db.EnqueueAsync(Db.TenantA);
        var job = (await Db.Queue.ClaimAsync(Worker, Lease, "cpu"))!;
        await Task.Delay(20);
        await Db.Queue.CompleteAsync(job, JobOutcome.Succeeded);

        var segment = (await Db.SegmentsAsync(id)).Single();
        Assert.True(segment.Closed);
        Assert.True(segment.End > segment.Start);
    }
}
