using Platform.Jobs.Portal;
using Platform.Jobs.Training;
using Platform.Testing;

namespace Platform.Jobs.Tests;

public sealed class LossCurveTests : QueueTestBase
{
    private LossCurveRecorder Recorder => new(Db.Database.DataSource);

    private JobQueries QueriesFor(Guid tenant) => new(Db.Database.DataSource, new TestTenant(tenant));

    [Fact]
    public async Task Record_HeldLease_PointsReadBackInStepOrder()
    {
        var id = await Db.EnqueueAsync(Db.TenantA);
        var job = (await ClaimAsync())!;

        Assert.True(await Recorder.RecordAsync(job, new LossPoint(10, 100, 2.5, 1e-4)));
        Assert.True(await Recorder.RecordAsync(job, new LossPoint(20, 100, 1.5, 1e-4)));

        var curve = await QueriesFor(Db.TenantA).LossCurveAsync(id);
        Assert.Equal([new LossPointView(10, 100, 2.5), new LossPointView(20, 100, 1.5)], curve);
    }

    [Fact]
    public async Task Record_AnotherRunClaimedTheJob_WritesNothing()
    {
        var id = await Db.EnqueueAsync(Db.TenantA);
        var job = (await ClaimAsync())!;
        await Db.ExpireLeaseAsync(id);
        await Db.Queue.RecoverExpiredAsync();
        await ClaimAsync();

        Assert.False(await Recorder.RecordAsync(job, new LossPoint(10, 100, 2.5, 1e-4)));

        Assert.Empty(await QueriesFor(Db.TenantA).LossCurveAsync(id));
    }

    [Fact]
    public async Task Record_LeaseRecoveredButNobodyClaimedSince_StillWrites()
    {
        // Points buffered through a database outage arrive after the recovery; the run is still the
        // job's latest, and the next run resumes from its checkpoint, so they belong on the curve.
        var id = await Db.EnqueueAsync(Db.TenantA);
        var job = (await ClaimAsync())!;
        await Db.ExpireLeaseAsync(id);
        await Db.Queue.RecoverExpiredAsync();

        Assert.True(await Recorder.RecordAsync(job, new LossPoint(10, 100, 2.5, 1e-4)));

        Assert.Equal([new LossPointView(10, 100, 2.5)], await QueriesFor(Db.TenantA).LossCurveAsync(id));
    }

    [Fact]
    public async Task Record_ResumedAttempt_ReplacesThePointsItRedoes()
    {
        // The first attempt got to step 30 but its last checkpoint was at step 15; the second attempt
        // redoes 16.. and its points, not the dead attempt's, must make up the curve from there on.
        var id = await Db.EnqueueAsync(Db.TenantA);
        var first = (await ClaimAsync())!;
        foreach (var step in new[] { 10L, 20, 30 })
            await Recorder.RecordAsync(first, new LossPoint(step, 100, 9, 1e-4));
        await Db.ExpireLeaseAsync(id);
        await Db.Queue.RecoverExpiredAsync();
        var second = (await ClaimAsync())!;

        await Recorder.RecordAsync(second, new LossPoint(16, 100, 1, 1e-4));
        await Recorder.RecordAsync(second, new LossPoint(25, 100, 2, 1e-4));

        var curve = await QueriesFor(Db.TenantA).LossCurveAsync(id);
        Assert.Equal([(10L, 9.0), (16L, 1.0), (25L, 2.0)], curve.Select(p => (p.Step, p.Loss)));
    }

    [Fact]
    public async Task LossCurve_ManyPoints_AveragedIntoAtMostMaxPoints()
    {
        var id = await Db.EnqueueAsync(Db.TenantA);
        var job = (await ClaimAsync())!;
        for (var step = 1L; step <= 100; step++)
            await Recorder.RecordAsync(job, new LossPoint(step, 100, step, 1e-4));

        var curve = await QueriesFor(Db.TenantA).LossCurveAsync(id, maxPoints: 10);

        Assert.Equal(10, curve.Count);
        // Buckets of ten steps: 1..10 averages to 5.5 and is drawn at its last step.
        Assert.Equal(new LossPointView(10, 100, 5.5), curve[0]);
        Assert.Equal(new LossPointView(100, 100, 95.5), curve[^1]);
    }

    [Fact]
    public async Task LossCurve_AnotherTenantsJob_IsEmpty()
    {
        var id = await Db.EnqueueAsync(Db.TenantB);
        var job = (await ClaimAsync())!;
        await Recorder.RecordAsync(job, new LossPoint(1, 10, 1, 1e-4));

        Assert.Empty(await QueriesFor(Db.TenantA).LossCurveAsync(id));
        Assert.Single(await QueriesFor(Db.TenantB).LossCurveAsync(id));
    }

    [Fact]
    public void Window_StepsBetweenReports_AveragesThemAndSkipsNonFinite()
    {
        var window = new LossWindow();
        Assert.Null(window.Take(1, 10, 0.1));

        window.Add(1);
        window.Add(double.NaN);
        window.Add(3);

        Assert.Equal(new LossPoint(3, 10, 2, 0.1), window.Take(3, 10, 0.1));
        Assert.Null(window.Take(4, 10, 0.1));
    }
}
