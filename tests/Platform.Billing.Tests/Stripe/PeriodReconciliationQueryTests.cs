using Microsoft.Extensions.DependencyInjection;
using Platform.Billing.Invoices;
using Platform.Billing.Plans;
using Platform.Billing.Reconciliation;
using Platform.Billing.Stripe;
using Platform.Billing.Tests.Domain;
using Platform.Billing.Tests.Usage;
using Platform.Billing.Usage;
using Platform.Testing;

namespace Platform.Billing.Tests.Stripe;

/// <summary>The per-period report's ledger, invoiced and Stripe seconds for a tenant linked to Stripe.</summary>
public sealed class PeriodReconciliationQueryTests : IAsyncLifetime
{
    private static readonly DateTimeOffset June = new(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly BillingHost _host = new();
    private StripeStandIn _stripe = null!;

    public async Task InitializeAsync()
    {
        _stripe = await StripeStandIn.StartAsync();
        _stripe.Now = () => _host.Clock.Now;
        _host.Settings["Stripe:SecretKey"] = StripeStandIn.SecretKey;
        _host.Settings["Stripe:BaseUrl"] = _stripe.BaseUrl;
        _host.Settings["Stripe:MaxRetries"] = "2";
        await _host.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _stripe.DisposeAsync();
    }

    private Task<IReadOnlyList<PeriodReconciliationLine>> ReportAsync() =>
        _host.RunAsync(sp => sp.GetRequiredService<PeriodReconciliationQuery>().ExecuteAsync(June, June.AddMonths(1)));

    [Fact]
    public async Task Execute_LateSegmentAndUnreportedUsage_DifferencesUntilBilledAndSent()
    {
        var (tenant, _) = await Seed.TenantAsync(_host.Database);
        await _host.AssignAsync(tenant.Id, TestPlans.Starter());
        Assert.True((await _host.RunAsync(sp => sp.GetRequiredService<LinkStripeCustomerCommand>().ExecuteAsync(tenant.Id))).IsSuccess);
        _host.Usage.Segments.AddRange(Enumerable.Range(1, 3).Select(i => Segments.Make(tenant.Id, June.AddDays(i), 600, segment: i)));
        await _host.RunAsync(sp => sp.GetRequiredService<IngestUsageCommand>().ExecuteAsync(June, June.AddMonths(1)));
        _host.Clock.Now = June.AddDays(10);
        await _host.RunAsync(sp => sp.GetRequiredService<ReportUsageToStripeCommand>().ExecuteAsync());
        _host.Clock.Now = June.AddMonths(1).AddHours(7);
        var closed = await _host.RunAsync(sp => sp.GetRequiredService<ClosePeriodCommand>().ExecuteAsync(tenant.Id, June));
        Assert.True(closed.IsSuccess, closed.Error);

        // The segments come from a list here, not usage_segments: to the report they are ledger rows of deleted jobs.
        var balanced = Assert.Single(await ReportAsync());
        Assert.Equal((0L, 1800L, 1800L, 1800L), (balanced.MeteredSeconds, balanced.LedgerSeconds, balanced.InvoicedSeconds, balanced.StripeSeconds));
        Assert.Equal((-1800L, 0L, 0L), (balanced.MeteredMinusLedger, balanced.LedgerMinusInvoiced, balanced.LedgerMinusStripe));

        // A June segment reaches the ledger after the close: not invoiced, not at Stripe.
        _host.Usage.Segments.Add(Segments.Make(tenant.Id, June.AddDays(29), 900, segment: 9));
        await _host.RunAsync(sp => sp.GetRequiredService<IngestUsageCommand>().ExecuteAsync(June, June.AddMonths(1)));
        var late = Assert.Single(await ReportAsync());
        Assert.Equal((2700L, 1800L, 900L, 900L), (late.LedgerSeconds, late.InvoicedSeconds, late.LedgerMinusInvoiced, late.LedgerMinusStripe));

        // The next run reports it, and July's invoice bills it as late usage for June.
        await _host.RunAsync(sp => sp.GetRequiredService<ReportUsageToStripeCommand>().ExecuteAsync());
        _host.Clock.Now = June.AddMonths(2).AddHours(7);
        Assert.True((await _host.RunAsync(sp => sp.GetRequiredService<ClosePeriodCommand>().ExecuteAsync(tenant.Id, June.AddMonths(1)))).IsSuccess);
        var billed = Assert.Single(await ReportAsync());
        Assert.Equal((2700L, 2700L, 2700L, 0L, 0L), (billed.LedgerSeconds, billed.InvoicedSeconds, billed.StripeSeconds, billed.LedgerMinusInvoiced, billed.LedgerMinusStripe));
    }
}
