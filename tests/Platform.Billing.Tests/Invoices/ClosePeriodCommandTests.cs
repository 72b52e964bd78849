using Microsoft.Extensions.DependencyInjection;
using Platform.Billing.Invoices;
using Platform.Billing.Plans;
using Platform.Billing.Tests.Domain;
using Platform.Billing.Tests.Usage;
using Platform.Domain.Common;
using Platform.Domain.Usage;
using Platform.Testing;

namespace Platform.Billing.Tests.Invoices;

public sealed class ClosePeriodCommandTests : IAsyncLifetime
{
    private readonly BillingHost _host = new();
    private static readonly DateTimeOffset June = new(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);

    public Task InitializeAsync() => _host.InitializeAsync();

    public Task DisposeAsync() => _host.DisposeAsync();

    private Task<Result<ClosePeriodResult>> CloseAsync(Guid tenantId) =>
        _host.RunAsync(sp => sp.GetRequiredService<ClosePeriodCommand>().ExecuteAsync(tenantId, June.AddDays(1)));

    private async Task<InvoiceView> InvoiceAsync(Guid id) =>
        (await _host.RunAsync(sp => sp.GetRequiredService<InvoiceQueries>().GetForFinanceAsync(id))).Value;

    /// <summary>A Starter tenant with 12 h of GPU and 3 h of CPU in June, in 30 segments.</summary>
    private async Task<(Guid TenantId, List<UsageSegment> Segments)> TenantWithJuneUsageAsync()
    {
        var (tenant, _) = await Seed.TenantAsync(_host.Database);
        await _host.AssignAsync(tenant.Id, TestPlans.Starter());
        var job = Guid.NewGuid();
        var segments = Enumerable.Range(1, 30).Select(i => i <= 24
            ? Segments.Make(tenant.Id, June.AddHours(i * 20), 1800, "cuda", job, 1, i)
            : Segments.Make(tenant.Id, June.AddHours(i * 20), 1800, "cpu", job, 2, i)).ToList();
        _host.Usage.Segments.AddRange(segments);
        _host.Clock.Now = June.AddMonths(1).AddHours(1);
        return (tenant.Id, segments);
    }

    [Fact]
    public async Task Execute_EndedPeriod_InvoicesFeeIncludedAndOverage()
    {
        var (tenantId, _) = await TenantWithJuneUsageAsync();
        var result = await CloseAsync(tenantId);
        Assert.True(result.IsSuccess, result.Error);
        var invoice = await InvoiceAsync(result.Value.InvoiceId);
        Assert.Equal(InvoiceStatus.Open, invoice.Status);
        // $100 fee + 2 h GPU over 10 h at $2.50 = $105.00; 3 h CPU is within 20 h.
        Assert.Equal(105.00m, invoice.Total);
        Assert.Equal(invoice.Total, invoice.Lines.Sum(l => l.Amount));
        Assert.Equal(12 * 3600, invoice.GpuSeconds);
        Assert.Equal(3 * 3600, invoice.CpuSeconds);
        Assert.Equal(["Fee", "IncludedUsage", "Overage", "IncludedUsage"], invoice.Lines.Select(l => l.Kind));
    }

    [Fact]
    public async Task Execute_ReplayedDuplicatedReorderedUsage_SameTotals()
    {
        var (tenantId, segments) = await TenantWithJuneUsageAsync();
        // Everything ingested twice, in reverse order, before the close ingests it a third time.
        _host.Usage.Segments.Reverse();
        _host.Usage.Segments.AddRange(segments);
        var first = await _host.RunAsync(sp => sp.GetRequiredService<Platform.Billing.Usage.IngestUsageCommand>().ExecuteAsync(June, June.AddMonths(1)));
        Assert.Equal(30, first);
        var invoice = await InvoiceAsync((await CloseAsync(tenantId)).Value.InvoiceId);
        Assert.Equal(105.00m, invoice.Total);
        Assert.Equal(30, await _host.Database.ScalarAsync<long>("SELECT ledger_rows FROM invoices"));
    }

    [Fact]
    public async Task Execute_ConcurrentCloses_ProduceOneInvoice()
    {
        var (tenantId, _) = await TenantWithJuneUsageAsync();
        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => CloseAsync(tenantId))));
        Assert.All(results, r => Assert.True(r.IsSuccess, r.Error));
        Assert.Single(results.Select(r => r.Value.InvoiceId).Distinct());
        Assert.Single(results, r => r.Value.Created);
        Assert.Equal(1L, await _host.Database.ScalarAsync<long>("SELECT count(*) FROM invoices"));
        Assert.Equal(4L, await _host.Database.ScalarAsync<long>("SELECT count(*) FROM invoice_lines"));
    }

    [Fact]
    public async Task Execute_PeriodNotEnded_IsConflict()
    {
        var (tenantId, _) = await TenantWithJuneUsageAsync();
        _host.Clock.Now = June.AddDays(20);
        Assert.Equal(ResultStatus.Conflict, (await CloseAsync(tenantId)).Status);
    }

    [Fact]
    public async Task Execute_PlanChangedMidPeriod_BillsTwoProratedFees()
    {
        var (tenant, _) = await Seed.TenantAsync(_host.Database);
        await _host.AssignAsync(tenant.Id, TestPlans.Starter());
        _host.Clock.Now = June.AddDays(10);
        await _host.AssignAsync(tenant.Id, TestPlans.Growth());
        _host.Clock.Now = June.AddMonths(1);
        var invoice = await InvoiceAsync((await CloseAsync(tenant.Id)).Value.InvoiceId);
        Assert.Equal([33.33m, 266.67m], invoice.Lines.Where(l => l.Kind == "Fee").Select(l => l.Amount));
        Assert.Equal(300.00m, invoice.Total);
    }

    [Fact]
    public async Task CreateCreditNote_PaidInvoice_IsRecordedAndCappedAtTotal()
    {
        var (tenantId, _) = await TenantWithJuneUsageAsync();
        var id = (await CloseAsync(tenantId)).Value.InvoiceId;
        var paid = await _host.RunAsync(sp => sp.GetRequiredService<ChangeInvoiceStatusCommand>().ExecuteAsync(id, InvoiceStatus.Paid));
        Assert.True(paid.IsSuccess, paid.Error);
        var credit = await _host.RunAsync(sp => sp.GetRequiredService<CreateCreditNoteCommand>().ExecuteAsync(id, 5.00m, "GPU outage on 3 June"));
        Assert.True(credit.IsSuccess, credit.Error);
        var tooMuch = await _host.RunAsync(sp => sp.GetRequiredService<CreateCreditNoteCommand>().ExecuteAsync(id, 100.01m, "again"));
        Assert.Equal(ResultStatus.Conflict, tooMuch.Status);
        var invoice = await InvoiceAsync(id);
        Assert.Equal(105.00m, invoice.Total);
        Assert.Equal(5.00m, invoice.Credited);
        var voided = await _host.RunAsync(sp => sp.GetRequiredService<ChangeInvoiceStatusCommand>().ExecuteAsync(id, InvoiceStatus.Void));
        Assert.Equal(ResultStatus.Conflict, voided.Status);
    }

    [Fact]
    public async Task GetAsync_OtherTenantsInvoice_IsNotFound()
    {
        var (tenantId, _) = await TenantWithJuneUsageAsync();
        var id = (await CloseAsync(tenantId)).Value.InvoiceId;
        var (_, stranger) = await Seed.TenantAsync(_host.Database);
        var result = await _host.AsAsync(stranger, sp => sp.GetRequiredService<InvoiceQueries>().GetAsync(id));
        Assert.Equal(ResultStatus.NotFound, result.Status);
        Assert.Empty(await _host.AsAsync(stranger, sp => sp.GetRequiredService<InvoiceQueries>().ListAsync()));
    }

    [Fact]
    public async Task Execute_TrialEndsMidPeriod_WaivesTheFeeForTheTrial()
    {
        var (tenant, _) = await Seed.TenantAsync(_host.Database);
        var plan = TestPlans.Starter();
        await _host.RunAsync(sp => sp.GetRequiredService<SavePlanCommand>().ExecuteAsync(plan));
        var assigned = await _host.RunAsync(sp => sp.GetRequiredService<AssignPlanCommand>().ExecuteAsync(tenant.Id, plan.Id, trial: true));
        Assert.True(assigned.IsSuccess, assigned.Error);
        _host.Clock.Now = June.AddMonths(1);
        var invoice = await InvoiceAsync((await CloseAsync(tenant.Id)).Value.InvoiceId);
        // 14 trial days of 30 free, 16 days at $100/30 = $53.33.
        Assert.Equal([0m, 53.33m], invoice.Lines.Where(l => l.Kind == "Fee").Select(l => l.Amount));
        Assert.Equal(53.33m, invoice.Total);
    }

    [Fact]
    public async Task Execute_CanceledMidPeriod_FeeStopsUsageStillBilled()
    {
        var (tenantId, _) = await TenantWithJuneUsageAsync();
        _host.Clock.Now = June.AddDays(6);
        var canceled = await _host.RunAsync(sp => sp.GetRequiredService<CancelSubscriptionCommand>().ExecuteAsync(tenantId));
        Assert.True(canceled.IsSuccess, canceled.Error);
        _host.Clock.Now = June.AddMonths(1).AddHours(1);
        var invoice = await InvoiceAsync((await CloseAsync(tenantId)).Value.InvoiceId);
        // Fee: 6 of 30 days of $100 = $20.00, none after. The cancellation waives the fee, not the
        // hours: 12 h against the period's 10 h leaves 2 h over at $2.50, on one line.
        Assert.Equal([20.00m, 0m], invoice.Lines.Where(l => l.Kind == "Fee").Select(l => l.Amount));
        Assert.Equal([5.00m], invoice.Lines.Where(l => l.Kind == "Overage").Select(l => l.Amount));
        Assert.Equal(12 * 3600, invoice.GpuSeconds);
        Assert.Equal(25.00m, invoice.Total);
    }

    [Fact]
    public async Task Execute_ThreeDecimalCurrency_StoresTheInvoiceToTheFils()
    {
        var (tenant, _) = await Seed.TenantAsync(_host.Database);
        await _host.AssignAsync(tenant.Id, TestPlans.Starter() with { Currency = "KWD", MonthlyFee = 30.125m, GpuOveragePerHour = 0.777m });
        _host.Usage.Segments.Add(Segments.Make(tenant.Id, June.AddDays(3), 11 * 3600));
        _host.Clock.Now = June.AddMonths(1);
        var invoice = await InvoiceAsync((await CloseAsync(tenant.Id)).Value.InvoiceId);
        Assert.Equal([30.125m, 0.777m], invoice.Lines.Where(l => l.Amount != 0).Select(l => l.Amount));
        Assert.Equal(30.902m, invoice.Total);
        var credit = await _host.RunAsync(sp => sp.GetRequiredService<CreateCreditNoteCommand>().ExecuteAsync(invoice.Id, 0.005m, "Rounding"));
        Assert.True(credit.IsSuccess, credit.Error);
        Assert.Equal(0.005m, await _host.Database.ScalarAsync<decimal>("SELECT amount FROM credit_notes"));
    }
}
