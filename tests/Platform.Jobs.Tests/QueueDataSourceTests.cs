using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Platform.Data;
using Platform.Jobs.Queue;
using Platform.Testing;

namespace Platform.Jobs.Tests;

/// <summary>The queue's own connection pool, as AddJobQueue registers it.</summary>
public sealed class QueueDataSourceTests : IAsyncLifetime
{
    private readonly TempDirectory _storage = new();
    private PostgresDatabase _database = null!;
    private IHost _host = null!;

    public async Task InitializeAsync()
    {
        _database = await PostgresDatabase.CreateAsync();
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Platform"] = _database.ConnectionString,
            ["Data:Migrations"] = "Check",
            ["Storage:Root"] = _storage.Path,
        });
        builder.AddPlatformData();
        builder.AddJobQueue();
        _host = builder.Build();
        await _host.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
        await _database.DisposeAsync();
        _storage.Dispose();
    }

    [Fact]
    public async Task AddJobQueue_QueuePool_KeepsServerSessionsBetweenUses()
    {
        var queuePool = _host.Services.GetRequiredKeyedService<NpgsqlDataSource>(JobQueue.DataSourceKey);
        var sharedPool = _host.Services.GetRequiredService<NpgsqlDataSource>();

        // Without DISCARD ALL on return, PostgreSQL keeps the session, and with it its cached plans.
        Assert.Equal("marked", await SessionSettingAfterReuseAsync(queuePool));
        // The pool everything else uses still resets, so no session state leaks between its users.
        Assert.NotEqual("marked", await SessionSettingAfterReuseAsync(sharedPool));
    }

    [Fact]
    public async Task AddJobQueue_RegisteredQueue_CompletesAndClaimsOnItsOwnPool()
    {
        var queue = _host.Services.GetRequiredService<JobQueue>();
        var (tenant, _) = await Seed.TenantAsync(_database);
        var worker = Guid.CreateVersion7();
        await _database.ScalarAsync<int>(
            $"WITH w AS (INSERT INTO workers (id, name, device_kind, device_name, slots) VALUES ('{worker}', 'w', 'cpu', 'CPU', 1) RETURNING 1) SELECT count(*)::int FROM w");
        await queue.EnqueueAsync(new JobSubmission(tenant.Id, "noop", "first", "{}"));
        var second = await queue.EnqueueAsync(new JobSubmission(tenant.Id, "noop", "second", "{}"));
        var next = new ClaimRequest(worker, TimeSpan.FromSeconds(30), "cpu");

        var first = (await queue.ClaimAsync(worker, next.Lease, "cpu"))!;
        var completion = await queue.CompleteAndClaimAsync(first, JobOutcome.Succeeded, null, next);

        Assert.True(completion.Completed);
        Assert.Equal(second, completion.Next!.JobId);
    }

    /// <summary>Marks the session, returns the connection to the pool, takes it back and reads the mark.</summary>
    private static async Task<string> SessionSettingAfterReuseAsync(NpgsqlDataSource pool)
    {
        int pid;
        await using (var connection = await pool.OpenConnectionAsync())
        {
            await using var mark = new NpgsqlCommand("SELECT pg_backend_pid(), set_config('application_name', 'marked', false)", connection);
            await using var reader = await mark.ExecuteReaderAsync();
            await reader.ReadAsync();
            pid = reader.GetInt32(0);
        }
        await using (var connection = await pool.OpenConnectionAsync())
        {
            await using var read = new NpgsqlCommand("SELECT pg_backend_pid(), current_setting('application_name')", connection);
            await using var reader = await read.ExecuteReaderAsync();
            await reader.ReadAsync();
            Assert.Equal(pid, reader.GetInt32(0));
            return reader.GetString(1);
        }
    }
}
