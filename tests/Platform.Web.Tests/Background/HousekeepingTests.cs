using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Platform.Web.Background;
using Platform.Web.Tests.Infrastructure;

namespace Platform.Web.Tests.Background;

/// <summary>The housekeeping jobs' bodies, run as the Hangfire server runs them (resolved in a scope), on real rows and files.</summary>
public sealed class HousekeepingTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    [Fact]
    public async Task UploadSpools_LeftOverAndLive_DeletesOnlyTheLeftOver()
    {
        var scratch = Path.Combine(portal.StorageRoot, "uploads");
        Directory.CreateDirectory(scratch);
        var leftOver = Path.Combine(scratch, Guid.NewGuid().ToString("N"));
        var live = Path.Combine(scratch, Guid.NewGuid().ToString("N"));
        await File.WriteAllTextAsync(leftOver, "a crashed upload");
        await File.WriteAllTextAsync(live, "an upload streaming in");
        File.SetLastWriteTimeUtc(leftOver, portal.Time.GetUtcNow().UtcDateTime - TimeSpan.FromDays(1) - TimeSpan.FromMinutes(1));
        File.SetLastWriteTimeUtc(live, portal.Time.GetUtcNow().UtcDateTime - TimeSpan.FromHours(23));

        var deleted = await RunAsync(j => j.DeleteExpiredUploadSpoolsAsync(CancellationToken.None));

        Assert.Equal(1, deleted);
        Assert.False(File.Exists(leftOver));
        Assert.True(File.Exists(live));
    }

    [Fact]
    public async Task StoppedWorkers_PastRetention_AreDeletedLiveAndRecentStay()
    {
        var stoppedLongAgo = await WorkerAsync("now() - interval '8 days'", "now() - interval '8 days'");
        var diedLongAgo = await WorkerAsync("now() - interval '8 days'", null);
        var stoppedRecently = await WorkerAsync("now() - interval '6 days'", "now() - interval '6 days'");
        var live = await WorkerAsync("now()", null);

        await RunAsync(j => j.DeleteStoppedWorkersAsync(CancellationToken.None));
        var again = await RunAsync(j => j.DeleteStoppedWorkersAsync(CancellationToken.None));

        var left = await WorkerIdsAsync([stoppedLongAgo, diedLongAgo, stoppedRecently, live]);
        // Compared as sets: two version-7 ids made in the same millisecond have no fixed order.
        Assert.Equal(new HashSet<Guid> { stoppedRecently, live }, left.ToHashSet());
        Assert.Equal(0, again);
    }

    private async Task<T> RunAsync<T>(Func<HousekeepingJobs, Task<T>> job)
    {
        await using var scope = portal.Services.CreateAsyncScope();
        return await job(scope.ServiceProvider.GetRequiredService<HousekeepingJobs>());
    }

    private async Task<Guid> WorkerAsync(string heartbeat, string? stopped)
    {
        var id = Guid.CreateVersion7();
        await ExecuteAsync($"INSERT INTO workers (id, name, device_kind, device_name, slots, started_at, heartbeat_at, stopped_at) " +
                           $"VALUES ($1, 'housekeeping-test', 'cpu', 'CPU', 1, {heartbeat}, {heartbeat}, {stopped ?? "NULL"})", id);
        return id;
    }

    private async Task<List<Guid>> WorkerIdsAsync(Guid[] ids)
    {
        await using var command = portal.Database.DataSource.CreateCommand("SELECT id FROM workers WHERE id = ANY($1)");
        command.Parameters.Add(new NpgsqlParameter { Value = ids });
        await using var reader = await command.ExecuteReaderAsync();
        var left = new List<Guid>();
        while (await reader.ReadAsync())
            left.Add(reader.GetGuid(0));
        return left;
    }

    private async Task ExecuteAsync(string sql, params object[] values)
    {
        await using var command = portal.Database.DataSource.CreateCommand(sql);
        foreach (var value in values)
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        await command.ExecuteNonQueryAsync();
    }
}
