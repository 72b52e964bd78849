using Microsoft.Extensions.Logging.Abstractions;
using Platform.Jobs.Portal;
using Platform.Jobs.Queue;
using Platform.Testing;

namespace Platform.Jobs.Tests;

public sealed class JobPortalTests : IAsyncLifetime
{
    private QueueDatabase _db = null!;

    public async Task InitializeAsync() => _db = await QueueDatabase.CreateAsync();

    public async Task DisposeAsync() => await _db.DisposeAsync();

    private JobQueries QueriesFor(Guid tenant) => new(_db.Database.DataSource, new TestTenant(tenant));

    [Fact]
    public async Task List_AnotherTenantsJobs_AreInvisible()
    {
        var mine = await _db.EnqueueAsync(_db.TenantA, "mine");
        var theirs = await _db.EnqueueAsync(_db.TenantB, "theirs");

        var listed = await QueriesFor(_db.TenantA).ListAsync();

        Assert.Equal([mine], listed.Select(j => j.Id));
        Assert.Null(await QueriesFor(_db.TenantA).GetAsync(theirs));
        Assert.Empty(await QueriesFor(_db.TenantA).EventsAsync(theirs));
        Assert.Empty(await new JobQueries(_db.Database.DataSource, new TestTenant()).ListAsync());
    }

    [Fact]
    public async Task List_StateFilter_ReturnsOnlyThatState()
    {
        var queued = await _db.EnqueueAsync(_db.TenantA, "queued");
        var cancelled = await _db.EnqueueAsync(_db.TenantA, "cancelled");
        await new CancelJobCommand(_db.Queue, new TestTenant(_db.TenantA)).ExecuteAsync(cancelled);

        var listed = await QueriesFor(_db.TenantA).ListAsync("Cancelled");

        Assert.Equal([cancelled], listed.Select(j => j.Id));
        Assert.DoesNotContain(queued, listed.Select(j => j.Id));
    }

    [Fact]
    public async Task Events_AfterId_ReturnsOnlyNewerInOrder()
    {
        var id = await _db.EnqueueAsync(_db.TenantA);
        var worker = await _db.RegisterWorkerAsync();
        var job = (await _db.Queue.ClaimAsync(worker, TimeSpan.FromSeconds(30), "cpu"))!;
        await _db.Queue.ReportAsync(job, null, "log", "first line");
        Assert.True(await _db.Queue.ReportAsync(job, """{"step":1}""", "note", null), "an event without a message takes its type");
        var all = await QueriesFor(_db.TenantA).EventsAsync(id);

        var newer = await QueriesFor(_db.TenantA).EventsAsync(id, afterId: all[0].Id);

        Assert.Equal(["queued", "claimed", "log", "note"], all.Select(e => e.Type));
        Assert.Equal(["claimed", "log", "note"], newer.Select(e => e.Type));
    }

    [Fact]
    public async Task Cancel_FinishedJob_IsAConflict()
    {
        var id = await _db.EnqueueAsync(_db.TenantA);
        var command = new CancelJobCommand(_db.Queue, new TestTenant(_db.TenantA));
        Assert.True((await command.ExecuteAsync(id)).IsSuccess);

        var again = await command.ExecuteAsync(id);

        Assert.Equal(Platform.Domain.Common.ResultStatus.Conflict, again.Status);
    }

    [Fact]
    public async Task Signals_EventWrittenForWatchedJob_WakesTheSubscriber()
    {
        var signals = new JobEventSignals(_db.Database.DataSource, NullLogger<JobEventSignals>.Instance);
        await signals.StartAsync(CancellationToken.None);
        try
        {
            var id = await _db.EnqueueAsync(_db.TenantA);
            using var subscription = signals.Subscribe(id);
            // The listener's first connect signals every subscriber once; drain that.
            await subscription.WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None);
            var worker = await _db.RegisterWorkerAsync();

            var claimed = await _db.Queue.ClaimAsync(worker, TimeSpan.FromSeconds(30), "cpu");

            Assert.NotNull(claimed);
            Assert.True(await subscription.WaitAsync(TimeSpan.FromSeconds(30), CancellationToken.None));
        }
        finally
        {
            await signals.StopAsync(CancellationToken.None);
        }
    }
}
