using System.Collections.Concurrent;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Platform.Jobs.Queue;
using Platform.Jobs.Workers;
using Platform.Training.Distributed;

namespace Platform.Jobs.Tests;

/// <summary>
/// Two in-process workers of one slot each run a two-device job (decision 0044): the real dispatcher,
/// claims, renewals and completions against real PostgreSQL, with a handler that records the rank
/// each run was given instead of training.
/// </summary>
public sealed class GangWorkerTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private QueueDatabase _db = null!;
    private readonly List<JobWorker> _workers = [];
    private readonly string _spool = Directory.CreateTempSubdirectory("platform-gang-spool-").FullName;

    public async Task InitializeAsync() => _db = await QueueDatabase.CreateAsync();

    public async Task DisposeAsync()
    {
        foreach (var worker in _workers)
            await worker.StopAsync(CancellationToken.None);
        await _db.DisposeAsync();
        Directory.Delete(_spool, recursive: true);
    }

    private async Task StartWorkerAsync(IJobHandler handler, TimeSpan renewEvery)
    {
        var options = new WorkerOptions
        {
            Name = $"gang-{_workers.Count}",
            IdlePoll = TimeSpan.FromMinutes(10),
            Lease = TimeSpan.FromSeconds(30),
            RenewEvery = renewEvery,
            RecoverEvery = TimeSpan.FromMinutes(1),
            SpoolDirectory = _spool,
        };
        var worker = new JobWorker(_db.Database.DataSource, _db.Queue, [handler], Options.Create(options), NullLogger<JobWorker>.Instance);
        _workers.Add(worker);
        await worker.StartAsync(CancellationToken.None);
        // Registered (its free slot counts for a gang) and listening before the test enqueues.
        await WaitForAsync(async () => await _db.Database.ScalarAsync<long>("SELECT count(*) FROM workers") >= _workers.Count
            && await _db.Database.ScalarAsync<long>("SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'LISTEN%'") >= _workers.Count);
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

    [Fact]
    public async Task Workers_TwoDeviceJob_RunBothRanksWithOneRendezvousAndBillBoth()
    {
        var seen = new ConcurrentBag<(int Rank, DistributedOptions? Distributed)>();
        var handler = new RecordingHandler(async context =>
        {
            seen.Add((context.Job.Rank, context.Distributed));
            // Both ranks are running before either finishes, as a real gang's collectives require.
            await WaitForAsync(() => Task.FromResult(seen.Count == 2));
            return context.Job.Rank == 0 ? """{"ok":true}""" : null;
        });
        await StartWorkerAsync(handler, TimeSpan.FromSeconds(10));
        await StartWorkerAsync(handler, TimeSpan.FromSeconds(10));

        var id = await _db.Queue.EnqueueAsync(new JobSubmission(_db.TenantA, "noop", "gang", "{}", Devices: 2));

        await WaitForAsync(async () => (await _db.JobAsync(id)).State == "Succeeded"
            && (await _db.SegmentsAsync(id)).Count(s => s.Closed) == 2);
        Assert.Equal([0, 1], seen.Select(s => s.Rank).Order());
        Assert.All(seen, s => Assert.Equal(2, s.Distributed?.WorldSize));
        Assert.Single(seen.Select(s => (s.Distributed!.MasterHost, s.Distributed.MasterPort)).Distinct());
        Assert.Equal(0, await _db.Database.ScalarAsync<long>("SELECT count(*) FROM gang_ranks"));
        Assert.Equal(0, await _db.Database.ScalarAsync<int>($"SELECT running FROM tenant_job_limits WHERE tenant_id = '{_db.TenantA}'"));
    }

    [Fact]
    public async Task Workers_RankFailsMidRun_StopsTheOtherRankAndTheGangResumesWhole()
    {
        var runs = new ConcurrentQueue<(int Rank, int Attempt)>();
        var failed = 0;
        var handler = new RecordingHandler(async context =>
        {
            runs.Enqueue((context.Job.Rank, context.Job.Attempt));
            // Rank 1 of the first run fails; rank 0 trains on until its renewal finds the gang released.
            if (context.Job.Rank == 1 && Interlocked.Exchange(ref failed, 1) == 0)
                throw new InvalidOperationException("rank 1 ran out of memory");
            if (context.Job.Attempt == 1)
                await Task.Delay(Timeout.Infinite, context.Cancellation);
            // The second gang's ranks both start before either finishes, as collectives require.
            await WaitForAsync(() => Task.FromResult(runs.Count(r => r.Attempt == 2) == 2));
            return null;
        });
        await StartWorkerAsync(handler, TimeSpan.FromMilliseconds(200));
        await StartWorkerAsync(handler, TimeSpan.FromMilliseconds(200));

        var id = await _db.Queue.EnqueueAsync(new JobSubmission(_db.TenantA, "noop", "gang", "{}", Devices: 2));

        await WaitForAsync(async () => (await _db.JobAsync(id)).State == "Succeeded");
        var job = await _db.JobRowAsync(id);
        Assert.Equal(2, job.Attempt);
        Assert.Equal([(0, 1), (0, 2), (1, 1), (1, 2)], runs.Order());
        // Four runs, four segments, every one ended by its own worker's report.
        await WaitForAsync(async () => (await _db.SegmentRowsAsync(id)).Count(s => s.Closed) == 4);
        Assert.All(await _db.SegmentRowsAsync(id), s => Assert.Equal("worker", s.EndSource));
    }

    private sealed class RecordingHandler(Func<JobContext, Task<string?>> run) : IJobHandler
    {
        public string Kind => "noop";

        public Task<string?> RunAsync(JobContext context) => run(context);
    }
}
