using Microsoft.Extensions.Logging.Abstractions;
using Platform.Jobs.Portal;
using Platform.Jobs.Training;
using Platform.Jobs.Workers;
using Platform.Testing;

namespace Platform.Jobs.Tests;

/// <summary>
/// What a run's reporter writes: the job page and the API's step events show the progress as stored,
/// so the step a run ended on and the loss since the last point must be written however it ends.
/// </summary>
public sealed class ProgressReporterTests : QueueTestBase
{
    // Long enough that only the first step, the last step of the plan and explicit flushes go through.
    private static readonly TimeSpan Throttle = TimeSpan.FromHours(1);

    private async Task<(JobProgressReporter Reporter, RunReports Reports, Guid JobId)> StartAsync()
    {
        var id = await Db.EnqueueAsync(Db.TenantA);
        var job = (await ClaimAsync())!;
        var reports = new RunReports(job, Db.Queue, new LossCurveRecorder(Db.Database.DataSource), NullLogger.Instance);
        var context = new JobContext(job, CancellationToken.None, Db.Queue, reports, () => true, Path.GetTempPath(), new WorkerSlot(0, "cpu", 1));
        return (new JobProgressReporter(context, Throttle), reports, id);
    }

    private static StepReport Step(long step, double loss) =>
        new(step, 16, 1 + (int)((step - 1) / 2), 8, loss, 1e-4, 12.5, TimeSpan.FromSeconds(16 - step));

    private Task<string> ProgressStepAsync(Guid jobId) =>
        Db.Database.ScalarAsync<string>($"SELECT progress->>'step' FROM jobs WHERE id = '{jobId}'");

    [Fact]
    public async Task Flush_RunEndsBeforeItsLastStep_WritesTheFinalStepAndLoss()
    {
        // An early stop, a cancel or a failure at step 6 of 16, with the throttle holding steps 2-6 back.
        var (reporter, reports, jobId) = await StartAsync();
        for (var step = 1; step <= 6; step++)
            reporter.Step(Step(step, loss: step));
        Assert.True(await reports.FlushAsync(CancellationToken.None));
        Assert.Equal("1", await ProgressStepAsync(jobId));

        reporter.Flush();
        Assert.True(await reports.FlushAsync(CancellationToken.None));

        Assert.Equal("6", await ProgressStepAsync(jobId));
        Assert.Equal("3", await Db.Database.ScalarAsync<string>($"SELECT progress->>'epoch' FROM jobs WHERE id = '{jobId}'"));
        Assert.Equal("12.5", await Db.Database.ScalarAsync<string>($"SELECT progress->>'samplesPerSecond' FROM jobs WHERE id = '{jobId}'"));
        var curve = await new JobQueries(Db.Database.DataSource, new TestTenant(Db.TenantA)).LossCurveAsync(jobId);
        // The last point stands for every step since the first: the mean of 2..6.
        Assert.Equal([(1L, 1.0), (6L, 4.0)], curve.Select(p => (p.Step, p.Loss)));
    }

    [Fact]
    public async Task Flush_NothingHeldBack_WritesNothingMore()
    {
        var (reporter, reports, jobId) = await StartAsync();
        reporter.Step(Step(1, 2.0));
        reporter.Flush();
        reporter.Flush();
        Assert.True(await reports.FlushAsync(CancellationToken.None));

        Assert.Equal(1, await Db.Database.ScalarAsync<long>($"SELECT count(*) FROM job_loss_points WHERE job_id = '{jobId}'"));
    }

    [Fact]
    public async Task Step_LastStepOfThePlan_GoesThroughDespiteTheThrottle()
    {
        var (reporter, reports, jobId) = await StartAsync();
        reporter.Step(Step(1, 1.0));
        reporter.Step(Step(16, 0.5));
        Assert.True(await reports.FlushAsync(CancellationToken.None));

        Assert.Equal("16", await ProgressStepAsync(jobId));
    }

    [Fact]
    public async Task Event_FlushStep_WritesTheHeldStepBeforeTheEvent()
    {
        var (reporter, reports, jobId) = await StartAsync();
        reporter.Step(Step(1, 1.0));
        reporter.Step(Step(2, 1.0));
        reporter.Event("epoch", "Epoch 1", flushStep: true);
        Assert.True(await reports.FlushAsync(CancellationToken.None));

        Assert.Equal("2", await ProgressStepAsync(jobId));
        Assert.Equal(1, await Db.Database.ScalarAsync<long>($"SELECT count(*) FROM job_events WHERE job_id = '{jobId}' AND type = 'epoch'"));
    }
}
