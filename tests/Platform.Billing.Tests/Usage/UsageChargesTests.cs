using Microsoft.Extensions.DependencyInjection;
using Platform.Billing.Finance;
using Platform.Billing.Invoices;
using Platform.Billing.Tests.Domain;
using Platform.Billing.Usage;
using Platform.Testing;

namespace Platform.Billing.Tests.Usage;

/// <summary>
/// Finance's money columns (issue 18) against the invoice the billing code produces for the same usage, on
/// the real database: the usage view's charge and billable hours, the CSV's per-row charges, and a month
/// split in two all add up to the invoice's usage lines.
/// </summary>
public sealed class UsageChargesTests : IAsyncLifetime
{
    private static readonly DateTimeOffset June = new(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly BillingHost _host = new();

    public Task InitializeAsync() => _host.InitializeAsync();

    public Task DisposeAsync() => _host.DisposeAsync();

    /// <summary>A Starter tenant (10 GPU h included, $2.50 an hour over) with 12 h of GPU and 3 h of CPU in June, invoiced.</summary>
    private async Task<(Guid TenantId, InvoiceView Invoice)> InvoicedJuneAsync()
    {
        var (tenant, _) = await Seed.TenantAsync(_host.Database);
        await _host.AssignAsync(tenant.Id, TestPlans.Starter());
        var job = Guid.NewGuid();
        _host.Usage.Segments.AddRange(Enumerable.Range(1, 30).Select(i => i <= 24
            ? Segments.Make(tenant.Id, June.AddHours(i * 20), 1800, "cuda", job, 1, i)
            : Segments.Make(tenant.Id, June.AddHours(i * 20), 1800, "cpu", job, 2, i)));
        _host.Clock.Now = June.AddMonths(1).AddHours(1);
        var closed = await _host.RunAsync(sp => sp.GetRequiredService<ClosePeriodCommand>().ExecuteAsync(tenant.Id, June.AddDays(1)));
        Assert.True(closed.IsSuccess, closed.Error);
        var invoice = await _host.RunAsync(sp => sp.GetRequiredService<InvoiceQueries>().GetForFinanceAsync(closed.Value.InvoiceId));
        return (tenant.Id, invoice.Value);
    }

    private Task<IReadOnlyDictionary<Guid, UsageCharge>> ChargesAsync(Guid tenantId, DateTimeOffset from, DateTimeOffset to) =>
        _host.RunAsync(sp => sp.GetRequiredService<UsageCharges>().ByTenantAsync([tenantId], from, to));

    private static decimal UsageAmount(InvoiceView invoice) => invoice.Lines.Where(l => l.DeviceKind is not null).Sum(l => l.Amount);

    private static long OverageSeconds(InvoiceView invoice) => invoice.Lines.Where(l => l.Kind == "Overage").Sum(l => l.Seconds);

    [Fact]
    public async Task ByTenant_Month_IsTheInvoicesUsageLines()
    {
        var (tenantId, invoice) = await InvoicedJuneAsync();

        var charge = (await ChargesAsync(tenantId, June, June.AddMonths(1)))[tenantId];

        // 2 h of GPU over the 10 h included at $2.50; the 3 h of CPU are inside the 20 h included.
        Assert.Equal(5.00m, UsageAmount(invoice));
        Assert.Equal(UsageAmount(invoice), Assert.Single(charge.Amounts).Amount);
        Assert.Equal("USD", charge.Amounts[0].Currency);
        Assert.Equal(OverageSeconds(invoice), charge.BillableSeconds);
        Assert.Equal(7200, charge.BillableSeconds);
    }

    [Fact]
    public async Task ByTenant_MonthSplitInTwo_PartsAddUpToTheInvoice()
    {
        var (tenantId, invoice) = await InvoicedJuneAsync();
        // GPU segments end every 20 h: the first 10 h (20 segments) by day 17, the 2 h over after it.
        var split = June.AddDays(17);

        var early = (await ChargesAsync(tenantId, June, split))[tenantId];
        var late = (await ChargesAsync(tenantId, split, June.AddMonths(1)))[tenantId];

        Assert.Equal(0m, early.Amounts.Sum(a => a.Amount));
        Assert.Equal(0, early.BillableSeconds);
        Assert.Equal(UsageAmount(invoice), late.Amounts.Sum(a => a.Amount));
        Assert.Equal(OverageSeconds(invoice), late.BillableSeconds);
    }

    [Fact]
    public async Task ExportCsv_RowsChargedInTheOrderTheyEnded_SumToTheInvoice()
    {
        var (tenantId, invoice) = await InvoicedJuneAsync();
        var (unplanned, _) = await Seed.TenantAsync(_host.Database);
        _host.Usage.Segments.Add(Segments.Make(unplanned.Id, June.AddDays(3), 600, "cpu"));
        await _host.RunAsync(sp => sp.GetRequiredService<IngestUsageCommand>().ExecuteAsync(June, June.AddMonths(1)));

        var csv = await _host.RunAsync(sp => sp.GetRequiredService<FinanceUsageQueries>().ExportCsvAsync(June, June.AddMonths(1)));

        var lines = csv.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        var header = lines[0].Split(',');
        Assert.Equal(["billable_hours", "charge", "currency"], header[^3..]);
        var rows = lines.Skip(1).Select(l => l.Split(',')).ToList();
        var planned = rows.Where(r => r[1] == tenantId.ToString()).ToList();
        Assert.Equal(30, planned.Count);
        Assert.Equal(UsageAmount(invoice), planned.Sum(r => decimal.Parse(r[^2], System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Equal(OverageSeconds(invoice) / 3600m, planned.Sum(r => decimal.Parse(r[^3], System.Globalization.CultureInfo.InvariantCulture)));
        // The included 10 h go to the first 20 GPU segments; each of the next 4 is half an hour at $2.50.
        Assert.Equal(Enumerable.Repeat("0.00", 20).Concat(Enumerable.Repeat("1.25", 4)).Concat(Enumerable.Repeat("0.00", 6)),
            planned.Select(r => r[^2]));
        Assert.All(planned, r => Assert.Equal("USD", r[^1]));
        var other = Assert.Single(rows, r => r[1] == unplanned.Id.ToString());
        Assert.Equal(["0", "", ""], other[^3..]);
    }
}
