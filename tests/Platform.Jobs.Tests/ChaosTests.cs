using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Platform.Data.Migrations;
using Platform.Jobs.Queue;
using Platform.Jobs.Training;
using Platform.Training.Tests.Common;
using Platform.Training.Training;
using Xunit.Abstractions;

namespace Platform.Jobs.Tests;

/// <summary>
/// Faults on a schedule drawn at random (the seed is printed, so a run can be repeated): SIGKILLs of
/// worker processes, which come back on the same machine (same spool) a moment later; a PostgreSQL
/// outage longer than the lease; the artifact store made read-only. Then every job must have succeeded
/// without using an attempt, no two runs of a job may overlap, and every run must be billed for the time
/// its device worked, within a second: for a killed run, up to the kill.
/// The defaults fit CI (a few minutes); PLATFORM_CHAOS_JOBS, _WORKERS, _MINUTES (the fault window),
/// _EPOCHS, _SEED and _REPORT (a file for the summary) make the longer run of bench/chaos.
/// </summary>
[Collection(WorkerProcessCollection.Name)]
public sealed class ChaosTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly OwnCluster _cluster = new();
    private readonly WorkerProcesses _workers = new();
    private readonly string _root = Directory.CreateTempSubdirectory("platform-chaos-test-").FullName;
    private readonly Dictionary<string, Process> _live = new(StringComparer.Ordinal);
    private readonly List<KilledRun> _killed = [];
    private readonly StringBuilder _log = new();
    private NpgsqlDataSource _dataSource = null!;

    private static int Setting(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable("PLATFORM_CHAOS_" + name), CultureInfo.InvariantCulture, out var value) ? value : fallback;

    private string Store => Path.Combine(_root, "work");

    public async Task InitializeAsync()
    {
        await _cluster.StartAsync();
        _dataSource = NpgsqlDataSource.Create(_cluster.ServerConnectionString);
        await new SqlMigrator(_dataSource, MigrationScripts.Embedded(), NullLogger<SqlMigrator>.Instance).MigrateAsync();
    }

    public async Task DisposeAsync()
    {
        _workers.Dispose();
        await SetStoreWritableAsync(true);
        await _dataSource.DisposeAsync();
        NpgsqlConnection.ClearAllPools();
        await _cluster.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    // Not in the default suite: fault timings differ from run to run (a seed fixes the schedule, not the
    // machine's load), and it takes minutes. Seed 15088 once failed a job's attempt: a prune that lagged
    // behind an outage deleted the best weights the next resume point named (decision 0019, point 3;
    // RunStorageFencingTests). `PLATFORM_CHAOS=1 ./platform test` runs it.
    [Fact]
    [Trait("Category", "Chaos")]
    public async Task Chaos_KillsOutageAndReadOnlyStore_EveryJobSucceedsNoRunsOverlapAndBillingMatchesTheDevices()
    {
        var jobCount = Setting("JOBS", 6);
        var workerCount = Setting("WORKERS", 3);
        var window = TimeSpan.FromMinutes(Setting("MINUTES", 0) is > 0 and var m ? m : 1.5);
        var seed = Setting("SEED", Random.Shared.Next(1, 100_000));
        var random = new Random(seed);
        Note($"seed {seed}: {jobCount} jobs, {workerCount} workers, faults for {window.TotalMinutes:0.#} min");

        // 120 epochs keep six jobs busy through the whole fault window on a quiet 2-core machine (2 min 13 s
        // in all); 10, the old default, ended them in 23 s, before every kind of fault had happened. On a
        // loaded machine fewer are enough: PLATFORM_CHAOS_EPOCHS.
        var jobs = await EnqueueAsync(jobCount, Setting("EPOCHS", 120));
        for (var i = 1; i <= workerCount; i++)
            StartWorker($"w{i}");
        await WaitForAsync(async () => await ScalarAsync("SELECT count(*) FROM usage_segments") >= Math.Min(workerCount, jobCount), TimeSpan.FromMinutes(2));

        // The outage and the read-only store come once each per seven minutes of the window (at least
        // once), each at a drawn moment in the first half of its stretch, while jobs surely still run;
        // kills fill the time between, every 4-12 s.
        var started = DateTime.UtcNow;
        var perKind = Math.Max(1, (int)(window.TotalMinutes / 7));
        Queue<TimeSpan> Moments() => Enumerable.Range(0, perKind)
            .Select(i => window * ((i + 0.1 + 0.4 * random.NextDouble()) / perKind)).Order().ToQueue();
        var outages = Moments();
        var readOnly = Moments();
        var lease = TimeSpan.FromSeconds(10);
        int kills = 0, outageCount = 0, readOnlyCount = 0;
        while (DateTime.UtcNow - started < window && !await AllKnownToHaveEndedAsync())
        {
            var elapsed = DateTime.UtcNow - started;
            if (outages.TryPeek(out var at) && elapsed >= at)
            {
                outages.Dequeue();
                var down = lease + TimeSpan.FromSeconds(3 + random.Next(8));
                Note($"PostgreSQL down for {down.TotalSeconds:0} s (lease {lease.TotalSeconds:0} s)");
                await _cluster.StopAsync(random.Next(2) == 0 ? "fast" : "immediate");
                await Task.Delay(down);
                await _cluster.StartAsync();
                NpgsqlConnection.ClearAllPools();
                outageCount++;
            }
            else if (readOnly.TryPeek(out at) && elapsed >= at)
            {
                readOnly.Dequeue();
                var span = TimeSpan.FromSeconds(8 + random.Next(8));
                Note($"store read-only for {span.TotalSeconds:0} s");
                await SetStoreWritableAsync(false);
                await Task.Delay(span);
                await SetStoreWritableAsync(true);
                readOnlyCount++;
            }
            else
            {
                await KillOneAsync(random);
                kills++;
            }
            await Task.Delay(TimeSpan.FromSeconds(4 + random.Next(9)));
        }
        Note($"faults: {kills} SIGKILLs, {outageCount} PostgreSQL outages, {readOnlyCount} read-only store spells");
        // Faults the window did not reach still happen: each kind at least once in every run.
        if (outageCount == 0 || readOnlyCount == 0)
            throw new InvalidOperationException($"the jobs ended before every kind of fault happened; give them more epochs\n{_log}");

        await WaitForAsync(AllEndedAsync, TimeSpan.FromMinutes(Math.Max(6, window.TotalMinutes)));
        // Runs of killed workers are reported by their successors; those of the last kills may still be on the way.
        await Eventually.WaitAsync(async () => await ScalarAsync("SELECT count(*) FROM usage_segments WHERE NOT closed") == 0, TimeSpan.FromMinutes(1),
            async () => $"{_log}\nopen segments:\n{string.Join('\n', await RowsAsync("""
                SELECT s.job_id || ' ' || s.attempt || '.' || s.segment || ' token ' || s.lease_token || ' on ' || coalesce(w.name, '?')
                       || ' started ' || s.started_at || ' lost ' || coalesce(s.lost_at::text, '-') || ' recovered ' || coalesce(s.recovered_at::text, '-')
                FROM usage_segments s LEFT JOIN workers w ON w.id = s.worker_id WHERE NOT s.closed
                """, r => r.GetString(0)))}\nspool: {string.Join(", ", Directory.EnumerateFiles(Path.Combine(_root, "spool"), "*.json", SearchOption.AllDirectories))}\n{string.Join('\n', _workers.Output)}");

        await AssertOutcomeAsync(jobs, kills, outageCount, readOnlyCount);
    }

    private async Task AssertOutcomeAsync(IReadOnlyList<Guid> jobs, int kills, int outageCount, int readOnlyCount)
    {
        // Every job succeeded on its first attempt: no fault counted against it, and none left an error.
        var states = await RowsAsync("SELECT state, attempt, error IS NULL, interruptions FROM jobs",
            r => (State: r.GetString(0), Attempt: r.GetInt32(1), NoError: r.GetBoolean(2), Interruptions: r.GetInt32(3)));
        Assert.Equal(jobs.Count, states.Count);
        Assert.All(states, s => Assert.Equal(("Succeeded", 1, true), (s.State, s.Attempt, s.NoError)));
        var interruptions = states.Sum(s => s.Interruptions);
        Assert.True(interruptions >= 1, "the faults interrupted some run");

        var segments = await RowsAsync("""
            SELECT job_id, lease_token, started_at, ended_at, closed, device_seconds, end_source, lost_at FROM usage_segments ORDER BY job_id, started_at
            """, r => new Segment(r.GetGuid(0), r.GetGuid(1), r.GetDateTime(2), r.GetDateTime(3), r.GetBoolean(4),
                r.IsDBNull(5) ? null : r.GetDouble(5), r.IsDBNull(6) ? null : r.GetString(6), r.IsDBNull(7) ? null : r.GetDateTime(7),
                _killed.Any(k => k.Token == r.GetGuid(1))));
        // Every run was reported by its worker (the killed ones by the worker restarted on their spool).
        Assert.All(segments, s => Assert.Equal((true, "worker"), (s.Closed, s.EndSource)));
        // Billed time is the device time the worker measured, within a second per run.
        Assert.All(segments, s => Assert.InRange(s.Seconds - s.DeviceSeconds!.Value, -1.0, 1.0));
        // No second of a job is billed twice: its runs follow each other.
        foreach (var job in segments.GroupBy(s => s.JobId))
        {
            var runs = job.ToList();
            for (var i = 1; i < runs.Count; i++)
                Assert.True(runs[i].Start >= runs[i - 1].End, $"runs of job {job.Key} overlap: {runs[i - 1]} and {runs[i]}");
        }
        // A killed run is billed up to the kill (its last spool write, Worker:SpoolEvery before it at most), not to a renewal.
        var byToken = segments.ToDictionary(s => s.Token);
        foreach (var killed in _killed)
        {
            var s = byToken[killed.Token];
            // Killed between its claim and its first spool write: the device never started on it, and the
            // claim's own spool record (decision 0019) ended it at its start, at zero seconds.
            if (s.DeviceSeconds == 0 && s.Seconds == 0)
                continue;
            Assert.InRange(s.End, killed.At.AddSeconds(-1), killed.At.AddMilliseconds(200));
        }

        var billed = segments.Sum(s => s.Seconds);
        var device = segments.Sum(s => s.DeviceSeconds!.Value);
        Note($"result: {jobs.Count}/{jobs.Count} jobs Succeeded on attempt 1, {interruptions} interruptions, {segments.Count} runs; " +
             $"billed {billed:0.0} s, devices measured {device:0.0} s (largest difference per run {segments.Max(s => Math.Abs(s.Seconds - s.DeviceSeconds!.Value)):0.000} s); " +
             $"{_killed.Count} killed runs billed to the kill; no overlapping runs");
        if (Environment.GetEnvironmentVariable("PLATFORM_CHAOS_REPORT") is { Length: > 0 } report)
            await File.WriteAllTextAsync(report, _log.ToString());
    }

    /// <summary>SIGKILL of a random live worker; the same machine starts it again (same name, same spool) 1-4 s later.</summary>
    private async Task KillOneAsync(Random random)
    {
        var name = _live.Keys.Order().ElementAt(random.Next(_live.Count));
        // The runs it holds now: after the kill, each must be billed up to the kill.
        List<Guid> tokens;
        try
        {
            tokens = await RowsAsync($"""
            SELECT q.lease_token FROM job_queue q JOIN workers w ON w.id = q.worker_id
            WHERE w.name = '{name}' AND q.lease_token IS NOT NULL
            """, r => r.GetGuid(0));
        }
        catch (NpgsqlException)
        {
            return; // the server is still coming back from an outage: no kill this time
        }
        var process = _live[name];
        process.Kill(entireProcessTree: true);
        // SIGKILL is sent when Kill returns: the device stops between here and the process's exit.
        var at = DateTime.UtcNow;
        await process.WaitForExitAsync();
        _killed.AddRange(tokens.Select(t => new KilledRun(t, at)));
        Note($"SIGKILL {name} ({tokens.Count} run(s))");
        await Task.Delay(TimeSpan.FromSeconds(1 + random.Next(4)));
        StartWorker(name);
    }

    private void StartWorker(string name) => _live[name] = _workers.Start(_cluster.ServerConnectionString, _root, name);

    /// <summary>
    /// The store refuses writes: as root (whom permissions do not stop) every file and folder is made
    /// immutable, as the fault run did; otherwise write permission is taken away.
    /// </summary>
    private async Task SetStoreWritableAsync(bool writable)
    {
        if (!Directory.Exists(Store))
            return;
        var (program, args) = Environment.UserName == "root"
            ? ("chattr", new[] { "-R", writable ? "-i" : "+i", Store })
            : ("chmod", new[] { "-R", writable ? "u+w" : "a-w", Store });
        using var process = Process.Start(new ProcessStartInfo(program, args) { RedirectStandardError = true })!;
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        // A file removed while chattr walked the tree is no failure; anything else is.
        if (process.ExitCode != 0 && !error.Contains("No such file", StringComparison.Ordinal))
            throw new InvalidOperationException($"{program} failed: {error}");
    }

    private async Task<IReadOnlyList<Guid>> EnqueueAsync(int count, int epochs)
    {
        var tenants = new[] { Guid.CreateVersion7(), Guid.CreateVersion7() };
        foreach (var (tenant, i) in tenants.Select((t, i) => (t, i)))
            await ExecuteAsync($"INSERT INTO tenants (id, name, slug, status, created_at) VALUES ('{tenant}', 'Chaos {i}', 'chaos-{i}', 'Active', now())");
        var data = Path.Combine(_root, "data");
        TestData.WriteImageFolders(data, perLabel: 48);
        var queue = new JobQueue(_dataSource);
        var jobs = new List<Guid>();
        for (var i = 0; i < count; i++)
        {
            var payload = new TrainingJobPayload(data, "cnn-28-grey", new TrainingOptions
            {
                Epochs = epochs, BatchSize = 8, Threads = 1, CheckpointEverySteps = 5, Seed = 11 + (ulong)i, EarlyStoppingPatience = 0,
            });
            jobs.Add(await queue.EnqueueAsync(new JobSubmission(tenants[i % 2], TrainingJobHandler.JobKind, $"chaos-{i}",
                JsonSerializer.Serialize(payload, new JsonSerializerOptions(JsonSerializerDefaults.Web)))));
        }
        return jobs;
    }

    /// <summary>False also while the server is still coming back from an outage.</summary>
    private async Task<bool> AllKnownToHaveEndedAsync()
    {
        try
        {
            return await AllEndedAsync();
        }
        catch (NpgsqlException)
        {
            return false;
        }
    }

    private async Task<bool> AllEndedAsync() =>
        await ScalarAsync("SELECT count(*) FROM jobs WHERE state NOT IN ('Succeeded', 'Failed', 'Cancelled')") == 0;

    private void Note(string line)
    {
        var stamped = $"{DateTime.UtcNow:HH:mm:ss} {line}";
        _log.AppendLine(stamped);
        output.WriteLine(stamped);
    }

    private Task WaitForAsync(Func<Task<bool>> condition, TimeSpan patience) =>
        Eventually.WaitAsync(condition, patience, async () => $"{_log}\n{await StatesAsync()}\n{string.Join('\n', _workers.Output)}");

    private async Task<string> StatesAsync()
    {
        try
        {
            return string.Join('\n', await RowsAsync("SELECT name, state, attempt, interruptions, coalesce(error, '') FROM jobs ORDER BY name",
                r => $"{r.GetString(0)} {r.GetString(1)} attempt {r.GetInt32(2)} interruptions {r.GetInt32(3)} {r.GetString(4)}"));
        }
        catch (NpgsqlException ex)
        {
            return ex.Message;
        }
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var command = _dataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    private async Task<long> ScalarAsync(string sql)
    {
        await using var command = _dataSource.CreateCommand(sql);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }

    private async Task<List<T>> RowsAsync<T>(string sql, Func<NpgsqlDataReader, T> read)
    {
        await using var command = _dataSource.CreateCommand(sql);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<T>();
        while (await reader.ReadAsync())
            rows.Add(read(reader));
        return rows;
    }

    /// <summary>A run's segment; LostAt and Killed say, in a failure message, whether its lease ran out and whether the test killed it.</summary>
    private sealed record Segment(Guid JobId, Guid Token, DateTime Start, DateTime End, bool Closed, double? DeviceSeconds, string? EndSource,
        DateTime? LostAt, bool Killed)
    {
        public double Seconds => (End - Start).TotalSeconds;
    }

    private sealed record KilledRun(Guid Token, DateTime At);
}

internal static class QueueExtensions
{
    public static Queue<T> ToQueue<T>(this IEnumerable<T> items) => new(items);
}
