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
        Assert.Equal([stoppedRecently, live], left.Order());
        Assert.Equal(0, again);
    }

    [Fact]
    public async Task JobEvents_OfJobsFinishedLongAgo_KeepsOnlyTheirLastLine()
    {
        var owner = await portal.CreateUserAsync();
        var tenant = await portal.CreateTenantAsync(owner);
        var old = await JobAsync(tenant.Id, "Succeeded", "now() - interval '100 days'");
        var recent = await JobAsync(tenant.Id, "Failed", "now() - interval '10 days'");
        var running = await JobAsync(tenant.Id, "Running", null);
        foreach (var job in new[] { old, recent, running })
        {
            foreach (var type in new[] { "queued", "started", "progress", "progress", "succeeded" })
                await ExecuteAsync("INSERT INTO job_events (tenant_id, job_id, at, type, message) VALUES ($1, $2, now() - interval '200 days', $3, $3)",
                    tenant.Id, job, type);
        }

        var deleted = await RunAsync(j => j.DeleteOldJobEventsAsync(CancellationToken.None));

        Assert.Equal(4, deleted);
        Assert.Equal(["succeeded"], await EventTypesAsync(old));
        Assert.Equal(5, (await EventTypesAsync(recent)).Count);
        Assert.Equal(5, (await EventTypesAsync(running)).Count);
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

    private async Task<Guid> JobAsync(Guid tenantId, string state, string? finished)
    {
        var id = Guid.CreateVersion7();
        await ExecuteAsync($"INSERT INTO jobs (id, tenant_id, kind, name, state, finished_at) VALUES ($1, $2, 'noop', 'housekeeping test', $3, {finished ?? "NULL"})",
            id, tenantId, state);
        return id;
    }

    private async Task<List<string>> EventTypesAsync(Guid jobId)
    {
        await using var command = portal.Database.DataSource.CreateCommand("SELECT type FROM job_events WHERE job_id = $1 ORDER BY id");
        command.Parameters.Add(new NpgsqlParameter { Value = jobId });
        await using var reader = await command.ExecuteReaderAsync();
        var types = new List<string>();
        while (await reader.ReadAsync())
            types.Add(reader.GetString(0));
        return types;
    }

    private async Task ExecuteAsync(string sql, params object[] values)
    {
        await using var command = portal.Database.DataSource.CreateCommand(sql);
        foreach (var value in values)
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        await command.ExecuteNonQueryAsync();
    }
}
