using Npgsql;
using Platform.Jobs.Queue;

namespace Platform.Jobs.Tests;

public sealed class MeteringTests : IAsyncLifetime
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

    private async Task<List<(int Attempt, int Segment, DateTime Start, DateTime End, bool Closed)>> SegmentsAsync(Guid job)
    {
        await using var command = _db.Database.DataSource.CreateCommand(
            "SELECT attempt, segment, started_at, ended_at, closed FROM usage_segments WHERE job_id = $1 ORDER BY attempt, segment");
        command.Parameters.Add(new NpgsqlParameter { Value = job });
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<(int, int, DateTime, DateTime, bool)>();
        while (await reader.ReadAsync())
            rows.Add((reader.GetInt32(0), reader.GetInt32(1), reader.GetDateTime(2), reader.GetDateTime(3), reader.GetBoolean(4)));
        return rows;
    }

    [Fact]
    public async Task Segment_WorkerDiesAfterRenewal_EndsAtLastRenewalAndNextAttemptOpensItsOwn()
    {
        var id = await _db.EnqueueAsync(_db.TenantA);
        var first = (await _db.Queue.ClaimAsync(_worker, Lease, "cpu"))!;
        await Task.Delay(300);
        await _db.Queue.RenewAsync(first, Lease);
        var lastRenewal = (await SegmentsAsync(id)).Single().End;
        await Task.Delay(300);

        // The worker "dies": no more renewals; its lease runs out and another worker recovers the job.
        await _db.ExpireLeaseAsync(id);
        await _db.Queue.RecoverExpiredAsync();
        var second = (await _db.Queue.ClaimAsync(_worker, Lease, "cpu"))!;
        await _db.Queue.CompleteAsync(second, JobOutcome.Succeeded);

        var segments = await SegmentsAsync(id);
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
        var id = await _db.EnqueueAsync(_db.TenantA);
        var first = (await _db.Queue.ClaimAsync(_worker, Lease, "cpu"))!;
        await _db.ExpireLeaseAsync(id);
        await _db.Queue.RecoverExpiredAsync();
        var closedEnd = (await SegmentsAsync(id)).Single().End;

        await Task.Delay(50);
        Assert.Equal(LeaseRenewal.Lost, await _db.Queue.RenewAsync(first, Lease));

        Assert.Equal(closedEnd, (await SegmentsAsync(id)).Single().End);
    }

    [Fact]
    public async Task Segment_Completed_ClosedWithPositiveDuration()
    {
        var id = await _db.EnqueueAsync(_db.TenantA);
        var job = (await _db.Queue.ClaimAsync(_worker, Lease, "cpu"))!;
        await Task.Delay(20);
        await _db.Queue.CompleteAsync(job, JobOutcome.Succeeded);

        var segment = (await SegmentsAsync(id)).Single();
        Assert.True(segment.Closed);
        Assert.True(segment.End > segment.Start);
    }
}
