using Microsoft.Extensions.DependencyInjection;
using Platform.Billing.Invoices;
using Platform.Billing.Tests.Domain;
using Platform.Billing.Tests.Usage;
using Platform.Billing.Usage;
using Platform.Testing;

namespace Platform.Billing.Tests.Invoices;

/// <summary>What the scheduler's period-close step invoices: late segments, missed periods, the grace window.</summary>
public sealed class CloseDuePeriodsTests : IAsyncLifetime
{
    private static readonly DateTimeOffset June = new(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly BillingHost _host = new();

    public Task InitializeAsync() => _host.InitializeAsync();

    public Task DisposeAsync() => _host.DisposeAsync();

    private Task<int> CloseDueAsync() => _host.RunAsync(sp => sp.GetRequiredService<CloseDuePeriodsCommand>().ExecuteAsync());

    /// <summary>What a scheduler tick's ingest does: every closed segment that ended from June on.</summary>
    private Task<long> IngestAsync() =>
        _host.RunAsync(sp => sp.GetRequiredService<IngestUsageCommand>().ExecuteAsync(June, June.AddYears(1)));

    private async Task<InvoiceView> InvoiceForAsync(Guid tenantId, DateTimeOffset periodStart)
    {
        await using var find = _host.Database.DataSource.CreateCommand("SELECT id FROM invoices WHERE tenant_id = $1 AND period_start = $2");
        find.Parameters.Add(new Npgsql.NpgsqlParameter { Value = tenantId });
        find.Parameters.Add(new Npgsql.NpgsqlParameter { Value = periodStart.UtcDateTime });
        var id = (Guid)(await find.ExecuteScalarAsync())!;
        return (await _host.RunAsync(sp => sp.GetRequiredService<InvoiceQueries>().GetForFinanceAsync(id))).Value;
    }

    [Fact]
    public async Task Execute_SegmentClosedAfterThePeriodsInvoice_IsBilledInTheNextInvoiceForTheEarlierPeriod()
    {
        var (tenant, _) = await Seed.TenantAsync(_host.Database);
        await _host.AssignAsync(tenant.Id, TestPlans.Starter());
        _host.Usage.Segments.Add(Segments.Make(tenant.Id, June.AddDays(10), 8 * 3600, segment: 1));
        _host.Clock.Now = June.AddMonths(1).AddDays(1);
        Assert.Equal(1, await CloseDueAsync());
        Assert.Equal(100.00m, (await InvoiceForAsync(tenant.Id, June)).Total);

        // A dead worker's 5 h segment, ending 30 s before June ended, closed at lease recovery after June's invoice.
        _host.Usage.Segments.Add(Segments.Make(tenant.Id, June.AddMonths(1).AddSeconds(-30), 5 * 3600, segment: 2));
        Assert.Equal(1, await IngestAsync());
        _host.Clock.Now = June.AddMonths(2).AddDays(1);
        Assert.Equal(1, await CloseDueAsync());

        var july = await InvoiceForAsync(tenant.Id, June.AddMonths(1));
        var late = Assert.Single(july.Lines, l => l.Kind == "LateUsage");
        Assert.Equal(5 * 3600, late.Seconds);
        Assert.Contains("2026-06-01", late.Description);
        // June now holds 13 h against 10 h included: 3 h over at $2.50, none of it billed before.
        Assert.Equal(7.50m, late.Amount);
        Assert.Equal(107.50m, july.Total);
        // June's invoice is untouched, and a third close bills nothing twice.
        Assert.Equal(100.00m, (await InvoiceForAsync(tenant.Id, June)).Total);
        _host.Clock.Now = June.AddMonths(3).AddDays(1);
        Assert.Equal(1, await CloseDueAsync());
        Assert.DoesNotContain((await InvoiceForAsync(tenant.Id, June.AddMonths(2))).Lines, l => l.Kind == "LateUsage");
    }

    [Fact]
    public async Task Execute_SchedulerDownOverTwoPeriodEnds_InvoicesBothPeriods()
    {
        var (tenant, _) = await Seed.TenantAsync(_host.Database);
        await _host.AssignAsync(tenant.Id, TestPlans.Starter());
        _host.Usage.Segments.Add(Segments.Make(tenant.Id, June.AddDays(5), 11 * 3600, segment: 1));
        _host.Usage.Segments.Add(Segments.Make(tenant.Id, June.AddMonths(1).AddDays(5), 3600, segment: 2));

        _host.Clock.Now = June.AddMonths(2).AddDays(3);
        Assert.Equal(2, await CloseDueAsync());

        Assert.Equal(102.50m, (await InvoiceForAsync(tenant.Id, June)).Total);
        Assert.Equal(100.00m, (await InvoiceForAsync(tenant.Id, June.AddMonths(1))).Total);
        Assert.Equal(0, await CloseDueAsync());
    }

    [Fact]
    public async Task Execute_WithinTheGraceWindow_WaitsForSegmentsClosedAtLeaseRecovery()
    {
        var (tenant, _) = await Seed.TenantAsync(_host.Database);
        await _host.AssignAsync(tenant.Id, TestPlans.Starter());
        _host.Clock.Now = June.AddMonths(1).AddMinutes(5);
        Assert.Equal(0, await CloseDueAsync());

        // Lease recovery closes the dead worker's segment minutes after the period ended.
        _host.Usage.Segments.Add(Segments.Make(tenant.Id, June.AddMonths(1).AddSeconds(-30), 12 * 3600, segment: 1));
        _host.Clock.Now = June.AddMonths(1).AddHours(6); // the default Billing:CloseGrace
        Assert.Equal(1, await CloseDueAsync());

        var june = await InvoiceForAsync(tenant.Id, June);
        Assert.Equal(12 * 3600, june.GpuSeconds);
        Assert.Equal(105.00m, june.Total);
    }

    [Fact]
    public async Task Execute_CanceledSubscription_NoInvoiceAfterThePeriodOfTheCancellation()
    {
        var (tenant, _) = await Seed.TenantAsync(_host.Database);
        await _host.AssignAsync(tenant.Id, TestPlans.Starter());
        _host.Clock.Now = June.AddDays(10);
        Assert.True((await _host.RunAsync(sp => sp.GetRequiredService<Platform.Billing.Plans.CancelSubscriptionCommand>().ExecuteAsync(tenant.Id))).IsSuccess);

        _host.Clock.Now = June.AddMonths(2).AddDays(3);
        Assert.Equal(1, await CloseDueAsync());

        Assert.Equal(1L, await _host.Database.ScalarAsync<long>("SELECT count(*) FROM invoices"));
        Assert.Equal(June.UtcDateTime, await _host.Database.ScalarAsync<DateTime>("SELECT period_start FROM invoices"));
    }
}
