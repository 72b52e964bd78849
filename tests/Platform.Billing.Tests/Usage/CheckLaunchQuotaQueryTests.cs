using Microsoft.Extensions.DependencyInjection;
using Platform.Billing.Plans;
using Platform.Billing.Tests.Domain;
using Platform.Billing.Usage;
using Platform.Domain.Billing;
using Platform.Domain.Common;
using Platform.Testing;

namespace Platform.Billing.Tests.Usage;

public sealed class CheckLaunchQuotaQueryTests : IAsyncLifetime
{
    private readonly BillingHost _host = new();

    public Task InitializeAsync() => _host.InitializeAsync();

    public Task DisposeAsync() => _host.DisposeAsync();

    private Task<Result<QuotaCheck>> CheckAsync(TestTenant tenant, string device, double hours) =>
        _host.AsAsync(tenant, sp => sp.GetRequiredService<CheckLaunchQuotaQuery>().ExecuteAsync(device, hours));

    /// <summary>A tenant on Starter (10 GPU hours) that has used 9.5 GPU hours this period.</summary>
    private async Task<TestTenant> TenantWithUsageAsync(CapMode mode)
    {
        var (tenant, owner) = await Seed.TenantAsync(_host.Database);
        await _host.AssignAsync(tenant.Id, TestPlans.Starter(mode));
        _host.Clock.Now = _host.Clock.Now.AddDays(3);
        _host.Usage.Segments.Add(Segments.Make(tenant.Id, _host.Clock.Now.AddHours(-1), 9 * 3600 + 1800));
        await _host.RunAsync(sp => sp.GetRequiredService<IngestUsageCommand>().ExecuteAsync(_host.Clock.Now.AddDays(-3), _host.Clock.Now));
        return owner;
    }

    [Fact]
    public async Task Execute_HardCapEstimateFillsQuotaExactly_IsAllowed()
    {
        var owner = await TenantWithUsageAsync(CapMode.Hard);
        var result = await CheckAsync(owner, "cuda", 0.5);
        Assert.True(result.IsSuccess, result.Error);
        Assert.Equal(QuotaVerdict.Allowed, result.Value.Verdict);
        Assert.Equal(0.5m, result.Value.HoursLeft);
        Assert.Null(result.Value.Warning);
    }

    [Fact]
    public async Task Execute_HardCapEstimateOverQuota_IsRefusedWithTheNumbers()
    {
        var owner = await TenantWithUsageAsync(CapMode.Hard);
        var result = await CheckAsync(owner, "cuda", 0.51);
        Assert.Equal(ResultStatus.Conflict, result.Status);
        Assert.Contains("9.5 of 10 GPU hours used", result.Error);
        Assert.Contains("0.5 left", result.Error);
    }

    [Fact]
    public async Task LaunchQuota_AsTheJobSystemAsks_RefusesOverHardCapAndPassesSoftCapWarnings()
    {
        var hard = await TenantWithUsageAsync(CapMode.Hard);
        var soft = await TenantWithUsageAsync(CapMode.Soft);

        var refused = await _host.AsAsync(hard, sp => sp.GetRequiredService<Platform.Domain.Usage.ILaunchQuota>().CheckAsync("cuda", 0.51));
        var warned = await _host.AsAsync(soft, sp => sp.GetRequiredService<Platform.Domain.Usage.ILaunchQuota>().CheckAsync("cuda", 2));

        Assert.Equal(ResultStatus.Conflict, refused.Status);
        Assert.Contains("0.5 left", refused.Error);
        Assert.True(warned.IsSuccess, warned.Error);
        Assert.Contains("per hour", warned.Value);

        // No plan: allowed, and nothing for the job's log (the launch form says it instead).
        var (_, planless) = await Seed.TenantAsync(_host.Database);
        var unbilled = await _host.AsAsync(planless, sp => sp.GetRequiredService<Platform.Domain.Usage.ILaunchQuota>().CheckAsync("cpu", 1));
        Assert.True(unbilled.IsSuccess, unbilled.Error);
        Assert.Null(unbilled.Value);
    }

    [Fact]
    public async Task Execute_SoftCapOverQuota_AllowsWithOverageWarning()
    {
        var owner = await TenantWithUsageAsync(CapMode.Soft);
        var result = await CheckAsync(owner, "cuda", 2);
        Assert.True(result.IsSuccess, result.Error);
        Assert.Equal(QuotaVerdict.AllowedWithOverage, result.Value.Verdict);
        Assert.Contains("2.50 USD per hour", result.Value.Warning);
    }

    [Fact]
    public async Task Execute_AdminOverride_AddsHoursAndCanLiftTheCap()
    {
        var owner = await TenantWithUsageAsync(CapMode.Hard);
        var set = await _host.RunAsync(sp => sp.GetRequiredService<SetQuotaOverrideCommand>()
            .ExecuteAsync(owner.TenantId!.Value, new QuotaOverride(1.5m, 0m, null, "pilot")));
        Assert.True(set.IsSuccess, set.Error);
        Assert.Equal(QuotaVerdict.Allowed, (await CheckAsync(owner, "cuda", 2)).Value.Verdict);
        Assert.Equal(ResultStatus.Conflict, (await CheckAsync(owner, "cuda", 2.01)).Status);

        await _host.RunAsync(sp => sp.GetRequiredService<SetQuotaOverrideCommand>()
            .ExecuteAsync(owner.TenantId!.Value, new QuotaOverride(0m, 0m, CapMode.Soft, "let it run")));
        Assert.Equal(QuotaVerdict.AllowedWithOverage, (await CheckAsync(owner, "cuda", 5)).Value.Verdict);
    }

    [Fact]
    public async Task Execute_RunningJobNotYetMetered_CountsTowardsUsage()
    {
        var owner = await TenantWithUsageAsync(CapMode.Hard);
        var job = Guid.NewGuid();
        // An open segment started 20 minutes ago (last renewed 5 minutes ago): it counts up to now.
        await using (var command = _host.Database.DataSource.CreateCommand("""
            INSERT INTO jobs (id, tenant_id, kind, name, state) VALUES ($1, $2, 'train', 'running job', 'Running');
            """))
        {
            command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = job });
            command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = owner.TenantId!.Value });
            await command.ExecuteNonQueryAsync();
        }
        await using (var command = _host.Database.DataSource.CreateCommand("""
            INSERT INTO usage_segments (job_id, attempt, segment, tenant_id, worker_id, device_kind, started_at, ended_at)
            VALUES ($1, 1, 1, $2, gen_random_uuid(), 'cuda', $3, $4)
            """))
        {
            command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = job });
            command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = owner.TenantId!.Value });
            command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = _host.Clock.Now.AddMinutes(-20).UtcDateTime });
            command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = _host.Clock.Now.AddMinutes(-5).UtcDateTime });
            await command.ExecuteNonQueryAsync();
        }
        // 9.5 h + 20 min used of 10 h: a 9-minute job fits, an 11-minute one does not.
        Assert.Equal(QuotaVerdict.Allowed, (await CheckAsync(owner, "cuda", 9 / 60.0)).Value.Verdict);
        Assert.Equal(ResultStatus.Conflict, (await CheckAsync(owner, "cuda", 11 / 60.0)).Status);
    }

    [Fact]
    public async Task Execute_CpuJob_UsesCpuAllowance()
    {
        var owner = await TenantWithUsageAsync(CapMode.Hard);
        var result = await CheckAsync(owner, "cpu", 19);
        Assert.Equal(QuotaVerdict.Allowed, result.Value.Verdict);
        Assert.Equal(20m, result.Value.IncludedHours);
    }

    [Fact]
    public async Task Execute_NoTenantSelected_IsForbidden()
    {
        Assert.Equal(ResultStatus.Forbidden, (await CheckAsync(new TestTenant(), "cuda", 1)).Status);
    }

    [Fact]
    public async Task Summary_UsageOverIncluded_ProjectsFeePlusOverage()
    {
        var owner = await TenantWithUsageAsync(CapMode.Soft);
        // One more hour on top of 9.5: 0.5 h over 10 at $2.50 = $1.25, plus the $100 fee.
        _host.Usage.Segments.Add(Segments.Make(owner.TenantId!.Value, _host.Clock.Now.AddMinutes(-1), 3600, segment: 2));
        await _host.RunAsync(sp => sp.GetRequiredService<IngestUsageCommand>().ExecuteAsync(_host.Clock.Now.AddDays(-3), _host.Clock.Now));
        var summary = await _host.AsAsync(owner, sp => sp.GetRequiredService<GetTenantBillingSummaryQuery>().ExecuteAsync());
        Assert.True(summary.IsSuccess, summary.Error);
        Assert.Equal(10.5m, summary.Value.UsedGpuHours);
        Assert.Equal(10m, summary.Value.IncludedGpuHours);
        Assert.Equal(101.25m, summary.Value.ProjectedCost.Amount);
    }

    [Fact]
    public async Task Execute_PlanChangedMidPeriod_ChecksTheAllowanceTheInvoiceApplies()
    {
        var (tenant, owner) = await Seed.TenantAsync(_host.Database);
        var start = _host.Clock.Now;
        await _host.AssignAsync(tenant.Id, TestPlans.Growth());
        // Starter (10 h) from day 15 of 30: the invoice includes half of its 10 h for that half, 5 h.
        _host.Clock.Now = start.AddDays(15);
        await _host.AssignAsync(tenant.Id, TestPlans.Starter(CapMode.Hard));
        _host.Usage.Segments.Add(Segments.Make(tenant.Id, _host.Clock.Now.AddHours(4), 4 * 3600));
        _host.Clock.Now = _host.Clock.Now.AddHours(5);
        await _host.RunAsync(sp => sp.GetRequiredService<IngestUsageCommand>().ExecuteAsync(start, _host.Clock.Now));

        var refused = await CheckAsync(owner, "cuda", 1.5);
        var allowed = await CheckAsync(owner, "cuda", 1.0);

        Assert.Equal(ResultStatus.Conflict, refused.Status);
        Assert.Contains("4 of 5 GPU hours used", refused.Error);
        Assert.True(allowed.IsSuccess, allowed.Error);
        Assert.Equal(1m, allowed.Value.HoursLeft);
    }

    [Fact]
    public async Task Execute_AdminGrantedExtraHours_InvoiceIncludesThemToo()
    {
        var (tenant, owner) = await Seed.TenantAsync(_host.Database);
        var start = _host.Clock.Now;
        await _host.AssignAsync(tenant.Id, TestPlans.Starter(CapMode.Hard));
        var granted = await _host.RunAsync(sp => sp.GetRequiredService<SetQuotaOverrideCommand>().ExecuteAsync(tenant.Id, new QuotaOverride(5m, 0m, null, "Launch week")));
        Assert.True(granted.IsSuccess, granted.Error);
        _host.Usage.Segments.Add(Segments.Make(tenant.Id, start.AddDays(2), 14 * 3600));
        _host.Clock.Now = start.AddDays(3);
        await _host.RunAsync(sp => sp.GetRequiredService<IngestUsageCommand>().ExecuteAsync(start, _host.Clock.Now));
        Assert.Equal(1m, (await CheckAsync(owner, "cuda", 0)).Value.HoursLeft);

        _host.Clock.Now = start.AddMonths(1);
        var closed = await _host.RunAsync(sp => sp.GetRequiredService<Platform.Billing.Invoices.ClosePeriodCommand>().ExecuteAsync(tenant.Id, start));
        Assert.True(closed.IsSuccess, closed.Error);
        // 14 h against 10 h + the 5 h the launch check allowed: no overage.
        Assert.Equal(100.00m, await _host.Database.ScalarAsync<decimal>("SELECT total FROM invoices"));
    }
}
