using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Platform.Billing.Scheduling;
using Platform.Billing.Usage;
using Platform.Billing.Tests.Domain;
using Platform.Data;
using Platform.Jobs;
using Platform.Jobs.Queue;
using Platform.Testing;

namespace Platform.Billing.Tests.Scheduling;

/// <summary>
/// The scheduler over the real job system: jobs are enqueued, claimed and completed through
/// <see cref="JobQueue"/>, so their usage segments are the ones a worker writes, and the scheduler
/// reads them through the job system's own usage source.
/// </summary>
public sealed class BillingSchedulerTests : IAsyncLifetime
{
    private IHost _host = null!;
    private PostgresDatabase _database = null!;

    // Real time to start with: segments are stamped with the database's now().
    private readonly TestClock _clock = new(DateTimeOffset.UtcNow);

    public async Task InitializeAsync()
    {
        _database = await PostgresDatabase.CreateAsync();
        _host = await StartHostAsync(new Dictionary<string, string?> { ["BillingScheduler:Enabled"] = "false" });
    }

    public async Task DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
        await _database.DisposeAsync();
    }

    private async Task<IHost> StartHostAsync(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Platform"] = _database.ConnectionString,
            ["Storage:Root"] = Path.GetTempPath(),
            ["Data:Migrations"] = "Check",
        });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddSingleton<TimeProvider>(_clock);
        builder.AddPlatformData();
        builder.AddJobQueue();
        builder.AddBilling();
        builder.AddBillingScheduler();
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }

    private BillingScheduler Scheduler => _host.Services.GetRequiredService<BillingScheduler>();

    /// <summary>A job that ran <paramref name="seconds"/> on one worker and succeeded, as a worker reports it.</summary>
    private async Task<Guid> FinishedJobAsync(Guid tenantId, string device = "cuda", int seconds = 1)
    {
        var queue = _host.Services.GetRequiredService<JobQueue>();
        var jobId = await queue.EnqueueAsync(new JobSubmission(tenantId, "noop", "metered job", "{}"));
        // The workers table only knows cpu and cuda; a claim under another kind is a worker misreporting its device.
        var worker = await RegisterWorkerAsync(device is "cpu" or "cuda" ? device : "cpu");
        var claimed = await queue.ClaimAsync(worker, TimeSpan.FromMinutes(1), device);
        Assert.NotNull(claimed);
        Assert.Equal(jobId, claimed.JobId);
        // The segment's length is what is billed; a finished job of zero whole seconds would bill nothing.
        await TestUsage.BackdateRunAsync(_database.DataSource, jobId, seconds + 0.1);
        Assert.True(await queue.CompleteAsync(claimed, JobOutcome.Succeeded));
        return jobId;
    }

    /// <summary>A worker row as a worker host registers itself (JobWorker does the same insert at start).</summary>
    private async Task<Guid> RegisterWorkerAsync(string device)
    {
        var id = Guid.CreateVersion7();
        await using var command = _database.DataSource.CreateCommand(
            "INSERT INTO workers (id, name, device_kind, device_name, slots) VALUES ($1, 'billing-test-worker', $2, 'test device', 1)");
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        command.Parameters.Add(new NpgsqlParameter { Value = device });
        await command.ExecuteNonQueryAsync();
        return id;
    }

    private async Task<List<(string Key, long Seconds, string Device)>> LedgerAsync()
    {
        await using var command = _database.DataSource.CreateCommand("SELECT idempotency_key, seconds, device_kind FROM usage_ledger ORDER BY 1");
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<(string, long, string)>();
        while (await reader.ReadAsync())
            rows.Add((reader.GetString(0), reader.GetInt64(1), reader.GetString(2)));
        return rows;
    }

    [Fact]
    public async Task Tick_FinishedJob_ItsSegmentReachesTheLedgerOnce()
    {
        var (tenant, _) = await Seed.TenantAsync(_database);
        var jobId = await FinishedJobAsync(tenant.Id);

        var first = await Scheduler.TickAsync();
        var second = await Scheduler.TickAsync();

        Assert.True(first.Succeeded, string.Join("; ", first.Failures));
        Assert.Equal(1, first.SegmentsIngested);
        Assert.Equal(0, second.SegmentsIngested);
        var row = Assert.Single(await LedgerAsync());
        Assert.Equal($"{jobId:N}:1:1", row.Key);
        Assert.Equal("cuda", row.Device);
        Assert.True(row.Seconds >= 1, $"{row.Seconds} s");
    }

    [Fact]
    public async Task UsageToDate_SegmentBeforeAndAfterIngestion_CountsItOnce()
    {
        var (tenant, _) = await Seed.TenantAsync(_database);
        await FinishedJobAsync(tenant.Id, seconds: 5);
        var (from, to) = (DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));

        // Before the tick the closed segment is counted from the job system's view; after it, from the
        // ledger, and the view's row must be recognised as ingested (by job, attempt and segment).
        var awaiting = await UsageToDateAsync(tenant.Id, from, to);
        var tick = await Scheduler.TickAsync();
        var ingested = await UsageToDateAsync(tenant.Id, from, to);

        Assert.Equal(1, tick.SegmentsIngested);
        Assert.True(awaiting >= 5, $"{awaiting} s");
        Assert.Equal(awaiting, ingested);
        Assert.Equal(ingested, Assert.Single(await LedgerAsync()).Seconds);
    }

    private async Task<long> UsageToDateAsync(Guid tenantId, DateTimeOffset from, DateTimeOffset to)
    {
        await using var connection = await _database.DataSource.OpenConnectionAsync();
        return await UsageToDate.SecondsAsync(connection, tenantId, "cuda", from, to, DateTimeOffset.UtcNow, CancellationToken.None);
    }

    [Fact]
    public async Task Tick_PeriodHasEnded_InvoicesItsUsageOnce()
    {
        var (tenant, _) = await Seed.TenantAsync(_database);
        var plan = TestPlans.Starter();
        await using (var scope = _host.Services.CreateAsyncScope())
        {
            Assert.True((await scope.ServiceProvider.GetRequiredService<Platform.Billing.Plans.SavePlanCommand>().ExecuteAsync(plan)).IsSuccess);
            Assert.True((await scope.ServiceProvider.GetRequiredService<Platform.Billing.Plans.AssignPlanCommand>().ExecuteAsync(tenant.Id, plan.Id)).IsSuccess);
        }
        await FinishedJobAsync(tenant.Id);
        _clock.Now = _clock.Now.AddMonths(1).AddHours(7); // past Billing:CloseGrace (6 h by default)

        var closing = await Scheduler.TickAsync();
        var again = await Scheduler.TickAsync();

        Assert.True(closing.Succeeded, string.Join("; ", closing.Failures));
        Assert.Equal(1, closing.InvoicesCreated);
        Assert.Equal(0, again.InvoicesCreated);
        var ledgerSeconds = (await LedgerAsync()).Single().Seconds;
        Assert.Equal(1L, await _database.ScalarAsync<long>($"SELECT count(*) FROM invoices WHERE tenant_id = '{tenant.Id}'"));
        Assert.Equal(ledgerSeconds, await _database.ScalarAsync<long>($"SELECT gpu_seconds FROM invoices WHERE tenant_id = '{tenant.Id}'"));
        Assert.Equal("open", await _database.ScalarAsync<string>($"SELECT status FROM invoices WHERE tenant_id = '{tenant.Id}'"));
    }

    [Fact]
    public async Task Tick_AnotherInstanceHoldsTheLock_SkipsUntilItIsReleased()
    {
        var (tenant, _) = await Seed.TenantAsync(_database);
        await FinishedJobAsync(tenant.Id);
        await using var other = await _database.DataSource.OpenConnectionAsync();
        await ExecuteAsync(other, "SELECT pg_advisory_lock(hashtextextended($1, 0))", BillingScheduler.LockNameFor(BillingStep.IngestUsage));

        var skipped = await Scheduler.TickAsync();
        var ledgerWhileLocked = await LedgerAsync();
        await ExecuteAsync(other, "SELECT pg_advisory_unlock(hashtextextended($1, 0))", BillingScheduler.LockNameFor(BillingStep.IngestUsage));
        var ran = await Scheduler.TickAsync();

        Assert.False(skipped.Ran);
        Assert.Empty(ledgerWhileLocked);
        Assert.True(ran.Ran);
        Assert.Equal(1, ran.SegmentsIngested);
    }

    [Fact]
    public async Task Tick_IngestionFails_ReportsTheStepAndReleasesTheLock()
    {
        var (tenant, _) = await Seed.TenantAsync(_database);
        // A worker that claimed under a device kind billing does not price: the ledger refuses its segment.
        await FinishedJobAsync(tenant.Id, device: "tpu");

        var tick = await Scheduler.TickAsync();

        Assert.True(tick.Ran);
        var failure = Assert.Single(tick.Failures);
        Assert.StartsWith("ingest usage:", failure);
        Assert.Contains("unknown device kind 'tpu'", failure);
        await using var other = await _database.DataSource.OpenConnectionAsync();
        Assert.True(await ExecuteAsync(other, "SELECT pg_try_advisory_lock(hashtextextended($1, 0))", BillingScheduler.LockNameFor(BillingStep.IngestUsage)) is true);
    }

    [Fact]
    public async Task RunStep_IngestionFails_ThrowsForHangfireAndReleasesTheLock()
    {
        var (tenant, _) = await Seed.TenantAsync(_database);
        await FinishedJobAsync(tenant.Id, device: "tpu");

        // Hangfire records a thrown step as failed and retries it; the step's lock is free for that retry.
        var failure = await Assert.ThrowsAnyAsync<Exception>(() => Scheduler.RunStepAsync(BillingStep.IngestUsage));
        var retry = await Assert.ThrowsAnyAsync<Exception>(() => Scheduler.RunStepAsync(BillingStep.IngestUsage));

        Assert.Contains("unknown device kind 'tpu'", failure.Message);
        Assert.Contains("unknown device kind 'tpu'", retry.Message);
    }

    [Fact]
    public async Task RunStep_OtherStepsLockHeld_RunsItsOwn()
    {
        var (tenant, _) = await Seed.TenantAsync(_database);
        await FinishedJobAsync(tenant.Id);
        await using var other = await _database.DataSource.OpenConnectionAsync();
        // A long period close elsewhere does not hold up ingestion: each step has its own lock.
        await ExecuteAsync(other, "SELECT pg_advisory_lock(hashtextextended($1, 0))", BillingScheduler.LockNameFor(BillingStep.CloseDuePeriods));

        var ingested = await Scheduler.RunStepAsync(BillingStep.IngestUsage);
        var closing = await Scheduler.RunStepAsync(BillingStep.CloseDuePeriods);

        Assert.True(ingested.Ran);
        Assert.Equal(1, ingested.Count);
        Assert.False(closing.Ran);
    }

    [Fact]
    public async Task RunStep_NoStripeKeys_DoesNotRun()
    {
        var result = await Scheduler.RunStepAsync(BillingStep.ReportUsageToStripe);

        Assert.False(result.Ran);
    }

    [Theory]
    [InlineData("00:00:01", "*/1 * * * * *")]
    [InlineData("00:00:15", "*/15 * * * * *")]
    [InlineData("00:01:00", "*/1 * * * *")]
    [InlineData("00:05:00", "*/5 * * * *")]
    [InlineData("02:00:00", "0 */2 * * *")]
    [InlineData("1.00:00:00", "0 0 * * *")]
    [InlineData("00:00:45", null)]
    [InlineData("00:07:00", null)]
    [InlineData("00:01:30", null)]
    [InlineData("05:00:00", null)]
    public void CronFor_Interval_IsTheCronThatRunsThatOften(string interval, string? cron)
    {
        Assert.Equal(cron, BillingSchedulerOptions.CronFor(TimeSpan.Parse(interval, System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Theory]
    [InlineData("BillingScheduler:Interval", "00:00:00")]
    [InlineData("BillingScheduler:Interval", "00:07:00")]
    [InlineData("BillingScheduler:IngestLookback", "00:00:30")]
    [InlineData("BillingScheduler:StripeBatchSize", "0")]
    public async Task Start_BadSetting_HostRefusesToStart(string key, string value)
    {
        var failure = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(
            () => StartHostAsync(new Dictionary<string, string?> { [key] = value }));

        Assert.Contains(key.Split(':')[1], failure.Message);
    }

    private static async Task<object?> ExecuteAsync(NpgsqlConnection connection, string sql, string parameter)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        return await command.ExecuteScalarAsync();
    }
}
