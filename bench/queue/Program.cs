using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Data.Migrations;
using Platform.Jobs.Queue;
using Platform.Jobs.Workers;

// Queue benchmarks: claims per second, enqueue-to-start latency, idle load per worker, recovery
// time of a dead worker's job. Each run uses a fresh database on the server given as argument 1.
var server = args.Length > 0 ? args[0] : throw new ArgumentException("usage: QueueBench <server connection string> [all|claims|latency|idle|recovery|compare]");
var which = args.Length > 1 ? args[1] : "all";
var workers = int.Parse(Environment.GetEnvironmentVariable("WORKERS") ?? "4");

// `compare` (platform queue vs Hangfire.PostgreSql) and the child processes it kills.
if (which == "victim-own")
    await Compare.OwnVictimAsync(server);
if (which == "victim-hangfire")
    await Compare.HangfireVictimAsync(server);
if (which == "compare")
    await Compare.RunAsync(server, workers, int.Parse(Environment.GetEnvironmentVariable("JOBS") ?? "2000"));
if (which is "all" or "claims")
    await Bench.ClaimsAsync(server, workers, int.Parse(Environment.GetEnvironmentVariable("JOBS") ?? "5000"));
if (which is "all" or "latency")
    await Bench.LatencyAsync(server, workers, 300);
if (which is "all" or "idle")
    await Bench.IdleAsync(server, workers, TimeSpan.FromSeconds(int.Parse(Environment.GetEnvironmentVariable("IDLE_SECONDS") ?? "60")));
if (which is "all" or "recovery")
    await Bench.RecoveryAsync(server, workers);

internal static class Bench
{
    public static async Task ClaimsAsync(string server, int workerCount, int jobs)
    {
        await using var env = await BenchDatabase.CreateAsync(server, tenants: 4);
        // Enqueued up front and not timed: this measures how fast workers drain a backlog.
        for (var i = 0; i < jobs; i++)
            await env.Queue.EnqueueAsync(new JobSubmission(env.Tenants[i % env.Tenants.Count], "noop", $"n{i}", "{}"));
        var handler = new RecordingHandler();
        var clock = Stopwatch.StartNew();
        var slots = int.Parse(Environment.GetEnvironmentVariable("SLOTS") ?? "1");
        await using var pool = await WorkerPool.StartAsync(env, workerCount, handler, o => o.Slots = slots);
        // The queue table empties as jobs finish; probing it is cheap next to counting finished jobs.
        while (await env.CountAsync("SELECT count(*) FROM (SELECT 1 FROM job_queue LIMIT 1) q") > 0)
            await Task.Delay(50);
        clock.Stop();
        Console.WriteLine($"claims: {jobs} no-op jobs, {workerCount} workers x {slots} slot(s): {jobs / clock.Elapsed.TotalSeconds:F0} jobs/s " +
                          $"(claim + complete each; {clock.Elapsed.TotalSeconds:F2} s)");
    }

    public static async Task LatencyAsync(string server, int workerCount, int samples)
    {
        await using var env = await BenchDatabase.CreateAsync(server, tenants: 1);
        var handler = new RecordingHandler();
        await using var pool = await WorkerPool.StartAsync(env, workerCount, handler, o => { });
        var latencies = new List<double>();
        for (var i = 0; i < samples; i++)
        {
            var enqueued = Stopwatch.GetTimestamp();
            var id = await env.Queue.EnqueueAsync(new JobSubmission(env.Tenants[0], "noop", $"l{i}", "{}"));
            var started = await handler.WaitStartAsync(id);
            latencies.Add(Stopwatch.GetElapsedTime(enqueued, started).TotalMilliseconds);
            await Task.Delay(10);
        }
        latencies.Sort();
        Console.WriteLine($"latency: enqueue commit to handler start, {samples} jobs, idle workers woken by NOTIFY: " +
                          $"p50 {Percentile(latencies, 0.50):F1} ms, p99 {Percentile(latencies, 0.99):F1} ms, max {latencies[^1]:F1} ms");
    }

    public static async Task IdleAsync(string server, int workerCount, TimeSpan window)
    {
        await using var env = await BenchDatabase.CreateAsync(server, tenants: 1);
        await using var pool = await WorkerPool.StartAsync(env, workerCount, new RecordingHandler(), o => { });
        await Task.Delay(TimeSpan.FromSeconds(2));
        var before = await env.TransactionsAsync();
        await Task.Delay(window);
        var after = await env.TransactionsAsync();
        // Two of the counted transactions are this measurement's own reads.
        var perWorker = (after - before - 2) / window.TotalSeconds / workerCount;
        Console.WriteLine($"idle: {workerCount} idle workers over {window.TotalSeconds:F0} s (default options): " +
                          $"{perWorker:F3} queries/s per worker");
    }

    public static async Task RecoveryAsync(string server, int workerCount)
    {
        await using var env = await BenchDatabase.CreateAsync(server, tenants: 1);
        var handler = new RecordingHandler();
        var id = await env.Queue.EnqueueAsync(new JobSubmission(env.Tenants[0], "noop", "orphan", "{}"));
        // A worker claims the job with the default lease and dies at once: no renewal, no release.
        var dead = Guid.CreateVersion7();
        await env.ExecuteAsync($"INSERT INTO workers (id, name, device_kind, device_name, slots) VALUES ('{dead}', 'dead', 'cpu', 'CPU', 1)");
        var lease = new WorkerOptions().Lease;
        var claimed = await env.Queue.ClaimAsync(dead, lease, "cpu") ?? throw new InvalidOperationException("claim failed");
        var died = Stopwatch.GetTimestamp();
        await using var pool = await WorkerPool.StartAsync(env, workerCount, handler, o => { });
        var started = await handler.WaitStartAsync(claimed.JobId, TimeSpan.FromMinutes(3));
        Console.WriteLine($"recovery: job of a killed worker restarted on another after {Stopwatch.GetElapsedTime(died, started).TotalSeconds:F1} s " +
                          $"(lease {lease.TotalSeconds:F0} s, sweep every {new WorkerOptions().RecoverEvery.TotalSeconds:F0} s)");
    }

    private static double Percentile(List<double> sorted, double p) =>
        sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];
}

internal sealed class RecordingHandler(TimeSpan? duration = null) : IJobHandler
{
    private readonly ConcurrentDictionary<Guid, TaskCompletionSource<long>> _starts = new();

    public string Kind => "noop";

    /// <summary>Each job's (latest) start.</summary>
    public ConcurrentDictionary<Guid, long> Starts { get; } = new();

    public async Task<string?> RunAsync(JobContext context)
    {
        var now = Stopwatch.GetTimestamp();
        Starts[context.Job.JobId] = now;
        Slot(context.Job.JobId).TrySetResult(now);
        if (duration is { } busy)
            await Task.Delay(busy);
        return null;
    }

    public Task<long> WaitStartAsync(Guid id, TimeSpan? timeout = null) =>
        Slot(id).Task.WaitAsync(timeout ?? TimeSpan.FromSeconds(30));

    private TaskCompletionSource<long> Slot(Guid id) =>
        _starts.GetOrAdd(id, _ => new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously));
}

internal sealed class WorkerPool : IAsyncDisposable
{
    private readonly List<JobWorker> _workers;

    private WorkerPool(List<JobWorker> workers) => _workers = workers;

    public static async Task<WorkerPool> StartAsync(BenchDatabase env, int count, IJobHandler handler, Action<WorkerOptions> configure)
    {
        var workers = new List<JobWorker>();
        for (var i = 0; i < count; i++)
        {
            var options = new WorkerOptions { Name = $"bench-{i}" };
            configure(options);
            // Each worker gets its own data source, as separate processes would.
            var worker = new JobWorker(env.NewDataSource(), env.Queue, [handler], Options.Create(options), NullLogger<JobWorker>.Instance);
            await worker.StartAsync(CancellationToken.None);
            workers.Add(worker);
        }
        return new WorkerPool(workers);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var worker in _workers)
            await worker.StopAsync(CancellationToken.None);
    }
}

internal sealed class BenchDatabase : IAsyncDisposable
{
    private readonly string _server;
    private readonly string _name;
    private readonly string _connectionString;
    private readonly List<NpgsqlDataSource> _sources = [];

    private BenchDatabase(string server, string name, string connectionString)
    {
        _server = server;
        _name = name;
        _connectionString = connectionString;
        DataSource = NewDataSource();
        // The queue gets its own pool, as AddJobQueue gives it in the worker and portal hosts.
        var queueSource = JobQueue.CreateDataSource(connectionString);
        _sources.Add(queueSource);
        Queue = new JobQueue(queueSource);
    }

    public NpgsqlDataSource DataSource { get; }

    public string ConnectionString => _connectionString;

    public JobQueue Queue { get; }

    public List<Guid> Tenants { get; } = [];

    public static async Task<BenchDatabase> CreateAsync(string server, int tenants)
    {
        var name = $"queue_bench_{Guid.NewGuid():N}";
        await using (var admin = new NpgsqlConnection(server))
        {
            await admin.OpenAsync();
            await new NpgsqlCommand($"CREATE DATABASE \"{name}\"", admin).ExecuteNonQueryAsync();
        }
        var env = new BenchDatabase(server, name, new NpgsqlConnectionStringBuilder(server) { Database = name }.ConnectionString);
        await new SqlMigrator(env.DataSource, MigrationScripts.Embedded(), NullLogger<SqlMigrator>.Instance).MigrateAsync();
        for (var i = 0; i < tenants; i++)
        {
            var id = Guid.CreateVersion7();
            await env.ExecuteAsync($"INSERT INTO tenants (id, name, slug, status, created_at) VALUES ('{id}', 'Bench {i}', 'bench-{i}', 'Active', now())");
            await env.ExecuteAsync($"INSERT INTO tenant_job_limits (tenant_id, max_concurrent) VALUES ('{id}', 1000)");
            env.Tenants.Add(id);
        }
        return env;
    }

    public NpgsqlDataSource NewDataSource()
    {
        var source = NpgsqlDataSource.Create(_connectionString);
        _sources.Add(source);
        return source;
    }

    public async Task ExecuteAsync(string sql)
    {
        await using var command = DataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    public async Task<long> CountAsync(string sql)
    {
        await using var command = DataSource.CreateCommand(sql);
        return Convert.ToInt64(await command.ExecuteScalarAsync());
    }

    /// <summary>Committed plus rolled-back transactions of this database so far (statistics flushed first).</summary>
    public async Task<long> TransactionsAsync()
    {
        await Task.Delay(1500);
        return await CountAsync($"SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = '{_name}'");
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var source in _sources)
            await source.DisposeAsync();
        NpgsqlConnection.ClearAllPools();
        await using var admin = new NpgsqlConnection(_server);
        await admin.OpenAsync();
        await new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{_name}\" WITH (FORCE)", admin).ExecuteNonQueryAsync();
    }
}
