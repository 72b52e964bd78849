using Npgsql;
using Platform.Jobs.Queue;

namespace Platform.Jobs.Tests;

/// <summary>complete_and_claim: a slot's completion and its next claim in one transaction.</summary>
public sealed class CompleteAndClaimTests : QueueTestBase
{
    private ClaimRequest Next => new(Worker, Lease, "cpu");

    [Fact]
    public async Task CompleteAndClaim_Backlog_CompletesTheJobAndClaimsTheNext()
    {
        var firstId = await Db.EnqueueAsync(Db.TenantA, "first");
        var secondId = await Db.EnqueueAsync(Db.TenantA, "second");
        var first = (await ClaimAsync())!;

        var completion = await Db.Queue.CompleteAndClaimAsync(first, JobOutcome.Succeeded, """{"accuracy":0.9}""", Next);

        Assert.True(completion.Completed);
        Assert.Equal(secondId, completion.Next!.JobId);
        Assert.Equal((1, 1), (completion.Next.Attempt, completion.Next.Segment));
        Assert.Equal("Succeeded", (await Db.JobAsync(firstId)).State);
        Assert.Equal("Running", (await Db.JobAsync(secondId)).State);
        Assert.Equal("""{"accuracy": 0.9}""", await Db.Database.ScalarAsync<string>($"SELECT result::text FROM jobs WHERE id = '{firstId}'"));
        Assert.Equal(1, await Db.Database.ScalarAsync<int>("SELECT running FROM tenant_job_limits"));
        // The finished job's last event, its closed segment and the next job's claim all committed.
        Assert.Equal(["queued", "claimed", "succeeded"], await EventTypesAsync(firstId));
        Assert.Equal(["queued", "claimed"], await EventTypesAsync(secondId));
        Assert.True((await Db.SegmentsAsync(firstId)).Single().Closed);
        Assert.False((await Db.SegmentsAsync(secondId)).Single().Closed);
        Assert.Equal(LeaseRenewal.Held, await Db.Queue.RenewAsync(completion.Next, Lease));
    }

    [Fact]
    public async Task CompleteAndClaim_NothingQueued_CompletesAndClaimsNothing()
    {
        var id = await Db.EnqueueAsync(Db.TenantA);
        var job = (await ClaimAsync())!;

        var completion = await Db.Queue.CompleteAndClaimAsync(job, JobOutcome.Cancelled, null, Next);

        Assert.Equal(new Completion(true, null), completion);
        Assert.Equal("Cancelled", (await Db.JobAsync(id)).State);
        Assert.Equal(0, await Db.Database.ScalarAsync<int>("SELECT running FROM tenant_job_limits"));
    }

    [Fact]
    public async Task CompleteAndClaim_OtherTenantAtItsLimit_ClaimsWithinTheLimit()
    {
        await Db.SetLimitAsync(Db.TenantA, 1);
        await Db.SetLimitAsync(Db.TenantB, 5);
        await Db.EnqueueAsync(Db.TenantA, "a1");
        await Db.EnqueueAsync(Db.TenantB, "b1");
        await Db.EnqueueAsync(Db.TenantB, "b2");
        var a2 = await Db.EnqueueAsync(Db.TenantA, "a2");
        var b3 = await Db.EnqueueAsync(Db.TenantB, "b3");
        Assert.Equal(Db.TenantA, (await ClaimAsync())!.TenantId);
        var b1 = (await ClaimAsync())!;
        Assert.Equal(Db.TenantB, (await ClaimAsync())!.TenantId);

        // After the completion both tenants run one job and a2 is older than b3, but tenant A already
        // runs the one job it is allowed.
        var completion = await Db.Queue.CompleteAndClaimAsync(b1, JobOutcome.Succeeded, null, Next);

        Assert.Equal(b3, completion.Next!.JobId);
        Assert.Equal("Queued", (await Db.JobAsync(a2)).State);
        Assert.Equal(1, await Db.Database.ScalarAsync<int>($"SELECT running FROM tenant_job_limits WHERE tenant_id = '{Db.TenantA}'"));
    }

    [Fact]
    public async Task CompleteAndClaim_CompletedTenantFreesItsOnlySlot_ClaimsThatTenantsNextJob()
    {
        await Db.SetLimitAsync(Db.TenantA, 1);
        var a1 = await Db.EnqueueAsync(Db.TenantA, "a1");
        var a2 = await Db.EnqueueAsync(Db.TenantA, "a2");
        var first = (await ClaimAsync())!;
        Assert.Equal(a1, first.JobId);
        Assert.Null(await ClaimAsync());

        // The completion's own decrement is what lets the claim in the same transaction take a2.
        var completion = await Db.Queue.CompleteAndClaimAsync(first, JobOutcome.Succeeded, null, Next);

        Assert.Equal(a2, completion.Next!.JobId);
        Assert.Equal(1, await Db.Database.ScalarAsync<int>("SELECT running FROM tenant_job_limits"));
    }

    [Fact]
    public async Task CompleteAndClaim_TenantWithFewerRunningJobs_GetsTheNextJobOverAnOlderOne()
    {
        await Db.SetLimitAsync(Db.TenantA, 5);
        await Db.SetLimitAsync(Db.TenantB, 5);
        for (var i = 1; i <= 4; i++)
            await Db.EnqueueAsync(Db.TenantA, $"a{i}");
        await Db.EnqueueAsync(Db.TenantB, "b1");
        var a1 = (await ClaimAsync())!;
        Assert.Equal(Db.TenantB, (await ClaimAsync())!.TenantId);
        await ClaimAsync();
        await ClaimAsync();
        var b2 = await Db.EnqueueAsync(Db.TenantB, "b2");

        // After the completion A runs two jobs and B one: B's b2 goes before A's older a4.
        var completion = await Db.Queue.CompleteAndClaimAsync(a1, JobOutcome.Succeeded, null, Next);

        Assert.Equal(b2, completion.Next!.JobId);
    }

    [Fact]
    public async Task CompleteAndClaim_LeaseLostToAnotherWorker_CompletesNothingAndClaimsNothing()
    {
        var id = await Db.EnqueueAsync(Db.TenantA);
        var stale = (await ClaimAsync())!;
        var waiting = await Db.EnqueueAsync(Db.TenantA, "waiting");
        await Db.ExpireLeaseAsync(id);
        Assert.Equal(1, await Db.Queue.RecoverExpiredAsync());
        var current = (await ClaimAsync())!;
        Assert.Equal(id, current.JobId);

        var completion = await Db.Queue.CompleteAndClaimAsync(stale, JobOutcome.Succeeded, """{"by":"stale"}""", Next);

        Assert.Equal(new Completion(false, null), completion);
        var job = await Db.JobAsync(id);
        Assert.Equal(("Running", 1), (job.State, job.Attempt));
        Assert.Equal("Queued", (await Db.JobAsync(waiting)).State);
        Assert.Equal(1L, await Db.Database.ScalarAsync<long>($"SELECT count(*) FROM jobs WHERE id = '{id}' AND result IS NULL"));
        Assert.Equal(1, await Db.Database.ScalarAsync<int>("SELECT running FROM tenant_job_limits"));
        Assert.Equal(0L, await Db.Database.ScalarAsync<long>("SELECT count(*) FROM job_events WHERE type = 'succeeded'"));
        Assert.Equal(LeaseRenewal.Held, await Db.Queue.RenewAsync(current, Lease));
    }

    [Fact]
    public async Task CompleteAndClaim_Metering_ClosesTheOldSegmentAndOpensTheNextJobsOwn()
    {
        var firstId = await Db.EnqueueAsync(Db.TenantA, "first");
        var secondId = await Db.EnqueueAsync(Db.TenantA, "second");
        var first = (await ClaimAsync())!;
        await Task.Delay(20);

        var second = (await Db.Queue.CompleteAndClaimAsync(first, JobOutcome.Succeeded, null, Next)).Next!;
        await Db.Queue.CompleteAsync(second, JobOutcome.Succeeded);

        var closed = (await Db.SegmentsAsync(firstId)).Single();
        var opened = (await Db.SegmentsAsync(secondId)).Single();
        Assert.True(closed.Closed && closed.End > closed.Start);
        Assert.Equal((1, 1), (opened.Attempt, opened.Segment));
        Assert.True(opened.Closed);
        // One transaction: the finished job's segment ends at the instant the next one starts.
        Assert.Equal(closed.End, opened.Start);
    }

    [Fact]
    public async Task CompleteAndClaim_CompletedAndClaimedJobs_BothSignalTheirEventStreams()
    {
        var firstId = await Db.EnqueueAsync(Db.TenantA, "first");
        var secondId = await Db.EnqueueAsync(Db.TenantA, "second");
        var first = (await ClaimAsync())!;
        await using var listener = await Listener.StartAsync(Db, QueueChannels.Events);

        await Db.Queue.CompleteAndClaimAsync(first, JobOutcome.Succeeded, null, Next);

        Assert.Equal([firstId.ToString(), secondId.ToString()], await listener.ReceivedAsync());
    }

    [Fact]
    public async Task Complete_TenantWasAtItsLimitWithJobsWaiting_WakesWorkers()
    {
        await Db.SetLimitAsync(Db.TenantA, 1);
        await Db.EnqueueAsync(Db.TenantA, "a1");
        await Db.EnqueueAsync(Db.TenantA, "a2");
        var held = (await ClaimAsync())!;
        await using var listener = await Listener.StartAsync(Db, QueueChannels.Work);

        Assert.True(await Db.Queue.CompleteAsync(held, JobOutcome.Succeeded));

        Assert.Equal([""], await listener.ReceivedAsync());
    }

    [Fact]
    public async Task Complete_TenantBelowItsLimit_DoesNotWakeWorkers()
    {
        await Db.SetLimitAsync(Db.TenantA, 5);
        await Db.EnqueueAsync(Db.TenantA, "a1");
        await Db.EnqueueAsync(Db.TenantA, "a2");
        var held = (await ClaimAsync())!;
        await using var listener = await Listener.StartAsync(Db, QueueChannels.Work);

        // a2 was claimable all along; an idle worker would already have taken it.
        Assert.True(await Db.Queue.CompleteAsync(held, JobOutcome.Succeeded));

        Assert.Empty(await listener.ReceivedAsync());
    }

    [Fact]
    public async Task CompleteAndClaim_FreedSlotRetakenInTheSameTransaction_DoesNotWakeWorkers()
    {
        await Db.SetLimitAsync(Db.TenantA, 1);
        await Db.EnqueueAsync(Db.TenantA, "a1");
        await Db.EnqueueAsync(Db.TenantA, "a2");
        var held = (await ClaimAsync())!;
        await using var listener = await Listener.StartAsync(Db, QueueChannels.Work);

        Assert.NotNull((await Db.Queue.CompleteAndClaimAsync(held, JobOutcome.Succeeded, null, Next)).Next);

        Assert.Empty(await listener.ReceivedAsync());
    }

    [Fact]
    public async Task CompleteAndClaim_NextCandidateLockedByAnotherClaimer_CompletesThenClaimsOnceItIsFree()
    {
        var aId = await Db.EnqueueAsync(Db.TenantA, "a");
        var a = (await ClaimAsync())!;
        var b = await Db.EnqueueAsync(Db.TenantB, "b");
        // Another claimer is in the middle of a claim for tenant B: it holds B's row.
        await using var other = await Db.Database.DataSource.OpenConnectionAsync();
        await using var otherClaim = await other.BeginTransactionAsync();
        await using (var lockB = new NpgsqlCommand($"SELECT 1 FROM tenant_job_limits WHERE tenant_id = '{Db.TenantB}' FOR UPDATE", other, otherClaim))
            await lockB.ExecuteNonQueryAsync();

        var completing = Db.Queue.CompleteAndClaimAsync(a, JobOutcome.Succeeded, null, Next);
        // The completion commits although its claim came back busy; then the other claimer finishes
        // without taking b.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while ((await Db.JobAsync(aId)).State != "Succeeded")
        {
            Assert.True(DateTime.UtcNow < deadline, "the completion waited for the other claimer's lock");
            await Task.Delay(10);
        }
        await otherClaim.CommitAsync();
        var completion = await completing;

        Assert.True(completion.Completed);
        Assert.Equal(b, completion.Next!.JobId);
    }

    [Fact]
    public async Task CompleteAndClaim_UnknownState_IsRefusedWithAClearError()
    {
        await Db.EnqueueAsync(Db.TenantA);
        var job = (await ClaimAsync())!;
        await using var command = Db.Database.DataSource.CreateCommand(
            $"CALL complete_and_claim('{job.JobId}', '{job.LeaseToken}', 'Failed', 1, 1, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)");

        var error = await Assert.ThrowsAsync<PostgresException>(() => command.ExecuteNonQueryAsync());

        Assert.Contains("Succeeded or Cancelled", error.MessageText);
        Assert.Equal("Running", (await Db.JobAsync(job.JobId)).State);
    }

    private async Task<List<string>> EventTypesAsync(Guid job)
    {
        await using var command = Db.Database.DataSource.CreateCommand("SELECT type FROM job_events WHERE job_id = $1 ORDER BY id");
        command.Parameters.Add(new NpgsqlParameter { Value = job });
        await using var reader = await command.ExecuteReaderAsync();
        var types = new List<string>();
        while (await reader.ReadAsync())
            types.Add(reader.GetString(0));
        return types;
    }

    /// <summary>
    /// Collects a channel's notifications. <see cref="ReceivedAsync"/> sends a marker and returns what
    /// came before it: PostgreSQL delivers notifications in commit order, so anything the code under
    /// test sent has arrived by then, and "nothing" is a definite answer rather than a timeout.
    /// </summary>
    private sealed class Listener : IAsyncDisposable
    {
        private const string Marker = "test-marker";
        private readonly NpgsqlConnection _connection;
        private readonly QueueDatabase _db;
        private readonly string _channel;
        private readonly List<string> _payloads = [];

        private Listener(NpgsqlConnection connection, QueueDatabase db, string channel)
        {
            _connection = connection;
            _db = db;
            _channel = channel;
            connection.Notification += (_, e) => _payloads.Add(e.Payload);
        }

        public static async Task<Listener> StartAsync(QueueDatabase db, string channel)
        {
            var connection = await db.Database.DataSource.OpenConnectionAsync();
            var listener = new Listener(connection, db, channel);
            await using var listen = new NpgsqlCommand($"LISTEN {channel}", connection);
            await listen.ExecuteNonQueryAsync();
            return listener;
        }

        public async Task<List<string>> ReceivedAsync()
        {
            await using (var marker = _db.Database.DataSource.CreateCommand($"SELECT pg_notify('{_channel}', '{Marker}')"))
                await marker.ExecuteNonQueryAsync();
            using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            while (!_payloads.Contains(Marker))
                await _connection.WaitAsync(patience.Token);
            return _payloads[.._payloads.IndexOf(Marker)];
        }

        public ValueTask DisposeAsync() => _connection.DisposeAsync();
    }
}
