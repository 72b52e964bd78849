using Platform.Jobs.Queue;

namespace Platform.Jobs.Tests;

public sealed class MeteringTests : QueueTestBase
{
    [Fact]
    public async Task Segment_WorkerDiesAfterRenewal_EndsAtLastRenewalAndNextAttemptOpensItsOwn()
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

        var segments = await Db.SegmentsAsync(id);
        Assert.Equal(2, segments.Count);
        Assert.Equal((1, 1), (segments[0].Attempt, segments[0].Segment));
        Assert.Equal(lastRenewal, segments[0].End);
        Assert.True(segments[0].Closed);
        Assert.Equal((2, 1), (segments[1].Attempt, segments[1].Segment));
        Assert.True(segments[1].Closed);
        Assert.True(segments[1].Start >= segments[0].End, "segments of one job never overlap");
    }

    [Fact]
    public async Task Segment_StaleHolderRenews_DoesNotExtendClosedSegment()
    {
        var id = await Db.EnqueueAsync(Db.TenantA);
        var first = (await Db.Queue.ClaimAsync(Worker, Lease, "cpu"))!;
        await Db.ExpireLeaseAsync(id);
        await Db.Queue.RecoverExpiredAsync();
        var closedEnd = (await Db.SegmentsAsync(id)).Single().End;

        await Task.Delay(50);
        Assert.Equal(LeaseRenewal.Lost, await Db.Queue.RenewAsync(first, Lease));

        Assert.Equal(closedEnd, (await Db.SegmentsAsync(id)).Single().End);
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
