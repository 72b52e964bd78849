using Npgsql;
using Platform.Jobs.Workers;

namespace Platform.Jobs.Tests;

/// <summary>The workers table's read and cleanup, as the portal's workers page and housekeeping use them.</summary>
public sealed class WorkerListTests : IAsyncLifetime
{
    private QueueDatabase _db = null!;

    public async Task InitializeAsync() => _db = await QueueDatabase.CreateAsync();

    public async Task DisposeAsync() => await _db.DisposeAsync();

    [Fact]
    public async Task Execute_WorkerHoldingALease_ListsItsJobWithTheTenantsName()
    {
        var worker = await _db.RegisterWorkerAsync("gpu-box-1");
        var idle = await _db.RegisterWorkerAsync("gpu-box-2");
        var job = await _db.EnqueueAsync(_db.TenantB, "running one");
        Assert.NotNull(await _db.Queue.ClaimAsync(worker, TimeSpan.FromSeconds(30), "cpu"));
        var tenantName = await _db.Database.ScalarAsync<string>($"SELECT name FROM tenants WHERE id = '{_db.TenantB}'");

        var workers = await new WorkerListQuery(_db.Database.DataSource).ExecuteAsync();

        var busy = Assert.Single(workers, w => w.Id == worker);
        var running = Assert.Single(busy.Jobs);
        Assert.Equal((job, "running one", tenantName), (running.JobId, running.Name, running.TenantName));
        Assert.True(busy.Responding);
        Assert.Empty(Assert.Single(workers, w => w.Id == idle).Jobs);
    }

    [Fact]
    public async Task Execute_StoppedLongAgo_HiddenUnlessEveryStoppedOneIsAskedFor()
    {
        var live = await WorkerAsync("now()", null);
        var stoppedRecently = await WorkerAsync("now() - interval '5 minutes'", "now() - interval '5 minutes'");
        var stoppedLongAgo = await WorkerAsync("now() - interval '2 hours'", "now() - interval '2 hours'");
        var query = new WorkerListQuery(_db.Database.DataSource);

        var recent = await query.ExecuteAsync(WorkerListQuery.RecentlyStopped);
        var all = await query.ExecuteAsync();

        // Running first, then the stopped ones newest first.
        Assert.Equal([live, stoppedRecently], recent.Select(w => w.Id));
        Assert.Equal([live, stoppedRecently, stoppedLongAgo], all.Select(w => w.Id));
        Assert.Equal(1, await query.CountStoppedBeforeAsync(WorkerListQuery.RecentlyStopped));
    }

    [Fact]
    public async Task DeleteStopped_PastRetention_DeletesThoseLiveAndRecentStay()
    {
        var stoppedLongAgo = await WorkerAsync("now() - interval '8 days'", "now() - interval '8 days'");
        var diedLongAgo = await WorkerAsync("now() - interval '8 days'", null);
        var stoppedRecently = await WorkerAsync("now() - interval '6 days'", "now() - interval '6 days'");
        var live = await WorkerAsync("now()", null);
        var command = new DeleteStoppedWorkersCommand(_db.Database.DataSource);

        var deleted = await command.ExecuteAsync(TimeSpan.FromDays(7));
        var again = await command.ExecuteAsync(TimeSpan.FromDays(7));

        var left = await new WorkerListQuery(_db.Database.DataSource).ExecuteAsync();
        // Compared as sets: two version-7 ids made in the same millisecond have no fixed order.
        Assert.Equal(new HashSet<Guid> { stoppedRecently, live }, left.Select(w => w.Id).ToHashSet());
        Assert.DoesNotContain(stoppedLongAgo, left.Select(w => w.Id));
        Assert.DoesNotContain(diedLongAgo, left.Select(w => w.Id));
        Assert.Equal(2, deleted);
        Assert.Equal(0, again);
    }

    private async Task<Guid> WorkerAsync(string heartbeat, string? stopped)
    {
        var id = Guid.CreateVersion7();
        await using var command = _db.Database.DataSource.CreateCommand(
            "INSERT INTO workers (id, name, device_kind, device_name, slots, started_at, heartbeat_at, stopped_at) " +
            $"VALUES ($1, 'list-test', 'cpu', 'CPU', 1, {heartbeat}, {heartbeat}, {stopped ?? "NULL"})");
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        await command.ExecuteNonQueryAsync();
        return id;
    }
}
