using Npgsql;
using Platform.Jobs.Queue;
using Platform.Testing;

namespace Platform.Jobs.Tests;

/// <summary>
/// Scheduling classes and runtime caps (issue 11, finding 6; decision 0029), on the real claim and
/// renewal SQL: paying plans go first, one owner's tenants share one turn, a plan caps a job's device time.
/// </summary>
public sealed class SchedulingTests : QueueTestBase
{
    private const string FreePlan = "0195f1a0-0000-7000-8000-000000000001";

    [Fact]
    public async Task Claim_OneOwnersManyFreeTenantsQueuedFirst_PayingTenantsJobRunsFirst()
    {
        var puppets = await TenantsOfOneOwnerAsync(3);
        foreach (var puppet in puppets)
        {
            await OnPlanAsync(puppet, FreePlan);
            for (var i = 0; i < 3; i++)
                await Db.EnqueueAsync(puppet, $"puppet-{i}");
        }
        var paying = (await Seed.TenantAsync(Db.Database)).Tenant.Id;
        await OnPlanAsync(paying, await PaidPlanAsync());
        var victim = await Db.EnqueueAsync(paying, "paying");

        var first = await ClaimAsync();

        Assert.Equal(victim, first!.JobId);
    }

    [Fact]
    public async Task Claim_WithinAClass_OneOwnersTenantsShareOneTurn()
    {
        var puppets = await TenantsOfOneOwnerAsync(3);
        foreach (var puppet in puppets)
        {
            for (var i = 0; i < 2; i++)
                await Db.EnqueueAsync(puppet, $"puppet-{i}");
        }
        var other = (await Seed.TenantAsync(Db.Database)).Tenant.Id;
        for (var i = 0; i < 2; i++)
            await Db.EnqueueAsync(other, $"other-{i}");

        var claimed = new List<Guid>();
        for (var i = 0; i < 4; i++)
            claimed.Add((await ClaimAsync())!.TenantId);

        // Per tenant, the three puppets would have run three jobs before the other owner's first.
        Assert.Equal([true, false, true, false], claimed.Select(puppets.Contains));
    }

    [Fact]
    public async Task Claim_PayingPlanWhoseSubscriptionIsCanceled_IsFreeClass()
    {
        var free = (await Seed.TenantAsync(Db.Database)).Tenant.Id;
        await OnPlanAsync(free, FreePlan);
        var freeJob = await Db.EnqueueAsync(free);
        var canceled = (await Seed.TenantAsync(Db.Database)).Tenant.Id;
        await OnPlanAsync(canceled, await PaidPlanAsync(), status: "canceled");
        await Db.EnqueueAsync(canceled);

        Assert.Equal(freeJob, (await ClaimAsync())!.JobId);
    }

    [Fact]
    public async Task Renew_JobPastItsPlansRuntimeCap_AsksTheRunToStopWithTheReason()
    {
        var tenant = (await Seed.TenantAsync(Db.Database)).Tenant.Id;
        await OnPlanAsync(tenant, await PaidPlanAsync(maxRuntimeSeconds: 600));
        var id = await Db.EnqueueAsync(tenant);
        var run = (await ClaimAsync())!;
        Assert.Equal(LeaseRenewal.Held, await Db.Queue.RenewAsync(run, Lease));

        // Just under ten minutes of device time: an earlier run of 419 s and this one of 180 s.
        await Db.Database.ScalarAsync<int>($"""
            WITH u AS (UPDATE usage_segments SET started_at = now() - interval '180 seconds' WHERE job_id = '{id}' RETURNING 1)
            SELECT count(*)::int FROM u
            """);
        await Db.Database.ScalarAsync<int>($"""
            WITH u AS (INSERT INTO usage_segments (job_id, attempt, segment, tenant_id, worker_id, device_kind, started_at, ended_at, closed)
                       VALUES ('{id}', 0, 1, '{tenant}', '{Worker}', 'cpu', now() - interval '1 hour', now() - interval '1 hour' + interval '419 seconds', true)
                       RETURNING 1)
            SELECT count(*)::int FROM u
            """);
        Assert.Equal(LeaseRenewal.Held, await Db.Queue.RenewAsync(run, Lease));
        await Db.Database.ScalarAsync<int>($"""
            WITH u AS (UPDATE usage_segments SET ended_at = ended_at + interval '2 seconds' WHERE job_id = '{id}' AND attempt = 0 RETURNING 1)
            SELECT count(*)::int FROM u
            """);

        Assert.Equal(LeaseRenewal.CancelRequested, await Db.Queue.RenewAsync(run, Lease));
        var job = await Db.JobRowAsync(id);
        Assert.StartsWith("Stopped: the Paid plan allows 10 minutes of device time per job", job.Error);
        Assert.Equal(1L, await Db.Database.ScalarAsync<long>($"SELECT count(*) FROM job_events WHERE job_id = '{id}' AND type = 'runtime-cap'"));

        // The run stops and the job ends there, with the reason kept.
        await Db.Queue.CompleteAsync(run, JobOutcome.Cancelled);
        job = await Db.JobRowAsync(id);
        Assert.Equal("Cancelled", job.State);
        Assert.StartsWith("Stopped: the Paid plan", job.Error);
    }

    [Fact]
    public async Task Renew_PlanWithoutRuntimeCap_NeverAsksToStop()
    {
        var tenant = (await Seed.TenantAsync(Db.Database)).Tenant.Id;
        await OnPlanAsync(tenant, await PaidPlanAsync());
        var id = await Db.EnqueueAsync(tenant);
        var run = (await ClaimAsync())!;
        await Db.Database.ScalarAsync<int>($"""
            WITH u AS (UPDATE usage_segments SET started_at = now() - interval '30 days' WHERE job_id = '{id}' RETURNING 1)
            SELECT count(*)::int FROM u
            """);

        Assert.Equal(LeaseRenewal.Held, await Db.Queue.RenewAsync(run, Lease));
    }

    /// <summary>Tenants that all have the same first owner (one person's sock puppets).</summary>
    private async Task<List<Guid>> TenantsOfOneOwnerAsync(int count)
    {
        var tenants = new List<Guid>();
        Guid? owner = null;
        for (var i = 0; i < count; i++)
        {
            var (tenant, founder) = await Seed.TenantAsync(Db.Database);
            owner ??= founder.UserId;
            await Execute($"UPDATE tenant_memberships SET user_id = '{owner}' WHERE tenant_id = '{tenant.Id}'");
            tenants.Add(tenant.Id);
        }
        return tenants;
    }

    private async Task<string> PaidPlanAsync(int? maxRuntimeSeconds = null)
    {
        var id = Guid.CreateVersion7();
        await Execute($"""
            INSERT INTO billing_plans (id, code, name, currency, monthly_fee, included_gpu_hours, included_cpu_hours,
                gpu_overage_per_hour, cpu_overage_per_hour, max_concurrent_jobs, max_dataset_bytes, max_storage_bytes, cap_mode,
                max_job_runtime_seconds)
            VALUES ('{id}', 'paid-{id:N}', 'Paid', 'USD', 49, 10, 10, 1, 1, 4, 1000000, 1000000, 'Soft',
                {(maxRuntimeSeconds is { } cap ? cap.ToString(System.Globalization.CultureInfo.InvariantCulture) : "NULL")})
            """);
        return id.ToString();
    }

    private async Task OnPlanAsync(Guid tenant, string plan, string status = "active")
    {
        await Execute($"INSERT INTO subscriptions (tenant_id, status, anchor) VALUES ('{tenant}', '{status}', now() - interval '1 day')");
        await Execute($"INSERT INTO subscription_plan_changes (tenant_id, effective_at, plan_id) VALUES ('{tenant}', now() - interval '1 day', '{plan}')");
    }

    private async Task Execute(string sql)
    {
        await using var command = Db.Database.DataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }
}
