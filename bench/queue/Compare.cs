using System.Collections.Concurrent;
using System.Diagnostics;
using Hangfire;
using Hangfire.PostgreSql;
using Hangfire.PostgreSql.Factories;
using Hangfire.Storage;
using Platform.Jobs.Queue;
using Platform.Jobs.Workers;

/// <summary>
/// `compare`: the platform's queue and Hangfire.PostgreSql side by side in one run, on the same
/// PostgreSQL, each in a fresh database: claims per second with 4 workers, enqueue-to-start latency,
/// recovery after a worker process is killed (kill -9 of a child process holding the job), and
/// fairness between 4 tenants with unequal backlogs. Hangfire is configured as a training-job carrier
/// would be: sliding invisibility timeout equal to our lease (30 s), LISTEN/NOTIFY long polling, and a
/// queue poll as often as our sweep (5 s); 4 servers of 1 worker each with their own storage instance
/// (and pool), as 4 worker processes would have.
/// </summary>
internal static class Compare
{
    private static readonly TimeSpan Lease = new WorkerOptions().Lease;

    public static async Task RunAsync(string server, int workers, int jobs)
    {
        Console.WriteLine($"compare: platform queue vs Hangfire.PostgreSql 1.21.1 (sliding invisibility {(Environment.GetEnvironmentVariable("HF_SLIDING") != "0" ? "on" : "off")}), " +
                          $"{workers} workers x 1, {Environment.ProcessorCount} cores, load average {LoadAverage()}");
        var ownClaims = await OwnClaimsAsync(server, workers, jobs);
        var hfClaims = await HangfireClaimsAsync(server, workers, jobs);
        var hfRate = double.Parse(hfClaims.Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
        Console.WriteLine($"claims ({jobs} no-op jobs, backlog drained): platform {ownClaims:F0} jobs/s, Hangfire {hfClaims} jobs/s, ratio {ownClaims / hfRate:F1}x");

        var ownLatency = await OwnLatencyAsync(server, workers, 200);
        var hfLatency = await HangfireLatencyAsync(server, workers, 200);
        Console.WriteLine($"latency (enqueue commit -> job start, 200 jobs to idle workers): platform p50 {P(ownLatency, .5):F1} ms p99 {P(ownLatency, .99):F1} ms; " +
                          $"Hangfire p50 {P(hfLatency, .5):F1} ms p99 {P(hfLatency, .99):F1} ms ({HangfireJobs.Stalls} not started within {StallAfter.TotalSeconds:F0} s); ratio p50 {P(hfLatency, .5) / P(ownLatency, .5):F1}x, p99 {P(hfLatency, .99) / P(ownLatency, .99):F1}x");

        var ownRecovery = await OwnRecoveryAsync(server, workers);
        var hfRecovery = await HangfireRecoveryAsync(server, workers);
        Console.WriteLine($"recovery (worker process killed holding the job -> job starts elsewhere): platform {ownRecovery:F1} s " +
                          $"(lease {Lease.TotalSeconds:F0} s, sweep 5 s), Hangfire {hfRecovery:F1} s (sliding invisibility {Lease.TotalSeconds:F0} s, poll 5 s)");

        int[] backlogs = [400, 200, 100, 50];
        var ownFair = await OwnFairnessAsync(server, workers, backlogs);
        var hfFair = await HangfireFairnessAsync(server, workers, backlogs);
        Console.WriteLine($"fairness (4 tenants, backlogs {string.Join('/', backlogs)} enqueued in that order, 20 ms jobs):");
        Console.WriteLine($"  platform: {ownFair}");
        Console.WriteLine($"  Hangfire: {hfFair}");
    }

    // ---------------------------------------------------------------- platform queue

    private static async Task<double> OwnClaimsAsync(string server, int workers, int jobs)
    {
        await using var env = await BenchDatabase.CreateAsync(server, tenants: 4);
        for (var i = 0; i < jobs; i++)
            await env.Queue.EnqueueAsync(new JobSubmission(env.Tenants[i % env.Tenants.Count], "noop", $"n{i}", "{}"));
        var clock = Stopwatch.StartNew();
        await using (await WorkerPool.StartAsync(env, workers, new RecordingHandler(), o => { }))
        {
            while (await env.CountAsync("SELECT count(*) FROM (SELECT 1 FROM job_queue LIMIT 1) q") > 0)
                await Task.Delay(20);
            clock.Stop();
        }
        return jobs / clock.Elapsed.TotalSeconds;
    }

    private static async Task<List<double>> OwnLatencyAsync(string server, int workers, int samples)
    {
        await using var env = await BenchDatabase.CreateAsync(server, tenants: 1);
        var handler = new RecordingHandler();
        await using var pool = await WorkerPool.StartAsync(env, workers, handler, o => { });
        var latencies = new List<double>();
        for (var i = 0; i < samples; i++)
        {
            var enqueued = Stopwatch.GetTimestamp();
            var id = await env.Queue.EnqueueAsync(new JobSubmission(env.Tenants[0], "noop", $"l{i}", "{}"));
            latencies.Add(Stopwatch.GetElapsedTime(enqueued, await handler.WaitStartAsync(id)).TotalMilliseconds);
            await Task.Delay(10);
        }
        latencies.Sort();
        return latencies;
    }

    private static async Task<double> OwnRecoveryAsync(string server, int workers)
    {
        await using var env = await BenchDatabase.CreateAsync(server, tenants: 1);
        var id = await env.Queue.EnqueueAsync(new JobSubmission(env.Tenants[0], "noop", "orphan", "{}"));
        // A worker process claims the job and is killed (SIGKILL): no renewal, no release.
        var died = await KillVictimAsync("victim-own", env.ConnectionString);
        var handler = new RecordingHandler();
        await using var pool = await WorkerPool.StartAsync(env, workers, handler, o => { });
        return Stopwatch.GetElapsedTime(died, await handler.WaitStartAsync(id, TimeSpan.FromMinutes(3))).TotalSeconds;
    }

    /// <summary>Child process: claims one job as a worker would and waits to be killed.</summary>
    public static async Task OwnVictimAsync(string connectionString)
    {
        await using var source = JobQueue.CreateDataSource(connectionString);
        var queue = new JobQueue(source);
        var worker = Guid.CreateVersion7();
        await using (var command = source.CreateCommand($"INSERT INTO workers (id, name, device_kind, device_name, slots) VALUES ('{worker}', 'victim', 'cpu', 'CPU', 1)"))
            await command.ExecuteNonQueryAsync();
        _ = await queue.ClaimAsync(worker, Lease, "cpu") ?? throw new InvalidOperationException("nothing to claim");
        Console.WriteLine("holding");
        await Task.Delay(Timeout.Infinite);
    }

    private static async Task<string> OwnFairnessAsync(string server, int workers, int[] backlogs)
    {
        await using var env = await BenchDatabase.CreateAsync(server, tenants: backlogs.Length);
        var handler = new RecordingHandler(TimeSpan.FromMilliseconds(20));
        var tenantOf = new Dictionary<Guid, int>();
        for (var t = 0; t < backlogs.Length; t++)
            for (var i = 0; i < backlogs[t]; i++)
                tenantOf[await env.Queue.EnqueueAsync(new JobSubmission(env.Tenants[t], "noop", $"t{t}-{i}", "{}"))] = t;
        var clock = Stopwatch.GetTimestamp();
        await using (await WorkerPool.StartAsync(env, workers, handler, o => { }))
        {
            while (await env.CountAsync("SELECT count(*) FROM (SELECT 1 FROM job_queue LIMIT 1) q") > 0)
                await Task.Delay(20);
        }
        return Fairness(handler.Starts.Select(s => (tenantOf[s.Key], s.Value)).ToList(), clock, backlogs);
    }

    // ---------------------------------------------------------------- Hangfire

    private static PostgreSqlStorage Storage(string connectionString)
    {
        var options = new PostgreSqlStorageOptions
        {
            SchemaName = "hangfire",
            PrepareSchemaIfNecessary = true,
            UseSlidingInvisibilityTimeout = Environment.GetEnvironmentVariable("HF_SLIDING") != "0",
            InvisibilityTimeout = Lease,
            EnableLongPolling = true,
            QueuePollInterval = TimeSpan.FromSeconds(5),
        };
        return new PostgreSqlStorage(new NpgsqlConnectionFactory(connectionString, options), options);
    }

    private sealed class Servers : IDisposable
    {
        private readonly List<BackgroundJobServer> _servers = [];

        public Servers(string connectionString, int count)
        {
            for (var i = 0; i < count; i++)
                _servers.Add(new BackgroundJobServer(new BackgroundJobServerOptions { WorkerCount = 1, ServerName = $"bench-{i}" }, Storage(connectionString)));
        }

        public void Dispose()
        {
            foreach (var server in _servers)
                server.SendStop();
            foreach (var server in _servers)
                server.Dispose();
        }
    }

    private static async Task<string> HangfireClaimsAsync(string server, int workers, int jobs)
    {
        await using var env = await BenchDatabase.CreateAsync(server, tenants: 0);
        var client = new BackgroundJobClient(Storage(env.ConnectionString));
        for (var i = 0; i < jobs; i++)
            client.Enqueue(() => HangfireJobs.Noop(Guid.Empty, 0));
        var clock = Stopwatch.StartNew();
        using (new Servers(env.ConnectionString, workers))
        {
            var (done, at, stuck) = await DrainAsync(env, clock);
            return stuck == 0
                ? $"{done / at.TotalSeconds:F0}"
                : $"{done / at.TotalSeconds:F0} (then stalled: {stuck} fetched job(s) never started in {StallAfter.TotalSeconds:F0} s)";
        }
    }

    /// <summary>How long the queue may make no progress before a run is reported as stalled.</summary>
    private static readonly TimeSpan StallAfter = TimeSpan.FromSeconds(45);

    /// <summary>
    /// Waits until Hangfire's queue is empty, or until it has not shrunk for <see cref="StallAfter"/>
    /// (seen in trial runs: a worker that fetched a job and never moved it to Processing, its fetch kept
    /// alive by the sliding heartbeat). Returns the jobs finished, when the last finished, and how many stayed.
    /// </summary>
    private static async Task<(long Done, TimeSpan At, long Stuck)> DrainAsync(BenchDatabase env, Stopwatch clock)
    {
        var total = await env.CountAsync("SELECT count(*) FROM hangfire.job");
        var remaining = await env.CountAsync("SELECT count(*) FROM hangfire.jobqueue");
        var progressAt = clock.Elapsed;
        while (remaining > 0 && clock.Elapsed - progressAt < StallAfter)
        {
            await Task.Delay(20);
            var now = await env.CountAsync("SELECT count(*) FROM hangfire.jobqueue");
            if (now < remaining)
                progressAt = clock.Elapsed;
            remaining = now;
        }
        return (total - remaining, progressAt, remaining);
    }

    private static async Task<List<double>> HangfireLatencyAsync(string server, int workers, int samples)
    {
        await using var env = await BenchDatabase.CreateAsync(server, tenants: 0);
        var client = new BackgroundJobClient(Storage(env.ConnectionString));
        using var servers = new Servers(env.ConnectionString, workers);
        // Let the servers start their fetch loops (LISTEN) before timing.
        await Task.Delay(TimeSpan.FromSeconds(2));
        var latencies = new List<double>();
        for (var i = 0; i < samples; i++)
        {
            var id = Guid.NewGuid();
            var enqueued = Stopwatch.GetTimestamp();
            client.Enqueue(() => HangfireJobs.Noop(id, 0));
            try
            {
                latencies.Add(Stopwatch.GetElapsedTime(enqueued, await HangfireJobs.WaitStartAsync(id, StallAfter)).TotalMilliseconds);
            }
            catch (TimeoutException)
            {
                // A stalled fetch (see DrainAsync): counted as the wait it caused.
                latencies.Add(StallAfter.TotalMilliseconds);
                HangfireJobs.Stalls++;
            }
            await Task.Delay(10);
        }
        latencies.Sort();
        return latencies;
    }

    private static async Task<double> HangfireRecoveryAsync(string server, int workers)
    {
        await using var env = await BenchDatabase.CreateAsync(server, tenants: 0);
        var id = Guid.NewGuid();
        new BackgroundJobClient(Storage(env.ConnectionString)).Enqueue(() => HangfireJobs.Noop(id, 0));
        // A worker process fetches the job with Hangfire's own fetch (its sliding heartbeat running) and is killed.
        var died = await KillVictimAsync("victim-hangfire", env.ConnectionString);
        using var servers = new Servers(env.ConnectionString, workers);
        return Stopwatch.GetElapsedTime(died, await HangfireJobs.WaitStartAsync(id, TimeSpan.FromMinutes(3))).TotalSeconds;
    }

    /// <summary>Child process: a Hangfire server of one worker that takes the one job (which then blocks) and waits to be killed.</summary>
    public static async Task HangfireVictimAsync(string connectionString)
    {
        HangfireJobs.BlockForever = true;
        var storage = Storage(connectionString);
        using var server = new BackgroundJobServer(new BackgroundJobServerOptions { WorkerCount = 1, ServerName = "victim" }, storage);
        // The job is Noop(id, 0) enqueued by the parent; this process's Hangfire calls it, and it blocks there.
        await HangfireJobs.AnyStartAsync();
        Console.WriteLine("holding");
        await Task.Delay(Timeout.Infinite);
    }

    private static async Task<string> HangfireFairnessAsync(string server, int workers, int[] backlogs)
    {
        await using var env = await BenchDatabase.CreateAsync(server, tenants: 0);
        var client = new BackgroundJobClient(Storage(env.ConnectionString));
        var tenantOf = new Dictionary<Guid, int>();
        for (var t = 0; t < backlogs.Length; t++)
        {
            for (var i = 0; i < backlogs[t]; i++)
            {
                var id = Guid.NewGuid();
                tenantOf[id] = t;
                client.Enqueue(() => HangfireJobs.Noop(id, 20));
            }
        }
        var clock = Stopwatch.GetTimestamp();
        long stuck;
        using (new Servers(env.ConnectionString, workers))
            (_, _, stuck) = await DrainAsync(env, Stopwatch.StartNew());
        return (stuck > 0 ? $"[{stuck} job(s) stalled] " : "") + Fairness(HangfireJobs.Starts.Where(s => tenantOf.ContainsKey(s.Key)).Select(s => (tenantOf[s.Key], s.Value)).ToList(), clock, backlogs);
    }

    // ---------------------------------------------------------------- shared

    private static async Task<long> KillVictimAsync(string mode, string connectionString)
    {
        using var victim = Process.Start(new ProcessStartInfo("dotnet", [typeof(Compare).Assembly.Location, connectionString, mode])
        {
            RedirectStandardOutput = true,
        })!;
        while (await victim.StandardOutput.ReadLineAsync() is { } line && line != "holding")
        {
        }
        victim.Kill(entireProcessTree: true);
        var died = Stopwatch.GetTimestamp();
        await victim.WaitForExitAsync();
        return died;
    }

    /// <summary>
    /// Each tenant's share of the starts while every tenant still had work queued (the smallest backlog
    /// times the number of tenants: 25 % each is fair), its first start and when its last job started.
    /// </summary>
    private static string Fairness(List<(int Tenant, long At)> starts, long clock, int[] backlogs)
    {
        starts.Sort((a, b) => a.At.CompareTo(b.At));
        var window = backlogs.Min() * backlogs.Length;
        var share = starts.Take(window).GroupBy(s => s.Tenant).ToDictionary(g => g.Key, g => g.Count());
        return string.Join("; ", Enumerable.Range(0, backlogs.Length).Select(t =>
        {
            var mine = starts.Where(s => s.Tenant == t).ToList();
            if (mine.Count == 0)
                return $"tenant {(char)('A' + t)} ({backlogs[t]}): no job started";
            return $"tenant {(char)('A' + t)} ({backlogs[t]}): {100.0 * share.GetValueOrDefault(t) / window:F0} % of the first {window} starts, " +
                   $"first start {Stopwatch.GetElapsedTime(clock, mine[0].At).TotalSeconds:F2} s, last {Stopwatch.GetElapsedTime(clock, mine[^1].At).TotalSeconds:F2} s";
        }));
    }

    private static double P(List<double> sorted, double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "?";
}

/// <summary>Hangfire's job: a static method, so no activator is needed. Records its start like RecordingHandler.</summary>
public static class HangfireJobs
{
    private static readonly ConcurrentDictionary<Guid, TaskCompletionSource<long>> Slots = new();
    private static readonly TaskCompletionSource AnyStart = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal static readonly ConcurrentDictionary<Guid, long> Starts = new();

    internal static volatile bool BlockForever;

    internal static int Stalls;

    public static void Noop(Guid id, int milliseconds)
    {
        var now = Stopwatch.GetTimestamp();
        Starts[id] = now;
        Slot(id).TrySetResult(now);
        AnyStart.TrySetResult();
        if (BlockForever)
            Thread.Sleep(Timeout.Infinite);
        if (milliseconds > 0)
            Thread.Sleep(milliseconds);
    }

    internal static Task AnyStartAsync() => AnyStart.Task;

    internal static Task<long> WaitStartAsync(Guid id, TimeSpan timeout) => Slot(id).Task.WaitAsync(timeout);

    private static TaskCompletionSource<long> Slot(Guid id) =>
        Slots.GetOrAdd(id, _ => new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously));
}
