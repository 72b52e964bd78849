using Hangfire;
using Hangfire.Storage;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Platform.Billing.Scheduling;
using Platform.Web.Background;
using Platform.Web.Tests.Billing;
using Platform.Web.Tests.Infrastructure;
using Platform.Web.Tests.Jobs;

namespace Platform.Web.Tests.Background;

/// <summary>
/// Hangfire's activator and log provider are process-wide, set by the last portal to configure
/// Hangfire: the portal with a server runs alone, so its jobs are activated in its own container.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class BackgroundServerCollection : ICollectionFixture<BackgroundServerFactory>
{
    public const string Name = "Hangfire server";
}

/// <summary>A portal with its Hangfire server running, as `./platform up` runs it.</summary>
public sealed class BackgroundServerFactory : IAsyncLifetime
{
    public PortalFactory Portal { get; } = new() { BackgroundServer = true };

    /// <summary>The recurring jobs on the schedule once the portal had started (before any test changed it).</summary>
    public IReadOnlyList<string> ScheduledAtStart { get; private set; } = [];

    public async Task InitializeAsync()
    {
        await ((IAsyncLifetime)Portal).InitializeAsync();
        _ = Portal.Server;
        using var connection = Portal.Services.GetRequiredService<JobStorage>().GetConnection();
        ScheduledAtStart = connection.GetRecurringJobs().Select(j => j.Id).ToList();
    }

    public Task DisposeAsync() => ((IAsyncLifetime)Portal).DisposeAsync();
}

/// <summary>
/// The recurring jobs on a real Hangfire server over the portal's PostgreSQL: what the server puts on
/// the schedule at start, and a "trigger now" that the server runs through to the step's effect.
/// Every wait is for a condition (the job's recorded state), never for a time.
/// </summary>
[Collection(BackgroundServerCollection.Name)]
public sealed class BackgroundServerTests(BackgroundServerFactory fixture)
{
    private PortalFactory Portal => fixture.Portal;

    [Fact]
    public void Start_BillingDisabled_ScheduleHasHousekeepingAndNoBilling()
    {
        // The test portal sets BillingScheduler:Enabled=false: the server's start took billing off the schedule.
        var ids = fixture.ScheduledAtStart;

        Assert.Contains(HousekeepingJobs.UploadSpoolsId, ids);
        Assert.Contains(HousekeepingJobs.StoppedWorkersId, ids);
        Assert.Contains(HousekeepingJobs.PlanRetentionId, ids);
        Assert.Contains(Platform.Web.Accounts.Mail.AccountMailJobs.RecurringId, ids);
        Assert.DoesNotContain(BillingJobs.IngestUsageId, ids);
        Assert.DoesNotContain(BillingJobs.ReportUsageToStripeId, ids);
    }

    [Fact]
    public async Task SignUp_ServerRunning_CreatesTheAccountAndSendsTheConfirmationMailByItself()
    {
        // Nothing here runs the account mail job: the sign-up enqueues it and the server runs it.
        using var client = Portal.CreatePortalClient();
        var email = $"founder-{Guid.NewGuid():N}@example.com";
        var form = await client.GetAsync("/account/sign-up");
        var posted = await client.SubmitAsync(form, "form", new Dictionary<string, string>
        {
            ["Input.Organisation"] = "Hangfire Startup",
            ["Input.Email"] = email,
            ["Input.Password"] = PortalFactory.Password,
        });
        Assert.Equal("Check your inbox", posted.Text("h1"));

        string? mail = null;
        for (var i = 0; i < 600 && mail is null; i++)
        {
            mail = Directory.Exists(Portal.MailDirectory)
                ? Directory.EnumerateFiles(Portal.MailDirectory, "*.eml").Select(File.ReadAllText).FirstOrDefault(m => m.Contains(email, StringComparison.Ordinal))
                : null;
            if (mail is null)
                await Task.Delay(100);
        }

        Assert.NotNull(mail);
        Assert.Contains("Subject: Confirm your email address", mail);
        Assert.Equal(1L, await Portal.Database.ScalarAsync<long>($"SELECT count(*) FROM users WHERE email = '{email}'"));
        Assert.NotNull(await Portal.Database.ScalarAsync<DateTime?>($"SELECT sent_at FROM email_outbox WHERE to_address = '{email}'"));
    }

    [Fact]
    public async Task TriggerNow_Housekeeping_ServerRunsItAndRecordsTheResult()
    {
        var worker = Guid.CreateVersion7();
        await using (var command = Portal.Database.DataSource.CreateCommand(
            "INSERT INTO workers (id, name, device_kind, device_name, slots, heartbeat_at, stopped_at) VALUES ($1, 'gone', 'cpu', 'CPU', 1, now() - interval '30 days', now() - interval '30 days')"))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = worker });
            await command.ExecuteNonQueryAsync();
        }

        var jobId = ((IRecurringJobManagerV2)Portal.Services.GetRequiredService<IRecurringJobManager>()).TriggerJob(HousekeepingJobs.StoppedWorkersId);
        var state = await WaitForFinalStateAsync(jobId);

        Assert.Equal("Succeeded", state.Name);
        Assert.True(long.Parse(state.Data["Result"], System.Globalization.CultureInfo.InvariantCulture) >= 1, state.Data["Result"]);
        Assert.Equal(0L, await Portal.Database.ScalarAsync<long>($"SELECT count(*) FROM workers WHERE id = '{worker}'"));
    }

    [Fact]
    public async Task TriggerNow_PlanRetention_ServerRunsTheSweepAndRemovesOldCheckpoints()
    {
        var owner = await JobTestKit.OwnerAsync(Portal);
        var job = Guid.NewGuid();
        await using (var command = Portal.Database.DataSource.CreateCommand(
            "INSERT INTO jobs (id, tenant_id, kind, name, state, finished_at) VALUES ($1, $2, 'train', 'old', 'Succeeded', now() - interval '400 days')"))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = job });
            command.Parameters.Add(new NpgsqlParameter { Value = owner.TenantId });
            await command.ExecuteNonQueryAsync();
        }

        var jobId = ((IRecurringJobManagerV2)Portal.Services.GetRequiredService<IRecurringJobManager>()).TriggerJob(HousekeepingJobs.PlanRetentionId);
        var state = await WaitForFinalStateAsync(jobId);

        Assert.Equal("Succeeded", state.Name);
        Assert.Equal(1L, await Portal.Database.ScalarAsync<long>($"SELECT count(*) FROM jobs WHERE id = '{job}' AND checkpoints_removed_at IS NOT NULL"));
    }

    [Fact]
    public async Task TriggerNow_IngestUsage_ServerRunsTheBillingStep()
    {
        var owner = await JobTestKit.OwnerAsync(Portal);
        var jobId = await BillingKit.FinishedJobAsync(Portal, owner.TenantId);
        var recurring = Portal.Services.GetRequiredService<IRecurringJobManager>();
        // As BillingJobs.Schedule puts it when enabled; never due by itself here.
        recurring.AddOrUpdate<BillingJobs>(BillingJobs.IngestUsageId, j => j.IngestUsageAsync(CancellationToken.None), Cron.Never());

        var hangfireJob = ((IRecurringJobManagerV2)recurring).TriggerJob(BillingJobs.IngestUsageId);
        var state = await WaitForFinalStateAsync(hangfireJob);

        Assert.Equal("Succeeded", state.Name);
        Assert.Equal(1L, await Portal.Database.ScalarAsync<long>($"SELECT count(*) FROM usage_ledger WHERE idempotency_key = '{jobId:N}:1:1'"));
    }

    private async Task<StateData> WaitForFinalStateAsync(string? jobId)
    {
        Assert.NotNull(jobId);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var connection = Portal.Services.GetRequiredService<JobStorage>().GetConnection();
        while (true)
        {
            var state = connection.GetStateData(jobId);
            if (state?.Name is "Succeeded" or "Failed" or "Deleted")
                return state;
            await Task.Delay(100, timeout.Token);
        }
    }
}
