using System.Collections.Concurrent;
using System.ComponentModel.DataAnnotations;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Platform.Jobs.Queue;
using Platform.Jobs.Telemetry;
using Platform.Jobs.Workers;

namespace Platform.Jobs.Tests;

/// <summary>The dispatcher in-process against real PostgreSQL, with handlers the tests control.</summary>
public sealed class JobWorkerTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private QueueDatabase _db = null!;
    private readonly List<JobWorker> _workers = [];
    private readonly string _spool = Directory.CreateTempSubdirectory("platform-worker-spool-").FullName;

    public async Task InitializeAsync() => _db = await QueueDatabase.CreateAsync();

    public async Task DisposeAsync()
    {
        foreach (var worker in _workers)
            await worker.StopAsync(CancellationToken.None);
        await _db.DisposeAsync();
        Directory.Delete(_spool, recursive: true);
    }

    /// <summary>
    /// Idle polling and renewals are pushed out of the test's reach, so anything that happens quickly
    /// happened because of NOTIFY.
    /// </summary>
    private async Task<JobWorker> StartWorkerAsync(IJobHandler handler, Action<WorkerOptions>? configure = null)
    {
        var options = new WorkerOptions
        {
            Name = $"test-{_workers.Count}",
            IdlePoll = TimeSpan.FromMinutes(10),
            Lease = TimeSpan.FromMinutes(10),
            RenewEvery = TimeSpan.FromMinutes(1),
            RecoverEvery = TimeSpan.FromMinutes(1),
            SpoolDirectory = _spool,
        };
        configure?.Invoke(options);
        var worker = new JobWorker(_db.Database.DataSource, _db.Queue, [handler], Options.Create(options),
            NullLogger<JobWorker>.Instance);
        _workers.Add(worker);
        await worker.StartAsync(CancellationToken.None);
        // Let the listener subscribe before the test enqueues.
        await WaitForAsync(async () => await _db.Database.ScalarAsync<long>(
            "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'LISTEN%'") >= _workers.Count);
        return worker;
    }

    private static async Task WaitForAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException("condition not met within " + Patience);
            await Task.Delay(25);
        }
    }

    private Task WaitForStateAsync(Guid id, string state) =>
        WaitForAsync(async () => (await _db.JobAsync(id)).State == state);

    [Fact]
    public async Task Worker_JobEnqueuedWhileIdle_IsWokenByNotifyAndRunsIt()
    {
        var handler = new ScriptedHandler(_ => Task.FromResult<string?>("""{"ok":true}"""));
        await StartWorkerAsync(handler);

        var id = await _db.EnqueueAsync(_db.TenantA);

        await WaitForStateAsync(id, "Succeeded");
        Assert.Equal([id], handler.Started);
    }

    [Fact]
    public async Task Worker_CancelRunningJob_StopsItAndMarksCancelled()
    {
        var handler = new ScriptedHandler(async context =>
        {
            while (true)
                await Task.Delay(20, context.Cancellation);
        });
        await StartWorkerAsync(handler);
        var id = await _db.EnqueueAsync(_db.TenantA);
        await WaitForStateAsync(id, "Running");

        Assert.Equal(CancelResult.Requested, await _db.Queue.CancelAsync(_db.TenantA, id));

        await WaitForStateAsync(id, "Cancelled");
    }

    [Fact]
    public async Task Worker_HandlerAlwaysThrows_EndsFailedWithItsErrorAfterMaxAttempts()
    {
        var handler = new ScriptedHandler(_ => throw new InvalidOperationException("dataset file is missing"));
        await StartWorkerAsync(handler);

        var id = await _db.EnqueueAsync(_db.TenantA, maxAttempts: 3);

        await WaitForStateAsync(id, "Failed");
        var job = await _db.JobAsync(id);
        Assert.Equal(3, job.Attempt);
        Assert.Contains("dataset file is missing", job.Error);
        Assert.Equal(3, handler.Started.Count);
    }

    [Fact]
    public async Task Worker_GracefulShutdown_ReleasesJobAndAnotherWorkerResumesItAtOnce()
    {
        var first = new ScriptedHandler(async context =>
        {
            while (true)
                await Task.Delay(20, context.Cancellation);
        });
        var stopping = await StartWorkerAsync(first);
        var id = await _db.EnqueueAsync(_db.TenantA);
        await WaitForStateAsync(id, "Running");

        await stopping.StopAsync(CancellationToken.None);
        _workers.Remove(stopping);
        Assert.Equal("Queued", (await _db.JobAsync(id)).State);

        var resumed = new ScriptedHandler(context => Task.FromResult<string?>(
            $$"""{"attempt":{{context.Job.Attempt}},"segment":{{context.Job.Segment}}}"""));
        await StartWorkerAsync(resumed);
        await WaitForStateAsync(id, "Succeeded");
        Assert.Equal(1, (await _db.JobAsync(id)).Attempt);
        Assert.Equal(2, await _db.Database.ScalarAsync<long>("SELECT count(*) FROM usage_segments WHERE closed"));
    }

    [Fact]
    public async Task Worker_LeaseTakenOverAfterForcedExpiry_OldHoldersWritesAreFenced()
    {
        var firstHolderReports = new ConcurrentQueue<bool>();
        var takenOver = new TaskCompletionSource();
        var oldHolder = new ScriptedHandler(async context =>
        {
            // A stalled holder (long GC pause, network partition) that wakes up after the takeover.
            await takenOver.Task;
            firstHolderReports.Enqueue(await context.ReportAsync("""{"step":99}""", "log", "stale"));
            return """{"by":"first"}""";
        });
        var first = await StartWorkerAsync(oldHolder);
        var id = await _db.EnqueueAsync(_db.TenantA);
        await WaitForStateAsync(id, "Running");

        await _db.ExpireLeaseAsync(id);
        Assert.Equal(1, await _db.Queue.RecoverExpiredAsync());
        var newHolder = new ScriptedHandler(context => Task.FromResult<string?>("""{"by":"second"}"""));
        await StartWorkerAsync(newHolder);
        await WaitForStateAsync(id, "Succeeded");
        takenOver.SetResult();

        await WaitForAsync(() => Task.FromResult(first.RunningCount == 0));
        Assert.Equal([false], firstHolderReports);
        Assert.Equal((1, 1), ((await _db.JobRowAsync(id)).Attempt, (await _db.JobRowAsync(id)).Interruptions));
        Assert.Equal("""{"by": "second"}""", await _db.Database.ScalarAsync<string>("SELECT result::text FROM jobs"));
        Assert.Equal(0L, await _db.Database.ScalarAsync<long>("SELECT count(*) FROM job_events WHERE message = 'stale'"));
    }

    [Fact]
    public async Task Worker_RenewalFindsLeaseLost_CancelsTheHandlerAndWritesNothing()
    {
        var stopped = new TaskCompletionSource();
        var handler = new ScriptedHandler(async context =>
        {
            try
            {
                while (true)
                    await Task.Delay(20, context.Cancellation);
            }
            finally
            {
                stopped.TrySetResult();
            }
        });
        var worker = await StartWorkerAsync(handler, o => o.RenewEvery = TimeSpan.FromMilliseconds(200));
        var id = await _db.EnqueueAsync(_db.TenantA);
        await WaitForStateAsync(id, "Running");

        // Someone else holds the job now (as after a recovery elsewhere).
        await _db.Database.ScalarAsync<int>("WITH u AS (UPDATE job_queue SET lease_token = gen_random_uuid() RETURNING 1) SELECT count(*)::int FROM u");

        await stopped.Task.WaitAsync(Patience);
        await WaitForAsync(() => Task.FromResult(worker.RunningCount == 0));
        Assert.Equal("Running", (await _db.JobAsync(id)).State);
    }

    [Fact]
    public async Task Worker_StoppedWhileAJobFinishes_CompletesItAndClaimsNoNextJob()
    {
        JobWorker? worker = null;
        var stopping = new TaskCompletionSource<Task>(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = new ScriptedHandler(_ =>
        {
            // The host begins to shut down just as the job succeeds.
            stopping.TrySetResult(worker!.StopAsync(CancellationToken.None));
            return Task.FromResult<string?>(null);
        });
        worker = await StartWorkerAsync(handler);

        // Both jobs in one commit, so the second is queued when the first one's completion runs.
        Guid first, second;
        await using (var connection = await _db.Database.DataSource.OpenConnectionAsync())
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            first = await _db.Queue.EnqueueAsync(connection, transaction, new JobSubmission(_db.TenantA, "noop", "first", "{}"));
            second = await _db.Queue.EnqueueAsync(connection, transaction, new JobSubmission(_db.TenantA, "noop", "second", "{}"));
            await transaction.CommitAsync();
        }
        await await stopping.Task.WaitAsync(Patience);

        Assert.Equal("Succeeded", (await _db.JobAsync(first)).State);
        Assert.Equal("Queued", (await _db.JobAsync(second)).State);
        Assert.Empty(await _db.SegmentsAsync(second));
        Assert.Equal([first], handler.Started);
    }

    [Fact]
    public async Task Worker_TenantLimitOne_RunsThatTenantsJobsOneAtATime()
    {
        await _db.SetLimitAsync(_db.TenantA, 1);
        var concurrent = 0;
        var maxConcurrent = 0;
        var handler = new ScriptedHandler(async context =>
        {
            var now = Interlocked.Increment(ref concurrent);
            InterlockedMax(ref maxConcurrent, now);
            await Task.Delay(50);
            Interlocked.Decrement(ref concurrent);
            return null;
        });
        await StartWorkerAsync(handler, o => o.Slots = 4);

        var ids = new List<Guid>();
        for (var i = 0; i < 4; i++)
            ids.Add(await _db.EnqueueAsync(_db.TenantA, $"a{i}"));

        foreach (var id in ids)
            await WaitForStateAsync(id, "Succeeded");
        Assert.Equal(1, maxConcurrent);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value &&
               Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }

    [Fact]
    public async Task Worker_RunsAJob_TracesClaimTrainAndCompleteInOneTraceAndCountsTheClaimAndTheRun()
    {
        var activities = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == JobsTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activities.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        var measured = new ConcurrentQueue<(string Instrument, string? Outcome)>();
        using var meters = new MeterListener();
        meters.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == JobsTelemetry.Name)
                l.EnableMeasurementEvents(instrument);
        };
        meters.SetMeasurementEventCallback<long>((instrument, _, _, _) => measured.Enqueue((instrument.Name, null)));
        meters.SetMeasurementEventCallback<double>((instrument, _, tags, _) =>
        {
            string? outcome = null;
            foreach (var tag in tags)
                if (tag.Key == "outcome")
                    outcome = tag.Value as string;
            measured.Enqueue((instrument.Name, outcome));
        });
        meters.Start();
        var handler = new ScriptedHandler(_ => Task.FromResult<string?>("""{"ok":true}"""));
        await StartWorkerAsync(handler);

        var id = await _db.EnqueueAsync(_db.TenantA);
        await WaitForStateAsync(id, "Succeeded");
        bool Of(Activity a, string name) => a.OperationName == name && (string?)a.GetTagItem("job.id") == id.ToString();
        await WaitForAsync(() => Task.FromResult(activities.Any(a => Of(a, "job.run"))));

        var run = activities.Single(a => Of(a, "job.run"));
        var claim = activities.Single(a => Of(a, "job.claim"));
        Assert.Equal(claim.TraceId, run.TraceId);
        Assert.Equal(claim.SpanId, run.ParentSpanId);
        Assert.Equal("succeeded", run.GetTagItem("job.outcome"));
        Assert.Single(activities, a => a.OperationName == "job.train" && a.ParentSpanId == run.SpanId);
        Assert.Single(activities, a => a.OperationName == "job.complete" && a.ParentSpanId == run.SpanId);
        Assert.Contains(measured, m => m.Instrument == "platform.jobs.claims");
        Assert.Contains(measured, m => m.Instrument == "platform.jobs.run.duration" && m.Outcome == "succeeded");
    }

    [Fact]
    public void WorkerOptions_RenewEveryNotShorterThanLease_IsRefusedNamingBoth()
    {
        var options = new WorkerOptions { Lease = TimeSpan.FromSeconds(5), RenewEvery = TimeSpan.FromSeconds(5), SelfFenceAfter = TimeSpan.FromSeconds(4) };
        var results = new List<ValidationResult>();

        Assert.False(Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true));
        Assert.Contains(results, r => r.ErrorMessage!.Contains("Worker:RenewEvery") && r.ErrorMessage.Contains("Worker:Lease"));
    }

    [Fact]
    public void RetryOptions_BackoffAboveItsCap_IsRefused()
    {
        var options = new RetryOptions { Backoff = TimeSpan.FromMinutes(10), BackoffCap = TimeSpan.FromMinutes(5) };
        var results = new List<ValidationResult>();

        Assert.False(Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true));
        Assert.Contains(results, r => r.ErrorMessage!.Contains("Retry:BackoffCap"));
    }

    private sealed class ScriptedHandler(Func<JobContext, Task<string?>> run) : IJobHandler
    {
        public ConcurrentQueue<Guid> StartedQueue { get; } = new();

        public List<Guid> Started => [.. StartedQueue];

        public string Kind => "noop";

        public Task<string?> RunAsync(JobContext context)
        {
            StartedQueue.Enqueue(context.Job.JobId);
            return run(context);
        }
    }
}
