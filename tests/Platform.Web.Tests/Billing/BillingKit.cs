using Microsoft.Extensions.Options;
using Platform.Billing;
using Platform.Billing.Tax;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Platform.Billing.Invoices;
using Platform.Billing.Plans;
using Platform.Billing.Scheduling;
using Platform.Data.Identity;
using Platform.Domain.Billing;
using Platform.Domain.Usage;
using Platform.Jobs.Queue;
using Platform.Testing;
using Platform.Web.Tests.Infrastructure;

namespace Platform.Web.Tests.Billing;

/// <summary>
/// Billing set-up for the portal tests, through the real commands: plans are saved and assigned,
/// jobs are enqueued, claimed and completed on the job queue (so their usage segments are a
/// worker's), the scheduler's tick ingests them, and periods close with ClosePeriodCommand.
/// </summary>
internal static class BillingKit
{
    /// <summary>$100 a month, 10 GPU hours and 20 CPU hours included, $2.50 and $0.10 an hour over.</summary>
    public static Plan Starter() => new(Guid.NewGuid(), "starter-" + Guid.NewGuid().ToString("N")[..8], "Starter", "USD", 100m, 10m, 20m,
        2.50m, 0.10m, 2, 1_000_000_000, 10_000_000_000, CapMode.Soft);

    public static async Task AssignPlanAsync(PortalFactory portal, Guid tenantId, Plan? plan = null)
    {
        plan ??= Starter();
        await portal.WithServicesAsync(async sp =>
        {
            var saved = await sp.GetRequiredService<SavePlanCommand>().ExecuteAsync(plan);
            Assert.True(saved.IsSuccess, saved.Error);
            var assigned = await sp.GetRequiredService<AssignPlanCommand>().ExecuteAsync(tenantId, plan.Id);
            Assert.True(assigned.IsSuccess, assigned.Error);
            return 0;
        });
    }

    /// <summary>A job that ran a little over <paramref name="seconds"/> on a registered worker and succeeded.</summary>
    public static async Task<Guid> FinishedJobAsync(PortalFactory portal, Guid tenantId, string name = "billed job", string device = "cuda",
        int seconds = 1)
    {
        var queue = portal.Services.GetRequiredService<JobQueue>();
        var workerId = Guid.CreateVersion7();
        // The row a worker host writes for itself when it starts (JobWorker.RegisterAsync).
        await using (var register = portal.Database.DataSource.CreateCommand(
            "INSERT INTO workers (id, name, device_kind, device_name, slots) VALUES ($1, 'web-test-worker', $2, 'test device', 1)"))
        {
            register.Parameters.Add(new NpgsqlParameter { Value = workerId });
            register.Parameters.Add(new NpgsqlParameter { Value = device });
            await register.ExecuteNonQueryAsync();
        }
        var jobId = await queue.EnqueueAsync(new JobSubmission(tenantId, "noop", name, "{}"));
        var claimed = await queue.ClaimAsync(workerId, TimeSpan.FromMinutes(1), device);
        Assert.Equal(jobId, claimed?.JobId);
        // Billed time is whole seconds: the job has to run at least one.
        await TestUsage.BackdateRunAsync(portal.Database.DataSource, jobId, seconds + 0.1);
        Assert.True(await queue.CompleteAsync(claimed!, JobOutcome.Succeeded));
        return jobId;
    }

    /// <summary>One scheduler tick, as the portal's hosted scheduler runs it (the tests' portal has it disabled).</summary>
    public static async Task<BillingTickResult> TickAsync(PortalFactory portal)
    {
        var tick = await portal.Services.GetRequiredService<BillingScheduler>().TickAsync();
        Assert.True(tick.Succeeded, string.Join("; ", tick.Failures));
        return tick;
    }

    /// <summary>
    /// Closes the tenant's current period as it will be closed once it has ended: ClosePeriodCommand with
    /// a clock a month ahead (the portal's own clock is shared by the test class and stays put).
    /// </summary>
    public static async Task<ClosePeriodResult> CloseCurrentPeriodAsync(PortalFactory portal, Guid tenantId, bool finalize = true)
    {
        var later = new AdjustableTimeProvider();
        later.Advance(TimeSpan.FromDays(32) + portal.Time.GetUtcNow().Subtract(DateTimeOffset.UtcNow));
        var closed = await portal.WithServicesAsync(sp => new ClosePeriodCommand(sp.GetRequiredService<NpgsqlDataSource>(), later,
            sp.GetServices<IUsageSource>(), sp.GetService<IOptions<BillingOptions>>(), sp.GetService<IOptions<SellerOptions>>(),
            sp.GetService<IOptions<TaxOptions>>()).ExecuteAsync(tenantId, portal.Time.GetUtcNow(), finalize));
        Assert.True(closed.IsSuccess, closed.Error);
        return closed.Value;
    }

    public static async Task<PortalClient> FinanceClientAsync(PortalFactory portal)
    {
        var finance = await portal.CreateUserAsync(null, PlatformRoles.Finance);
        var client = portal.CreatePortalClient();
        await client.SignInAsync(finance.Email!);
        return client;
    }

    /// <summary>An organisation whose current period has a finished GPU job, closed into an open invoice.</summary>
    public static async Task<(Guid TenantId, Guid JobId, ClosePeriodResult Invoice)> InvoicedTenantAsync(PortalFactory portal, Guid tenantId,
        bool finalize = true)
    {
        await AssignPlanAsync(portal, tenantId);
        var jobId = await FinishedJobAsync(portal, tenantId);
        var invoice = await CloseCurrentPeriodAsync(portal, tenantId, finalize);
        return (tenantId, jobId, invoice);
    }
}
