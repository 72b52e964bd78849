using Npgsql;
using Platform.Domain.Usage;
using Platform.Jobs.Queue;

namespace Platform.Jobs.Tests;

/// <summary>
/// Gang scheduling in the queue (decision 0044) against real PostgreSQL: the N ranks of a job are
/// claimed all or none, fenced together, and metered one run each. Workers are registered rows of one
/// slot each, as the fixture makes them.
/// </summary>
public sealed class GangSchedulingTests : QueueTestBase
{
    private Task<ClaimedJob?> ClaimAsAsync(Guid worker) => Db.Queue.ClaimAsync(worker, Lease, "cpu");

    private Task<Guid> EnqueueGangAsync(Guid tenant, int devices = 2, string name = "gang") =>
        Db.Queue.EnqueueAsync(new JobSubmission(tenant, "noop", name, "{}", Devices: devices));

    private Task<long> CountAsync(string sql) => Db.Database.ScalarAsync<long>(sql);

    private async Task<int> RunningAsync(Guid tenant) =>
        await Db.Database.ScalarAsync<int>($"SELECT running FROM tenant_job_limits WHERE tenant_id = '{tenant}'");

    private async Task ExecuteAsync(string sql)
    {
        await using var command = Db.Database.DataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    [Fact]
    public async Task Claim_GangOfTwoWithOneFreeSlot_ClaimsNothingAndHoldsNothing()
    {
        var gang = await EnqueueGangAsync(Db.TenantA);

        Assert.Null(await ClaimAsync());

        Assert.Equal("Queued", (await Db.JobAsync(gang)).State);
        Assert.Equal(0, await CountAsync("SELECT count(*) FROM gang_ranks"));
        Assert.Equal(0, await CountAsync("SELECT count(*) FROM usage_segments"));
        Assert.Equal(0, await RunningAsync(Db.TenantA));
    }

    [Fact]
    public async Task Claim_GangOfTwoOnTwoWorkers_ClaimsBothRanksTogether()
    {
        var other = await Db.RegisterWorkerAsync("other");
        var gang = await EnqueueGangAsync(Db.TenantA);

        var rank0 = await ClaimAsync();

        Assert.NotNull(rank0);
        Assert.Equal((gang, 0, 2), (rank0.JobId, rank0.Rank, rank0.WorldSize));
        // Rank 1 is assigned to the other worker's free slot in the same transaction: all or none.
        Assert.Equal(other, await Db.Database.ScalarAsync<Guid>($"SELECT worker_id FROM gang_ranks WHERE job_id = '{gang}' AND rank = 1"));
        Assert.Equal(2, await RunningAsync(Db.TenantA));
        // The other worker's next claim is its rank, under its own token.
        var rank1 = await ClaimAsAsync(other);
        Assert.NotNull(rank1);
        Assert.Equal((gang, 1, 2), (rank1.JobId, rank1.Rank, rank1.WorldSize));
        Assert.NotEqual(rank0.LeaseToken, rank1.LeaseToken);
        Assert.Equal(rank0.Segment + 1, rank1.Segment);
        Assert.Equal(LeaseRenewal.Held, await Db.Queue.RenewAsync(rank0, Lease));
        Assert.Equal(LeaseRenewal.Held, await Db.Queue.RenewAsync(rank1, Lease));

        // Rank 0 publishes the rendezvous; rank 1 reads it.
        Assert.Null(await Db.Queue.RendezvousAsync(rank1));
        Assert.True(await Db.Queue.PublishRendezvousAsync(rank0, "10.0.0.5:29551"));
        Assert.Equal("10.0.0.5:29551", await Db.Queue.RendezvousAsync(rank1));

        // Rank 1 finishing ends its own run only; rank 0 decides the job's outcome.
        Assert.True(await Db.Queue.CompleteAsync(rank1, JobOutcome.Succeeded));
        Assert.Equal("Running", (await Db.JobAsync(gang)).State);
        Assert.True(await Db.Queue.CompleteAsync(rank0, JobOutcome.Succeeded));
        Assert.Equal("Succeeded", (await Db.JobAsync(gang)).State);
        Assert.Equal(0, await RunningAsync(Db.TenantA));
        Assert.All(await Db.SegmentsAsync(gang), s => Assert.True(s.Closed));
    }

    [Fact]
    public async Task Claim_TwoGangsCompetingForThreeSlots_OneStartsWholeTheOtherHoldsNothing()
    {
        var workers = new[] { Worker, await Db.RegisterWorkerAsync("w2"), await Db.RegisterWorkerAsync("w3") };
        await Db.SetLimitAsync(Db.TenantA, 4);
        await Db.SetLimitAsync(Db.TenantB, 4);
        var gangA = await EnqueueGangAsync(Db.TenantA, name: "a");
        var gangB = await EnqueueGangAsync(Db.TenantB, name: "b");

        // All three workers claim at once; then those still free claim again (picking up assigned ranks).
        var claims = await ClaimWithFreeWorkersAsync(workers);

        var started = claims.Select(c => c.JobId).Distinct().ToList();
        Assert.Single(started);
        Assert.Equal([0, 1], claims.Select(c => c.Rank).Order());
        var waiting = started[0] == gangA ? gangB : gangA;
        Assert.Equal("Queued", (await Db.JobAsync(waiting)).State);
        Assert.Equal(0, await CountAsync($"SELECT count(*) FROM gang_ranks WHERE job_id = '{waiting}'"));

        // The first gang finishes; the second then starts on whatever two slots are free.
        foreach (var claim in claims.OrderByDescending(c => c.Rank))
            Assert.True(await Db.Queue.CompleteAsync(claim, JobOutcome.Succeeded));
        var next = await ClaimWithFreeWorkersAsync(workers);
        Assert.Equal([waiting, waiting], next.Select(c => c.JobId));
        Assert.Equal([0, 1], next.Select(c => c.Rank).Order());
    }

    /// <summary>Two rounds of concurrent claims by the workers whose one slot is free, as their dispatchers claim.</summary>
    private async Task<List<ClaimedJob>> ClaimWithFreeWorkersAsync(Guid[] workers)
    {
        var held = new Dictionary<Guid, ClaimedJob>();
        for (var round = 0; round < 2; round++)
        {
            var free = workers.Where(w => !held.ContainsKey(w)).ToList();
            var claimed = await Task.WhenAll(free.Select(ClaimAsAsync));
            foreach (var (worker, claim) in free.Zip(claimed))
            {
                if (claim is not null)
                    held[worker] = claim;
            }
        }
        return [.. held.Values];
    }

    [Fact]
    public async Task Claim_GangThatCannotStart_LetsTheTenantsSingleJobRun()
    {
        var gang = await EnqueueGangAsync(Db.TenantA);
        var single = await Db.EnqueueAsync(Db.TenantA, "single");

        var claimed = await ClaimAsync();

        Assert.Equal(single, claimed?.JobId);
        Assert.Equal(1, claimed!.WorldSize);
        Assert.Equal("Queued", (await Db.JobAsync(gang)).State);
        Assert.Equal(1, await CountAsync($"SELECT count(*) FROM job_queue WHERE job_id = '{gang}' AND gang_waiting_since IS NOT NULL"));
    }

    [Fact]
    public async Task Claim_GangWaitingPastTheReservationTime_HoldsFreeSlotsUntilItStarts()
    {
        var other = await Db.RegisterWorkerAsync("other");
        await Db.SetLimitAsync(Db.TenantA, 4);
        await Db.SetLimitAsync(Db.TenantB, 4);
        var first = await Db.EnqueueAsync(Db.TenantB, "first");
        var running = await ClaimAsync();
        Assert.Equal(first, running?.JobId);
        var gang = await EnqueueGangAsync(Db.TenantA);
        var late = await Db.EnqueueAsync(Db.TenantB, "late");
        // The gang has been at the head, unable to start, for longer than the reservation time (30 s).
        await ExecuteAsync($"UPDATE job_queue SET gang_waiting_since = now() - interval '31 seconds' WHERE job_id = '{gang}'");

        // The free slot is held for the gang: the single job behind it does not take it.
        Assert.Null(await ClaimAsAsync(other));
        Assert.Equal("Queued", (await Db.JobAsync(late)).State);

        // When the running job ends, its worker's next claim starts the gang on both slots.
        var completion = await Db.Queue.CompleteAndClaimAsync(running!, JobOutcome.Succeeded, null,
            new ClaimRequest(Worker, Lease, "cpu"));
        Assert.Equal((gang, 0), (completion.Next?.JobId, completion.Next?.Rank));
        var rank1 = await ClaimAsAsync(other);
        Assert.Equal((gang, 1), (rank1?.JobId, rank1?.Rank));
    }

    [Fact]
    public async Task Claim_OtherWorkerMissedAHeartbeat_AssignsItNoRank()
    {
        var other = await Db.RegisterWorkerAsync("other");
        // It beats every second and last beat 4 s ago: within the 30 s lease, but it missed beats (killed, frozen).
        await ExecuteAsync($"UPDATE workers SET heartbeat_every = interval '1 second', heartbeat_at = now() - interval '4 seconds' WHERE id = '{other}'");
        var gang = await EnqueueGangAsync(Db.TenantA);

        Assert.Null(await ClaimAsync());
        Assert.Equal(0, await CountAsync("SELECT count(*) FROM gang_ranks"));

        // Beating again, it is counted again.
        await ExecuteAsync($"UPDATE workers SET heartbeat_at = now() WHERE id = '{other}'");
        var rank0 = await ClaimAsync();
        Assert.Equal((gang, 0, 2), (rank0?.JobId, rank0?.Rank, rank0?.WorldSize));
        Assert.Equal(other, await Db.Database.ScalarAsync<Guid>($"SELECT worker_id FROM gang_ranks WHERE job_id = '{gang}'"));
    }

    [Fact]
    public async Task Claim_RankReleasedButNotYetStopped_ItsSlotIsNotGivenToTheNextStart()
    {
        var other = await Db.RegisterWorkerAsync("other");
        var gang = await EnqueueGangAsync(Db.TenantA);
        var rank0 = (await ClaimAsync())!;
        var rank1 = (await ClaimAsAsync(other))!;
        // Rank 0 is interrupted, which releases rank 1; rank 1's worker has not stopped it yet (it
        // notices at its next renewal, or hangs in the rendezvous until its timeout).
        await Db.Queue.EndRunAsync(rank0, RunEnding.Interrupted, "peer died", new DeviceStop(DateTime.UtcNow, 1));
        await ExecuteAsync($"UPDATE job_queue SET available_at = now() WHERE job_id = '{gang}'");

        Assert.Null(await ClaimAsync());

        // Once rank 1 reports its device stopped, the slot is free and the gang starts again.
        await Db.Queue.EndRunAsync(rank1, RunEnding.Interrupted, "released", new DeviceStop(DateTime.UtcNow, 1));
        var again = await ClaimAsync();
        Assert.Equal((gang, 0, 2), (again?.JobId, again?.Rank, again?.WorldSize));
        Assert.Equal(other, await Db.Database.ScalarAsync<Guid>($"SELECT worker_id FROM gang_ranks WHERE job_id = '{gang}'"));
    }

    [Fact]
    public async Task Claim_InterruptedGangPastTheReservationTimeWithFewerSlots_ResumesOnTheFreeOnes()
    {
        var w2 = await Db.RegisterWorkerAsync("w2");
        var w3 = await Db.RegisterWorkerAsync("w3");
        await Db.SetLimitAsync(Db.TenantA, 4);
        var gang = await EnqueueGangAsync(Db.TenantA, devices: 3);
        var first = new[] { (await ClaimAsync())!, (await ClaimAsAsync(w2))!, (await ClaimAsAsync(w3))! };
        Assert.Equal([0, 1, 2], first.Select(c => c.Rank).Order());

        // w3 dies: its rank's run ends as an interruption, which releases the gang; w3 beats no more.
        var onW3 = first.Single(c => c.Rank == 2);
        Assert.Equal(Platform.Domain.Jobs.JobState.Queued,
            (await Db.Queue.EndRunAsync(onW3, RunEnding.Interrupted, "worker died", new DeviceStop(DateTime.UtcNow, 1))).State);
        foreach (var rank in first.Where(c => c.Rank != 2))
            await Db.Queue.EndRunAsync(rank, RunEnding.Interrupted, "released", new DeviceStop(DateTime.UtcNow, 1));
        await ExecuteAsync($"""
            UPDATE workers SET heartbeat_at = now() - interval '1 minute' WHERE id = '{w3}';
            UPDATE job_queue SET available_at = now() WHERE job_id = '{gang}';
            """);
        Assert.Equal(0, await RunningAsync(Db.TenantA));

        // Two slots are left: within the reservation time the gang waits for three.
        Assert.Null(await ClaimAsync());
        Assert.Equal("Queued", (await Db.JobAsync(gang)).State);

        // Past it, it resumes on the two, and says so.
        await ExecuteAsync($"UPDATE job_queue SET gang_waiting_since = now() - interval '31 seconds' WHERE job_id = '{gang}'");
        var rank0 = await ClaimAsync();
        var rank1 = await ClaimAsAsync(w2);
        Assert.Equal((gang, 0, 2), (rank0?.JobId, rank0?.Rank, rank0?.WorldSize));
        Assert.Equal((gang, 1, 2), (rank1?.JobId, rank1?.Rank, rank1?.WorldSize));
        Assert.Null(await ClaimAsAsync(w3));
        Assert.Equal(2, await RunningAsync(Db.TenantA));
        Assert.Contains("Resumed on 2 of its 3 devices", await Db.Database.ScalarAsync<string>(
            $"SELECT message FROM job_events WHERE job_id = '{gang}' AND type = 'claimed' ORDER BY id DESC LIMIT 1"));
        var limits = await new Platform.Jobs.Limits.GetTenantJobLimitsQuery(Db.Database.DataSource).ExecuteAsync(Db.TenantA);
        Assert.Equal(2, limits.Running);
        // Two runs metered for this start, one per device it runs on.
        Assert.Equal(2, await CountAsync($"SELECT count(*) FROM usage_segments WHERE job_id = '{gang}' AND segment >= {rank0!.Segment}"));

        // Released again, it gives back the two it holds, not the three it asked for.
        await Db.Queue.EndRunAsync(rank1!, RunEnding.Interrupted, "again", new DeviceStop(DateTime.UtcNow, 1));
        Assert.Equal(0, await RunningAsync(Db.TenantA));
    }

    [Fact]
    public async Task Claim_FreshGangPastTheReservationTimeWithOneFreeSlot_StillWaitsForAll()
    {
        var other = await Db.RegisterWorkerAsync("other");
        await Db.SetLimitAsync(Db.TenantA, 4);
        await Db.EnqueueAsync(Db.TenantB, "busy");
        Assert.NotNull(await ClaimAsync());
        var gang = await EnqueueGangAsync(Db.TenantA);
        Assert.Null(await ClaimAsAsync(other));
        await ExecuteAsync($"UPDATE job_queue SET gang_waiting_since = now() - interval '31 seconds' WHERE job_id = '{gang}'");

        // Never started, it runs on the devices it was launched with: the free slot is held for it instead.
        Assert.Null(await ClaimAsAsync(other));
        Assert.Equal("Queued", (await Db.JobAsync(gang)).State);
        Assert.Equal(0, await CountAsync("SELECT count(*) FROM gang_ranks"));
    }

    [Fact]
    public async Task Recover_RankLostItsLease_ReleasesTheWholeGang()
    {
        var other = await Db.RegisterWorkerAsync("other");
        var gang = await EnqueueGangAsync(Db.TenantA);
        var rank0 = (await ClaimAsync())!;
        var rank1 = (await ClaimAsAsync(other))!;

        await ExecuteAsync($"UPDATE gang_ranks SET lease_expires_at = now() - interval '1 second' WHERE job_id = '{gang}'");
        Assert.Equal(1, await Db.Queue.RecoverExpiredAsync());

        var job = await Db.JobRowAsync(gang);
        Assert.Equal(("Queued", 1), (job.State, job.Interruptions));
        Assert.Contains("rank", job.LastInterruption);
        Assert.Equal(0, await RunningAsync(Db.TenantA));
        Assert.Equal(0, await CountAsync("SELECT count(*) FROM gang_ranks"));
        // Both ranks are fenced out: each stops at its next renewal and reports its device stop.
        Assert.Equal(LeaseRenewal.Lost, await Db.Queue.RenewAsync(rank0, Lease));
        Assert.Equal(LeaseRenewal.Lost, await Db.Queue.RenewAsync(rank1, Lease));
        await Assert.ThrowsAsync<LeaseLostException>(() => Db.Queue.RendezvousAsync(rank1));
        var stop = new DeviceStop(DateTime.UtcNow, 1);
        Assert.Null((await Db.Queue.EndRunAsync(rank0, RunEnding.Interrupted, "lost", stop)).State);
        Assert.Null((await Db.Queue.EndRunAsync(rank1, RunEnding.Interrupted, "lost", stop)).State);
        Assert.All(await Db.SegmentRowsAsync(gang), s => Assert.Equal((true, "worker"), (s.Closed, s.EndSource)));

        // The gang comes back whole, from the same attempt, on the free slots.
        var again = new[] { await ClaimAsync(), await ClaimAsAsync(other) };
        Assert.Equal([0, 1], again.Select(c => c!.Rank));
        Assert.All(again, c => Assert.Equal((gang, 1), (c!.JobId, c.Attempt)));
    }

    [Fact]
    public async Task EndRun_RankFailed_RequeuesTheJobAndFencesRankZero()
    {
        var other = await Db.RegisterWorkerAsync("other");
        var gang = await EnqueueGangAsync(Db.TenantA);
        var rank0 = (await ClaimAsync())!;
        var rank1 = (await ClaimAsAsync(other))!;

        var ended = await Db.Queue.EndRunAsync(rank1, RunEnding.Failed, "out of memory", new DeviceStop(DateTime.UtcNow, 1));

        Assert.Equal(Platform.Domain.Jobs.JobState.Queued, ended.State);
        Assert.Equal(2, (await Db.JobAsync(gang)).Attempt);
        Assert.Equal(LeaseRenewal.Lost, await Db.Queue.RenewAsync(rank0, Lease));
        Assert.Equal(0, await RunningAsync(Db.TenantA));
        Assert.Equal(0, await CountAsync("SELECT count(*) FROM gang_ranks"));
    }

    [Fact]
    public async Task Metering_TwoRankRun_BillsTwiceTheDeviceSecondsOfOneRank()
    {
        var other = await Db.RegisterWorkerAsync("other");
        await Db.SetLimitAsync(Db.TenantA, 4);
        var single = await Db.EnqueueAsync(Db.TenantA, "single");
        var one = (await ClaimAsync())!;
        await ExecuteAsync($"UPDATE usage_segments SET started_at = started_at - interval '10 seconds' WHERE job_id = '{single}'");
        Assert.True(await Db.Queue.CompleteAsync(one, JobOutcome.Succeeded, stop: new DeviceStop(DateTime.UtcNow, 10)));

        var gang = await EnqueueGangAsync(Db.TenantA);
        var rank0 = (await ClaimAsync())!;
        var rank1 = (await ClaimAsAsync(other))!;
        // Both ranks ran ten seconds (the segments are moved back rather than the test waiting).
        await ExecuteAsync($"UPDATE usage_segments SET started_at = started_at - interval '10 seconds' WHERE job_id = '{gang}'");
        var stop = new DeviceStop(DateTime.UtcNow, 10);
        Assert.True(await Db.Queue.CompleteAsync(rank1, JobOutcome.Succeeded, stop: stop));
        Assert.True(await Db.Queue.CompleteAsync(rank0, JobOutcome.Succeeded, stop: stop));

        var billed = await BilledSecondsAsync();
        Assert.Equal(2, billed[gang].Count);
        Assert.Equal(2 * billed[single].Sum(s => s.Seconds), billed[gang].Sum(s => s.Seconds));
        // Each rank is its own run, with its own idempotency key: a replay never bills one twice.
        Assert.Equal(2, billed[gang].Select(s => s.IdempotencyKey).Distinct().Count());
    }

    /// <summary>The closed segments as billing reads them (the usage source the ledger ingests), by job.</summary>
    private async Task<Dictionary<Guid, List<UsageSegment>>> BilledSecondsAsync()
    {
        var source = new Platform.Jobs.Metering.UsageSegmentSource(Db.Database.DataSource);
        var segments = await source.ClosedSegmentsAsync(DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddHours(1));
        return segments.GroupBy(s => s.JobId).ToDictionary(g => g.Key, g => g.ToList());
    }
}
