using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Platform.Billing.Reconciliation;
using Platform.Billing.Usage;
using Platform.Data.Migrations;
using Platform.Jobs.Metering;
using Platform.Jobs.Queue;
using Platform.Jobs.Training;
using Platform.Training.Tests.Common;
using Platform.Training.Training;
using Xunit.Abstractions;

namespace Platform.Jobs.Tests;

/// <summary>
/// Faults injected into running jobs, each when the jobs have reached a point of their own, never at a
/// moment on the clock (a clock-driven schedule missed the jobs on a quiet machine and could miss the
/// faults' aim on a loaded one): SIGKILLs of worker processes, which come back on the same machine (same
/// spool) a moment later, each while its victim's run has not yet published a checkpoint, right after
/// it published one, or once it trained some steps past one; a PostgreSQL outage longer than the lease while a job is mid-epoch;
/// the artifact store made read-only while a job trains, until a checkpoint write was refused. A seed
/// draws the plan (order, victims, kill points, gaps in steps, durations); it is printed, and a failure's
/// message starts with it, so PLATFORM_CHAOS_SEED=... replays the same plan. Then every job must have
/// succeeded without using an attempt, no two runs of a job may overlap, every run that resumed must have
/// resumed at the job's resume point when it was claimed, and every run must be billed for the time its
/// device worked, within a second: for a killed run, up to the kill.
/// The defaults fit CI (3 jobs of 5 epochs, 4 kills, an outage and a read-only spell: 1-3 min on the 2-core build machine under load);
/// PLATFORM_CHAOS_JOBS, _WORKERS, _EPOCHS, _KILLS, _OUTAGES, _READONLY, _SEED and _REPORT (a file for the
/// summary) make the longer run of bench/chaos.
/// </summary>
[Collection(WorkerProcessCollection.Name)]
public sealed class ChaosTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int CheckpointEvery = 5;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(10);
    private const string Fresh = "interval '6 seconds'";
    // A reported segment spans the device time its worker measured (its start is its stop less that time,
    // a trigger of migration 0220); only the microseconds of the interval arithmetic may differ.
    private const double Exact = 0.01;
    // Finer than the default 1 s, so the plan sees a run's steps as they happen.
    // The workers log one line an entry with its time (UTC), so a failure's excerpt can be laid beside the plan's notes.
    private static readonly Dictionary<string, string> WorkerSettings = new()
    {
        ["Training__ReportEvery"] = "00:00:00.250",
        ["Logging__Console__FormatterName"] = "simple",
        ["Logging__Console__FormatterOptions__SingleLine"] = "true",
        ["Logging__Console__FormatterOptions__TimestampFormat"] = "HH:mm:ss.fff ",
        ["Logging__Console__FormatterOptions__UseUtcTimestamp"] = "true",
    };

    private readonly OwnCluster _cluster = new();
    private readonly WorkerProcesses _workers = new();
    private readonly string _root = Directory.CreateTempSubdirectory("platform-chaos-test-").FullName;
    private readonly Dictionary<string, Process> _live = new(StringComparer.Ordinal);
    private readonly HashSet<Guid> _deadWorkers = [];
    private readonly List<KilledRun> _killed = [];
    private readonly List<(Guid Token, DateTime Down)> _outageRuns = [];
    private readonly Dictionary<Guid, long> _stepsSeen = [];
    private readonly List<Guid> _jobs = [];
    private readonly StringBuilder _log = new();
    private NpgsqlDataSource _dataSource = null!;
    private string _data = "";
    private Guid[] _tenants = [];
    private int _epochs;

    private static int Setting(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable("PLATFORM_CHAOS_" + name), CultureInfo.InvariantCulture, out var value) ? value : fallback;

    /// <summary>The artifact store's root (Storage:Root): checkpoints and models go there.</summary>
    private string Store => Path.Combine(_root, "store");

    public async Task InitializeAsync()
    {
        await _cluster.StartAsync();
        _dataSource = NpgsqlDataSource.Create(_cluster.ServerConnectionString);
        await new SqlMigrator(_dataSource, MigrationScripts.Embedded(), NullLogger<SqlMigrator>.Instance).MigrateAsync();
        // The test's own record of every claim with the job's resume point at that moment (its own
        // cluster, so nothing else sees it): a run must resume from exactly that point (decision 0019).
        await ExecuteAsync("""
            CREATE TABLE chaos_claims (job_id uuid NOT NULL, lease_token uuid NOT NULL, resume_step bigint, at timestamptz NOT NULL DEFAULT clock_timestamp());
            CREATE FUNCTION chaos_record_claim() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                INSERT INTO chaos_claims (job_id, lease_token, resume_step)
                SELECT NEW.job_id, NEW.last_token, j.checkpoint_step FROM jobs j WHERE j.id = NEW.job_id;
                RETURN NEW;
            END $$;
            CREATE TRIGGER chaos_claims AFTER UPDATE OF last_token ON job_queue
                FOR EACH ROW WHEN (NEW.last_token IS DISTINCT FROM OLD.last_token AND NEW.last_token IS NOT NULL)
                EXECUTE FUNCTION chaos_record_claim();
            """);
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

    [Fact]
    [Trait("Category", "Chaos")]
    public async Task Chaos_KillsOutageAndReadOnlyStore_EveryJobSucceedsNoRunsOverlapAndBillingMatchesTheDevices()
    {
        var jobCount = Setting("JOBS", 3);
        var workerCount = Setting("WORKERS", 3);
        _epochs = Setting("EPOCHS", 5);
        var seed = Setting("SEED", Random.Shared.Next(1, 100_000));
        var random = new Random(seed);
        var plan = Enumerable.Repeat(Fault.Kill, Setting("KILLS", 4))
            .Concat(Enumerable.Repeat(Fault.Outage, Setting("OUTAGES", 1)))
            .Concat(Enumerable.Repeat(Fault.ReadOnly, Setting("READONLY", 1)))
            .OrderBy(_ => random.Next()).ToList();
        Note($"seed {seed}: {jobCount} jobs of {_epochs} epochs, {workerCount} workers; plan: {string.Join(", ", plan)}");
        var watch = Stopwatch.StartNew();
        try
        {
            await RunAsync(plan, jobCount, workerCount, random);
        }
        catch (Exception ex)
        {
            await WriteReportAsync();
            throw new ChaosFailure($"chaos seed {seed} failed after {watch.Elapsed.TotalSeconds:0} s (replay: PLATFORM_CHAOS_SEED={seed}): {ex.Message}\n{_log}", ex);
        }
        Note($"{watch.Elapsed.TotalSeconds:0} s in all");
        await WriteReportAsync();
    }

    private async Task WriteReportAsync()
    {
        if (Environment.GetEnvironmentVariable("PLATFORM_CHAOS_REPORT") is { Length: > 0 } report)
            await File.WriteAllTextAsync(report, _log.ToString());
    }

    private async Task RunAsync(List<Fault> plan, int jobCount, int workerCount, Random random)
    {
        _tenants = [Guid.CreateVersion7(), Guid.CreateVersion7()];
        foreach (var (tenant, i) in _tenants.Select((t, i) => (t, i)))
            await ExecuteAsync($"INSERT INTO tenants (id, name, slug, status, created_at) VALUES ('{tenant}', 'Chaos {i}', 'chaos-{i}', 'Active', now())");
        _data = Path.Combine(_root, "data");
        TestData.WriteImageFolders(_data, perLabel: 48);
        for (var i = 0; i < jobCount; i++)
            await EnqueueAsync();
        for (var i = 1; i <= workerCount; i++)
            StartWorker($"w{i}");

        // Gaps between faults are drawn in steps of training: together they span about half of the jobs'
        // work, so faults land from the first runs to the last, whatever the machine's speed.
        var first = await WaitForSnapshotAsync(s => s.Any(j => j.TotalSteps > 0), "a job reports its first step", TimeSpan.FromMinutes(3));
        Note($"first step reported ({first.Max(j => j.TotalSteps)} steps a job)");
        var work = first.Max(j => j.TotalSteps) * jobCount;
        var meanGap = Math.Max(CheckpointEvery, work * 0.5 / Math.Max(1, plan.Count));
        int kills = 0, outages = 0, readOnly = 0, extraJobs = 0;
        var nextAt = 0L;
        foreach (var fault in plan)
        {
            nextAt += (long)(meanGap * (0.5 + random.NextDouble()));
            var preferred = (KillPoint)random.Next(3);
            var extra = random.Next(1, CheckpointEvery);
            // The fault's aim: a run of a live worker at the point the fault needs. Should every job have
            // ended first (a fast machine), the test submits one more job, as a tenant would.
            var targets = await WaitForTargetAsync(nextAt, j => fault switch
            {
                Fault.Kill => true,
                // Mid-epoch, after a checkpoint of its own, with work left.
                Fault.Outage => j.PublishedInRun && j.Step % (j.TotalSteps / _epochs) != 0 && j.Step < j.TotalSteps - CheckpointEvery,
                _ => j.PublishedInRun && j.Step < j.TotalSteps - 2 * CheckpointEvery,
            }, () => extraJobs++);
            // A kill takes a run at the drawn point of its own if one is there: not yet past its first
            // checkpoint, just past a checkpoint it published, or `extra` steps or more past one (work to redo).
            KillPoint PointOf(JobState j) => !j.PublishedInRun ? KillPoint.Claimed
                : j.Step >= j.CheckpointStep + extra ? KillPoint.PastCheckpoint : KillPoint.Checkpointed;
            var kind = targets.Any(j => PointOf(j) == preferred) ? preferred : PointOf(targets[random.Next(targets.Count)]);
            if (fault == Fault.Kill)
                targets = targets.Where(j => PointOf(j) == kind).ToList();
            var picked = targets[random.Next(targets.Count)];
            switch (fault)
            {
                case Fault.Kill:
                    await KillAsync(picked, kind, random);
                    kills++;
                    break;
                case Fault.Outage:
                    await OutageAsync(picked, random);
                    outages++;
                    break;
                default:
                    await ReadOnlyAsync(picked, random);
                    readOnly++;
                    break;
            }
        }
        Note($"faults: {kills} SIGKILLs, {outages} PostgreSQL outages, {readOnly} read-only store spells; {extraJobs} job(s) submitted to keep work in flight");

        await WaitForAsync(AllEndedAsync, TimeSpan.FromMinutes(10));
        Note("every job ended");
        // Runs of killed workers are reported by their successors; those of the last kills may still be on the way.
        await Eventually.WaitAsync(async () => await ScalarAsync("SELECT count(*) FROM usage_segments WHERE NOT closed") == 0, TimeSpan.FromMinutes(1),
            async () => $"open segments:\n{string.Join('\n', await RowsAsync("""
                SELECT s.job_id || ' ' || s.attempt || '.' || s.segment || ' token ' || s.lease_token || ' on ' || coalesce(w.name, '?')
                       || ' started ' || s.started_at || ' lost ' || coalesce(s.lost_at::text, '-') || ' recovered ' || coalesce(s.recovered_at::text, '-')
                FROM usage_segments s LEFT JOIN workers w ON w.id = s.worker_id WHERE NOT s.closed
                """, r => r.GetString(0)))}\nspool: {string.Join(", ", Directory.EnumerateFiles(Path.Combine(_root, "spool"), "*.json", SearchOption.AllDirectories))}\n{WorkerOutput()}");

        await AssertOutcomeAsync(readOnly);
    }

    private async Task AssertOutcomeAsync(int readOnlySpells)
    {
        // Every job succeeded on its first attempt: no fault counted against it, and none left an error.
        var states = await RowsAsync("SELECT id, state, attempt, error IS NULL, interruptions FROM jobs",
            r => (Id: r.GetGuid(0), State: r.GetString(1), Attempt: r.GetInt32(2), NoError: r.GetBoolean(3), Interruptions: r.GetInt32(4)));
        Assert.Equal(_jobs.Count, states.Count);
        Assert.All(states, s => Assert.Equal(("Succeeded", 1, true), (s.State, s.Attempt, s.NoError)));
        var interruptions = states.Sum(s => s.Interruptions);

        var segments = await RowsAsync("""
            SELECT job_id, lease_token, started_at, ended_at, closed, device_seconds, end_source, lost_at FROM usage_segments ORDER BY job_id, started_at
            """, r => new Segment(r.GetGuid(0), r.GetGuid(1), r.GetDateTime(2), r.GetDateTime(3), r.GetBoolean(4),
                r.IsDBNull(5) ? null : r.GetDouble(5), r.IsDBNull(6) ? null : r.GetString(6), r.IsDBNull(7) ? null : r.GetDateTime(7),
                _killed.Any(k => k.Token == r.GetGuid(1))));
        // Every run was reported by its worker (the killed ones by the worker restarted on their spool).
        Assert.All(segments, s => Assert.Equal((true, "worker"), (s.Closed, s.EndSource)));
        // Billed time is the device time the worker measured: never more, and no device second more than one
        // per run goes unbilled (a run's end is capped at the start of the job's next run). The segment
        // starts when the device did, not when the claim committed: the claim's answer took 1.06-1.34 s to
        // reach its worker at load 80-95 (seeds 707, 808), billed until the worker reported its start too.
        Assert.All(segments, s => Assert.InRange(s.Seconds - s.DeviceSeconds!.Value, -1.0, Exact));
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
            // Stopped before the kill: billed to its stop, which its spool recorded.
            var (from, to) = killed.StoppedAt is { } stop ? (stop.AddSeconds(-1), stop.AddSeconds(1)) : (killed.At.AddSeconds(-1), killed.At.AddMilliseconds(200));
            Assert.True(s.End >= from && s.End <= to,
                $"killed run {s} ended {(killed.At - s.End).TotalSeconds:0.000} s before its kill at {killed.At:O}; its spool record then: " +
                $"{killed.Record?.ToString() ?? "none"}\n{string.Join('\n', _workers.Output.Where(l => l.Contains(s.JobId.ToString(), StringComparison.Ordinal) || l.Contains("spool", StringComparison.Ordinal)).TakeLast(60))}");
        }
        // A run training when the database went away stopped itself before its lease could run out (its
        // last renewal was before the server was down, so the lease ran out a lease after that at the latest).
        foreach (var (token, down) in _outageRuns)
            Assert.True(byToken[token].End <= down + Lease, $"run {byToken[token]} trained on past its lease after the database went down at {down:O}");

        // The ledger, as billing ingests it, holds every run once, with the seconds of its segment; the
        // finance reconciliation shows no unbilled device time and no run ended at a renewal.
        var window = (From: DateTimeOffset.UtcNow.AddDays(-1), To: DateTimeOffset.UtcNow.AddDays(1));
        await new IngestUsageCommand(_dataSource, new UsageSegmentSource(_dataSource)).ExecuteAsync(window.From, window.To);
        var ledger = await RowsAsync("SELECT job_id, seconds FROM usage_ledger", r => (JobId: r.GetGuid(0), Seconds: r.GetInt64(1)));
        Assert.Equal(segments.Count, ledger.Count);
        foreach (var job in segments.GroupBy(s => s.JobId))
        {
            var jobDevice = job.Sum(s => s.DeviceSeconds!.Value);
            var jobLedger = ledger.Where(l => l.JobId == job.Key).Sum(l => l.Seconds);
            // Whole seconds, rounded down per run: up to a second per run below the segments, which are within
            // a second per run below the device time and never above it.
            Assert.True(jobLedger <= jobDevice + Exact * job.Count() && jobLedger >= jobDevice - 2 * job.Count(),
                $"job {job.Key}: ledger {jobLedger} s for {jobDevice:0.0} s of device time in {job.Count()} runs");
        }
        var reconciliation = await new ReconciliationQuery(_dataSource).ExecuteAsync(window.From, window.To);
        Assert.Equal((segments.Count, (long)ledger.Sum(l => l.Seconds), 0L),
            (reconciliation.Sum(l => l.SegmentCount), reconciliation.Sum(l => l.SegmentSeconds), reconciliation.Sum(l => l.RenewalEnded)));
        Assert.Equal(reconciliation.Sum(l => l.LedgerCount), reconciliation.Sum(l => l.SegmentCount));
        var unbilled = reconciliation.Sum(l => l.UnbilledDeviceSeconds);
        Assert.True(unbilled <= segments.Count, $"the reconciliation shows {unbilled:0.0} s of unbilled device time in {segments.Count} runs");

        var resumed = await AssertResumesAsync(segments);
        // The read-only spells hit: the store refused a checkpoint write, which stayed on its worker.
        Assert.True(await RefusalsAsync() >= readOnlySpells, "a read-only store refused a checkpoint write");

        var billed = segments.Sum(s => s.Seconds);
        var device = segments.Sum(s => s.DeviceSeconds!.Value);
        Note($"result: {_jobs.Count}/{_jobs.Count} jobs Succeeded on attempt 1, {interruptions} interruptions, {segments.Count} runs, " +
             $"{resumed} of them resumed at the job's resume point; billed {billed:0.0} s, devices measured {device:0.0} s " +
             $"(largest difference per run {segments.Max(s => Math.Abs(s.Seconds - s.DeviceSeconds!.Value)):0.000} s); " +
             $"{_killed.Count} killed runs billed to the kill; no overlapping runs; ledger {ledger.Sum(l => l.Seconds)} s in {ledger.Count} rows, " +
             $"reconciliation: {unbilled:0.0} s unbilled device time, no run ended at a renewal");
    }

    /// <summary>
    /// Every run that logged a resume did so at the resume point the job had when that run claimed it,
    /// and every completing run that had a resume point started there, not from scratch. Returns the resumes.
    /// </summary>
    private async Task<int> AssertResumesAsync(List<Segment> segments)
    {
        var claims = (await RowsAsync("SELECT lease_token, resume_step FROM chaos_claims",
            r => (Token: r.GetGuid(0), Step: r.IsDBNull(1) ? (long?)null : r.GetInt64(1)))).ToDictionary(c => c.Token, c => c.Step);
        var resumes = await RowsAsync("""
            SELECT job_id, at, substring(message FROM 'at step ([0-9]+)')::bigint FROM job_events WHERE type = 'log' AND message LIKE 'resumed from%'
            """, r => (JobId: r.GetGuid(0), At: r.GetDateTime(1), Step: r.GetInt64(2)));
        foreach (var resume in resumes)
        {
            var run = segments.Where(s => s.JobId == resume.JobId && s.Start <= resume.At && resume.At <= s.End).ToList();
            Assert.True(run.Count == 1, $"the resume at step {resume.Step} of job {resume.JobId} at {resume.At:O} lies in {run.Count} runs");
            Assert.True(claims[run[0].Token] == resume.Step,
                $"run {run[0].Token} of job {resume.JobId} resumed at step {resume.Step}, but the job's resume point at its claim was {claims[run[0].Token]}");
        }
        var completing = await RowsAsync("SELECT id, result->>'modelFolder' FROM jobs", r => (Id: r.GetGuid(0), Folder: r.GetString(1)));
        foreach (var (id, folder) in completing)
        {
            var run = segments.Single(s => s.JobId == id && folder.Contains(s.Token.ToString("N"), StringComparison.Ordinal));
            if (claims[run.Token] is { } step)
                Assert.True(resumes.Any(r => r.JobId == id && r.Step == step && run.Start <= r.At && r.At <= run.End),
                    $"job {id}'s last run had the resume point {step} but did not log resuming from it");
        }
        Assert.True(resumes.Count >= 1, "some run resumed from a checkpoint");
        return resumes.Count;
    }

    /// <summary>
    /// Waits until the jobs have trained <paramref name="stepsAt"/> steps in all (counting each job's
    /// furthest step, so a resume's step back does not count twice) and a run fits <paramref name="fits"/>.
    /// </summary>
    private async Task<List<JobState>> WaitForTargetAsync(long stepsAt, Func<JobState, bool> fits, Action submitted)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(4);
        while (true)
        {
            var snapshot = await SnapshotAsync();
            if (snapshot is not null)
            {
                var done = _stepsSeen.Values.Sum();
                var targets = snapshot.Where(j => j.HeldBy is { } name && _live.ContainsKey(name) && j.TotalSteps > 0 && fits(j)).ToList();
                if (done >= stepsAt && targets.Count > 0)
                    return targets;
                if (snapshot.All(j => j.State is "Succeeded" or "Failed" or "Cancelled"))
                {
                    await EnqueueAsync();
                    submitted();
                    Note($"every job had ended at {done} steps; one more submitted");
                }
            }
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"no run fit the next fault within 4 min (steps {_stepsSeen.Values.Sum()} of {stepsAt}):\n{await StatesAsync()}\n{WorkerOutput()}");
            await Task.Delay(100);
        }
    }

    private async Task<List<JobState>> WaitForSnapshotAsync(Func<List<JobState>, bool> condition, string what, TimeSpan patience)
    {
        var deadline = DateTime.UtcNow + patience;
        while (true)
        {
            if (await SnapshotAsync() is { } snapshot && condition(snapshot))
                return snapshot;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"not reached within {patience}: {what}\n{await StatesAsync()}\n{WorkerOutput()}");
            await Task.Delay(200);
        }
    }

    /// <summary>
    /// Each job's state and its held run's progress; null while the server is away. A run counts as held
    /// (a fault's aim) only while its lease was renewed within the last 4 s: a run whose renewals stopped
    /// (the outage, a starved worker) fences itself at 5 s and is no longer training when it is hit.
    /// </summary>
    private async Task<List<JobState>?> SnapshotAsync()
    {
        var dead = _deadWorkers.Count == 0 ? "'{}'::uuid[]" : $"ARRAY[{string.Join(',', _deadWorkers.Select(w => $"'{w}'"))}]::uuid[]";
        try
        {
            var jobs = await RowsAsync($"""
                SELECT j.id, j.state, coalesce((j.progress->>'step')::bigint, 0), coalesce((j.progress->>'totalSteps')::bigint, 0),
                       coalesce(j.checkpoint_step, 0), coalesce(j.checkpoint_token = q.lease_token, false),
                       CASE WHEN q.lease_token IS NOT NULL AND NOT w.id = ANY({dead}) AND q.lease_expires_at > now() + {Fresh} THEN w.name END, q.lease_token
                FROM jobs j LEFT JOIN job_queue q ON q.job_id = j.id LEFT JOIN workers w ON w.id = q.worker_id
                """, r => new JobState(r.GetGuid(0), r.GetString(1), r.GetInt64(2), r.GetInt64(3), r.GetInt64(4), r.GetBoolean(5),
                    r.IsDBNull(6) ? null : r.GetString(6), r.IsDBNull(7) ? null : r.GetGuid(7)));
            foreach (var j in jobs)
                _stepsSeen[j.Id] = Math.Max(_stepsSeen.GetValueOrDefault(j.Id), j.State == "Succeeded" ? j.TotalSteps : j.Step);
            return jobs;
        }
        catch (NpgsqlException)
        {
            return null;
        }
    }

    /// <summary>SIGKILL of the worker holding <paramref name="target"/>'s run; the same machine starts it again (same name, same spool) 0.2-2 s later.</summary>
    private async Task KillAsync(JobState target, KillPoint point, Random random)
    {
        var name = target.HeldBy!;
        // The process's registrations (an earlier process under this name is dead already), and the runs
        // it holds now: after the kill, each must be billed up to the kill.
        var ids = (await RowsAsync($"SELECT id FROM workers WHERE name = '{name}'", r => r.GetGuid(0))).Except(_deadWorkers).ToList();
        var tokens = await RowsAsync($"""
            SELECT lease_token FROM job_queue WHERE lease_token IS NOT NULL AND worker_id = ANY(ARRAY[{string.Join(',', ids.Select(w => $"'{w}'"))}]::uuid[])
            """, r => r.GetGuid(0));
        var process = _live[name];
        // The device stops between here and the process's exit.
        var at = WorkerProcesses.Kill(process);
        await process.WaitForExitAsync();
        _live.Remove(name);
        _deadWorkers.UnionWith(ids);
        // A run whose device had stopped before the kill (it ended and its report was on the way) says so
        // on its spool, which the dead process no longer writes and its successor has not yet read.
        foreach (var token in tokens)
        {
            var path = Path.Combine(_root, "spool", name, "runs", $"{token:N}.json");
            var record = File.Exists(path) ? JsonSerializer.Deserialize<RunRecord>(await File.ReadAllTextAsync(path), Json) : null;
            _killed.Add(new KilledRun(token, at, record?.Outcome is null ? null : record.ActiveUntilUtc, record));
        }
        Note($"SIGKILL {name} ({tokens.Count} run(s)); its job at step {target.Step}/{target.TotalSteps}, " +
             $"{point switch { KillPoint.Claimed => "before its run published a checkpoint", KillPoint.Checkpointed => "its run just published a checkpoint", _ => "its run steps past a checkpoint it published" }} " +
             $"(resume point {target.CheckpointStep})");
        await Task.Delay(TimeSpan.FromMilliseconds(200 + random.Next(1800)));
        StartWorker(name);
    }

    /// <summary>PostgreSQL down for longer than the lease, stopped fast or crashed, while <paramref name="target"/> trains mid-epoch.</summary>
    private async Task OutageAsync(JobState target, Random random)
    {
        var down = Lease + TimeSpan.FromSeconds(3 + random.Next(8));
        var mode = random.Next(2) == 0 ? "fast" : "immediate";
        Note($"PostgreSQL down ({mode}) for {down.TotalSeconds:0} s (lease {Lease.TotalSeconds:0} s); job {target.Id} at step {target.Step}/{target.TotalSteps}");
        await _cluster.StopAsync(mode);
        _outageRuns.Add((target.Token!.Value, DateTime.UtcNow));
        await Task.Delay(down);
        await _cluster.StartAsync();
        NpgsqlConnection.ClearAllPools();
    }

    /// <summary>
    /// The store refuses writes while <paramref name="target"/> trains, until some run's checkpoint write
    /// was refused (its worker logs it) and at least the drawn 1-4 s have passed, or the target stopped.
    /// </summary>
    private async Task ReadOnlyAsync(JobState target, Random random)
    {
        var refusals = await RefusalsAsync();
        var least = TimeSpan.FromMilliseconds(1000 + random.Next(3000));
        var started = DateTime.UtcNow;
        await SetStoreWritableAsync(false);
        while (true)
        {
            var now = await SnapshotAsync();
            var refused = await RefusalsAsync() > refusals;
            var gone = now?.SingleOrDefault(j => j.Id == target.Id) is not { } t || t.Token != target.Token;
            if ((refused && DateTime.UtcNow - started >= least) || gone || DateTime.UtcNow - started > TimeSpan.FromMinutes(1))
                break;
            await Task.Delay(100);
        }
        await SetStoreWritableAsync(true);
        Note($"store read-only for {(DateTime.UtcNow - started).TotalSeconds:0.0} s from job {target.Id}'s step {target.Step}/{target.TotalSteps}");
    }

    private Task<long> RefusalsAsync() =>
        ScalarAsync("SELECT count(*) FROM job_events WHERE type = 'log' AND message LIKE 'Checkpoint at step % kept on the worker: the artifact store refused it%'");

    private void StartWorker(string name) => _live[name] = _workers.Start(_cluster.ServerConnectionString, _root, name, WorkerSettings, nice: -10);

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

    private async Task EnqueueAsync()
    {
        var i = _jobs.Count;
        var payload = new TrainingJobPayload(_data, "cnn-28-grey", new TrainingOptions
        {
            Epochs = _epochs, BatchSize = 8, Threads = 1, CheckpointEverySteps = CheckpointEvery, Seed = 11 + (ulong)i, EarlyStoppingPatience = 0,
        });
        _jobs.Add(await new JobQueue(_dataSource).EnqueueAsync(new JobSubmission(_tenants[i % 2], TrainingJobHandler.JobKind, $"chaos-{i}",
            JsonSerializer.Serialize(payload, new JsonSerializerOptions(JsonSerializerDefaults.Web)))));
    }

    private async Task<bool> AllEndedAsync() =>
        await ScalarAsync("SELECT count(*) FROM jobs WHERE state NOT IN ('Succeeded', 'Failed', 'Cancelled')") == 0;

    private void Note(string line)
    {
        var stamped = $"{DateTime.UtcNow:HH:mm:ss.f} {line}";
        _log.AppendLine(stamped);
        output.WriteLine(stamped);
    }

    private string WorkerOutput() => string.Join('\n', _workers.Output.TakeLast(150));

    private Task WaitForAsync(Func<Task<bool>> condition, TimeSpan patience) =>
        Eventually.WaitAsync(condition, patience, async () => $"{await StatesAsync()}\n{WorkerOutput()}");

    private async Task<string> StatesAsync()
    {
        try
        {
            return string.Join('\n', await RowsAsync("SELECT name, state, attempt, interruptions, coalesce(error, ''), coalesce(progress->>'step', '-') FROM jobs ORDER BY name",
                r => $"{r.GetString(0)} {r.GetString(1)} attempt {r.GetInt32(2)} interruptions {r.GetInt32(3)} step {r.GetString(5)} {r.GetString(4)}"));
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

    private enum Fault { Kill, Outage, ReadOnly }

    /// <summary>Where in its run a kill catches the victim: before it published a checkpoint (from its claim on), right after publishing one, or steps past one (work to redo).</summary>
    private enum KillPoint { Claimed, Checkpointed, PastCheckpoint }

    /// <summary>A job as the plan sees it: its progress, and the live worker holding its run (null if none).</summary>
    /// <param name="PublishedInRun">The held run has published a checkpoint of its own (the resume point names its token).</param>
    private sealed record JobState(Guid Id, string State, long Step, long TotalSteps, long CheckpointStep, bool PublishedInRun, string? HeldBy, Guid? Token);

    /// <summary>A run's segment; LostAt and Killed say, in a failure message, whether its lease ran out and whether the test killed it.</summary>
    private sealed record Segment(Guid JobId, Guid Token, DateTime Start, DateTime End, bool Closed, double? DeviceSeconds, string? EndSource,
        DateTime? LostAt, bool Killed)
    {
        public double Seconds => (End - Start).TotalSeconds;
    }

    /// <param name="StoppedAt">When its device had stopped, for a run that had ended before the kill (its spool's record).</param>
    /// <param name="Record">The run's spool record as the kill left it (null: none on the spool).</param>
    private sealed record KilledRun(Guid Token, DateTime At, DateTime? StoppedAt, RunRecord? Record);

    private sealed class ChaosFailure(string message, Exception inner) : Exception(message, inner);
}
