using System.Diagnostics;
using System.Text.Json;
using Npgsql;
using Platform.Jobs.Queue;
using Platform.Jobs.Training;
using Platform.Testing;
using Platform.Training.Tests.Common;
using Platform.Training.Training;

namespace Platform.Jobs.Tests;

/// <summary>Real worker processes (platform-worker) training a real CNN against real PostgreSQL.</summary>
[Collection(WorkerProcessCollection.Name)]
public sealed class WorkerProcessTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(4);
    private QueueDatabase _db = null!;
    private string _root = null!;
    private WorkerProcesses Workers { get; } = new();

    public async Task InitializeAsync()
    {
        _db = await QueueDatabase.CreateAsync();
        _root = Directory.CreateTempSubdirectory("platform-worker-test-").FullName;
    }

    public async Task DisposeAsync()
    {
        Workers.Dispose();
        await _db.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task Worker_KilledMidTrainingAndRestarted_ReportsTheDeadRunsDeviceTimeAndResumesWithoutUsingAnAttempt()
    {
        var id = await EnqueueCnnAsync(maxAttempts: 1);

        var first = StartWorker("first");
        await WaitForAsync(() => CountAsync("SELECT count(*) FROM job_events WHERE type = 'checkpoint'"), n => n >= 2);
        WorkerProcesses.Kill(first);
        await first.WaitForExitAsync();
        var killedAt = await _db.Database.ScalarAsync<DateTime>("SELECT now()");

        // The same machine starts its worker again: same name, same spool.
        StartWorker("first");
        await WaitForAsync(async () => (await _db.JobAsync(id)).State == "Succeeded" ? 1 : 0, n => n == 1);

        // The kill cost no attempt (the job had only one), and the job is not marked with an error.
        var job = await _db.JobRowAsync(id);
        Assert.Equal((1, 1, (string?)null), (job.Attempt, job.Interruptions, job.Error));
        Assert.Equal(await _db.Database.ScalarAsync<string>("SELECT progress->>'totalSteps' FROM jobs"),
            await _db.Database.ScalarAsync<string>("SELECT progress->>'step' FROM jobs"));
        Assert.Equal(1L, await CountAsync("SELECT count(*) FROM job_events WHERE type = 'log' AND message LIKE 'resumed from%'"));
        await AssertModelOfTheLastRunAsync(id);
        // The loss curve runs to the last step, and what the dead run did past its checkpoint was redone.
        Assert.Equal(await _db.Database.ScalarAsync<long>("SELECT max(total_steps) FROM job_loss_points"),
            await _db.Database.ScalarAsync<long>("""
                SELECT max(step) FROM job_loss_points
                WHERE recorded_at >= (SELECT started_at FROM usage_segments WHERE segment = 2)
                """));

        // Metering: the restarted worker reported the dead run from its spool, so its segment ends
        // where the device stopped (the last spool write, at most Worker:SpoolEvery before the kill),
        // not at a renewal; the next starts after it.
        var segments = await _db.SegmentRowsAsync(id);
        Assert.Equal([(1, 1), (1, 2)], segments.Select(s => (s.Attempt, s.Segment)));
        Assert.All(segments, s => Assert.Equal((true, "worker"), (s.Closed, s.EndSource)));
        Assert.InRange(segments[0].End, killedAt.AddSeconds(-1), killedAt.AddMilliseconds(100));
        Assert.All(segments, s => Assert.Equal(s.DeviceSeconds!.Value, s.Seconds, 1.0));
        Assert.True(segments[1].Start >= segments[0].End, "no second is counted twice");
    }

    [Fact]
    public async Task Worker_FrozenThenKilled_IsBilledUpToTheFreezeNotTheKill()
    {
        // What Process.Kill(entireProcessTree: true) did to the chaos test's workers on a loaded machine:
        // SIGSTOP, seconds of walking the machine's processes, then SIGKILL. The device stopped at the
        // SIGSTOP, and so did the spool's records: the run is billed to the freeze, which the chaos test
        // took for a spool writer that had stopped 3-8 s before the kill (seeds 3333 and 5555).
        var id = await EnqueueCnnAsync(maxAttempts: 1);
        var first = StartWorker("first");
        await WaitForAsync(() => CountAsync("SELECT count(*) FROM job_events WHERE type = 'checkpoint'"), n => n >= 1);
        var freezing = DateTime.UtcNow;
        Signal(first, "STOP");
        var frozenAt = DateTime.UtcNow;
        await Task.Delay(TimeSpan.FromSeconds(4));
        WorkerProcesses.Kill(first);
        await first.WaitForExitAsync();

        StartWorker("first");
        await WaitForAsync(async () => (await _db.JobAsync(id)).State == "Succeeded" ? 1 : 0, n => n == 1);

        var dead = (await _db.SegmentRowsAsync(id))[0];
        Assert.Equal((true, "worker"), (dead.Closed, dead.EndSource));
        // Between the signal's send (less a spool period and a loaded machine's scheduling) and its arrival; the kill came 4 s later.
        Assert.InRange(dead.End, freezing.AddSeconds(-1), frozenAt.AddMilliseconds(100));
    }

    [Fact]
    public async Task Worker_KilledAndNeverBack_AnotherWorkerResumesAndTheSegmentEndsAtTheLastRenewal()
    {
        var id = await EnqueueCnnAsync(maxAttempts: 1);

        var first = StartWorker("first");
        await WaitForAsync(() => CountAsync("SELECT count(*) FROM job_events WHERE type = 'checkpoint'"), n => n >= 2);
        WorkerProcesses.Kill(first);
        await first.WaitForExitAsync();
        var killedAt = await _db.Database.ScalarAsync<DateTime>("SELECT now()");

        // Another machine: it recovers the job when the lease runs out; nobody ever reports the dead run.
        StartWorker("second", new Dictionary<string, string> { ["Retry__ReportGrace"] = "00:00:02" });
        await WaitForAsync(async () => (await _db.JobAsync(id)).State == "Succeeded" ? 1 : 0, n => n == 1);
        await WaitForAsync(() => CountAsync("SELECT count(*) FROM usage_segments WHERE closed"), n => n == 2);

        var job = await _db.JobRowAsync(id);
        Assert.Equal((1, 1), (job.Attempt, job.Interruptions));
        Assert.Contains("stopped renewing its lease", job.LastInterruption);
        var segments = await _db.SegmentRowsAsync(id);
        Assert.Equal([(1, 1, "renewal"), (1, 2, "worker")], segments.Select(s => (s.Attempt, s.Segment, s.EndSource)));
        Assert.True(segments[0].End <= killedAt.AddMilliseconds(100), "the dead worker is not billed past its death");
        Assert.True(segments[0].End >= killedAt.AddSeconds(-2), "the dead worker is billed up to its last renewal");
        Assert.True(segments[1].Start >= segments[0].End, "no second is counted twice");
    }

    [Fact]
    public async Task Worker_Sigterm_ReleasesJobAtOnceAndAnotherWorkerResumesIt()
    {
        var id = await EnqueueCnnAsync(maxAttempts: 3);

        var first = StartWorker("first");
        await WaitForAsync(() => CountAsync("SELECT count(*) FROM job_events WHERE type = 'checkpoint'"), n => n >= 1);
        Signal(first, "TERM");
        await first.WaitForExitAsync().WaitAsync(Patience);

        // Released, not expired: the job is queued again with the same attempt, before any lease ran out.
        var released = await _db.JobAsync(id);
        Assert.Equal(("Queued", 1), (released.State, released.Attempt));

        StartWorker("second");
        await WaitForAsync(async () => (await _db.JobAsync(id)).State == "Succeeded" ? 1 : 0, n => n == 1);
        Assert.Equal([(1, 1), (1, 2)], (await _db.SegmentsAsync(id)).Select(s => (s.Attempt, s.Segment)));
    }

    [Fact]
    public async Task Worker_WithScrapeAddress_ServesMetricsThatMoveWhenItTrainsAJob()
    {
        var url = $"http://127.0.0.1:{FreePort()}/";
        StartWorker("metrics", new Dictionary<string, string> { ["Telemetry__WorkerPrometheusUrl"] = url });
        using var http = new HttpClient();
        var before = await ScrapeUntilAsync(http, url + "metrics", text => PrometheusText.Sum(text, "platform_jobs_queue_depth") is not null);
        Assert.Null(PrometheusText.Sum(before, "platform_jobs_run_duration_seconds_count"));

        var id = await EnqueueCnnAsync(maxAttempts: 1);
        await WaitForAsync(async () => (await _db.JobAsync(id)).State == "Succeeded" ? 1 : 0, n => n == 1);

        var after = await ScrapeUntilAsync(http, url + "metrics",
            text => PrometheusText.Sum(text, "platform_jobs_run_duration_seconds_count", "outcome=\"succeeded\"") >= 1);
        Assert.True(PrometheusText.Sum(after, "platform_jobs_claims_total", "device_kind=\"cpu\"") >= 1);
        // Every progress report was timed from the trainer to its row.
        Assert.True(PrometheusText.Sum(after, "platform_jobs_progress_ingest_lag_seconds_count") >= 1);
        Assert.Equal(0, PrometheusText.Sum(after, "platform_jobs_queue_depth", "state=\"Queued\""));
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    private async Task<string> ScrapeUntilAsync(HttpClient http, string url, Func<string, bool> done)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            try
            {
                var text = await http.GetStringAsync(url);
                if (done(text))
                    return text;
                if (DateTime.UtcNow > deadline)
                    throw new TimeoutException($"the scrape never showed what was expected:\n{text}");
            }
            catch (HttpRequestException) when (DateTime.UtcNow <= deadline)
            {
                // The worker is still starting its listener.
            }
            if (Workers.Last is { HasExited: true } last)
                throw new InvalidOperationException($"worker exited with {last.ExitCode}\n{string.Join('\n', Workers.Output)}");
            await Task.Delay(200);
        }
    }

    private Process StartWorker(string name, IReadOnlyDictionary<string, string>? settings = null) =>
        Workers.Start(_db.Database.ConnectionString, _root, name, settings);

    private async Task<Guid> EnqueueCnnAsync(int maxAttempts)
    {
        var data = Path.Combine(_root, "data");
        TestData.WriteImageFolders(data, perLabel: 48);
        var payload = new TrainingJobPayload(data, "cnn-28-grey", new TrainingOptions
        {
            Epochs = 4,
            BatchSize = 8,
            Threads = 1,
            CheckpointEverySteps = 3,
            Seed = 7,
        });
        return await _db.Queue.EnqueueAsync(new JobSubmission(_db.TenantA, TrainingJobHandler.JobKind, "cnn",
            JsonSerializer.Serialize(payload, new JsonSerializerOptions(JsonSerializerDefaults.Web)), MaxAttempts: maxAttempts));
    }

    /// <summary>The job's result names the model its completing run stored under its own token, and nothing of it is left on disk in the clear.</summary>
    private async Task AssertModelOfTheLastRunAsync(Guid id)
    {
        var model = await _db.Database.ScalarAsync<string>($"SELECT result->>'modelFolder' FROM jobs WHERE id = '{id}'");
        var token = await _db.Database.ScalarAsync<Guid>(
            $"SELECT lease_token FROM usage_segments WHERE job_id = '{id}' ORDER BY attempt DESC, segment DESC LIMIT 1");
        Assert.Equal(JobFolders.Model(JobFolders.Run(id, token)), model);
        Assert.Equal(2L, await _db.Database.ScalarAsync<long>(
            $"SELECT count(*) FROM stored_folder_files WHERE folder = '{model}' AND path IN ('model.safetensors', 'metrics.json')"));
        // No shared job folder: what outlives a run is in the store.
        Assert.False(Directory.Exists(Path.Combine(_root, "work")));
    }

    private static void Signal(Process process, string signal) =>
        Process.Start("kill", ["-" + signal, process.Id.ToString()])!.WaitForExit();

    private async Task<long> CountAsync(string sql) => await _db.Database.ScalarAsync<long>(sql);

    private async Task WaitForAsync(Func<Task<long>> read, Func<long, bool> done)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!done(await read()))
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"not reached within {Patience}; job events: {await EventsAsync()}\n{string.Join('\n', Workers.Output)}");
            if (Workers.Last is { HasExited: true } last)
                throw new InvalidOperationException($"worker exited with {last.ExitCode}; job events: {await EventsAsync()}\n{string.Join('\n', Workers.Output)}");
            await Task.Delay(100);
        }
    }

    private async Task<string> EventsAsync()
    {
        await using var command = _db.Database.DataSource.CreateCommand("SELECT string_agg(type || ': ' || message, ' | ' ORDER BY id) FROM job_events");
        return (await command.ExecuteScalarAsync())?.ToString() ?? "";
    }

}
