using Microsoft.Extensions.DependencyInjection;
using Platform.Billing.Plans;
using Platform.Billing.Reconciliation;
using Platform.Billing.Stripe;
using Platform.Billing.Tests.Domain;
using Platform.Billing.Tests.Usage;
using Platform.Testing;

namespace Platform.Billing.Tests.Stripe;

public sealed class StripeClientTests : IAsyncLifetime
{
    private static readonly DateTimeOffset June = new(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly BillingHost _host = new();
    private StripeStandIn _stripe = null!;

    public async Task InitializeAsync()
    {
        _stripe = await StripeStandIn.StartAsync();
        _host.Settings["Stripe:SecretKey"] = StripeStandIn.SecretKey;
        _host.Settings["Stripe:BaseUrl"] = _stripe.BaseUrl;
        await _host.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _stripe.DisposeAsync();
    }

    private StripeClient Client()
    {
        var client = _host.Services.GetRequiredService<StripeClient>();
        client.BaseDelay = TimeSpan.FromMilliseconds(1);
        return client;
    }

    [Fact]
    public async Task SendMeterEvent_RateLimitedTwice_RetriesUnderSameKey()
    {
        _stripe.FailNext(2, 429);
        await Client().SendMeterEventAsync("platform_gpu_seconds", "cus_1", 120, "abc:1:1", June);
        Assert.Equal(3, _stripe.Requests);
        Assert.Equal(120, _stripe.MeterEvents["abc:1:1"]);
    }

    [Fact]
    public async Task CreateCustomer_ServerErrorsPastRetryLimit_Throws()
    {
        _stripe.FailNext(4, 503);
        var error = await Assert.ThrowsAsync<StripeApiException>(() => Client().CreateCustomerAsync(Guid.NewGuid(), "Acme"));
        Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, error.Status);
        Assert.Equal(4, _stripe.Requests);
    }

    [Fact]
    public async Task CreateCustomer_SameTenantTwice_ReplaysTheFirstCustomer()
    {
        var tenant = Guid.NewGuid();
        var first = await Client().CreateCustomerAsync(tenant, "Acme");
        var second = await Client().CreateCustomerAsync(tenant, "Acme");
        Assert.Equal(first, second);
        Assert.Single(_stripe.Customers);
        // Same key, other parameters: Stripe refuses rather than guess.
        var error = await Assert.ThrowsAsync<StripeApiException>(() => Client().CreateCustomerAsync(tenant, "Acme Renamed"));
        Assert.Equal("idempotency_error", error.ErrorType);
    }

    [Fact]
    public async Task CreateAndFinalizeInvoice_CarriesPlatformInvoiceId()
    {
        var platformId = Guid.NewGuid();
        var id = await Client().CreateInvoiceAsync(platformId, "cus_1", "USD");
        Assert.Equal("open", await Client().FinalizeInvoiceAsync(id));
        Assert.Equal(platformId.ToString(), _stripe.Invoices[id]["platform_invoice_id"]);
    }

    [Fact]
    public async Task ReportUsage_ResentAfterCrash_StripeCountsEachSegmentOnceAndReconciles()
    {
        var (tenant, _) = await Seed.TenantAsync(_host.Database);
        await _host.AssignAsync(tenant.Id, TestPlans.Starter());
        var linked = await _host.RunAsync(sp => sp.GetRequiredService<LinkStripeCustomerCommand>().ExecuteAsync(tenant.Id));
        Assert.True(linked.IsSuccess, linked.Error);
        _host.Usage.Segments.AddRange(Enumerable.Range(1, 6).Select(i => Segments.Make(tenant.Id, June.AddDays(i), 600 * i,
            i % 2 == 0 ? "cpu" : "cuda", segment: i)));
        await _host.RunAsync(sp => sp.GetRequiredService<Platform.Billing.Usage.IngestUsageCommand>().ExecuteAsync(June, June.AddMonths(1)));

        _stripe.FailNext(1, 500);
        Assert.Equal(6, await _host.RunAsync(sp => sp.GetRequiredService<ReportUsageToStripeCommand>().ExecuteAsync()));
        // A crash after Stripe accepted but before the rows were marked: everything is sent again.
        await using (var reset = _host.Database.DataSource.CreateCommand("UPDATE usage_ledger SET stripe_reported_at = NULL"))
            await reset.ExecuteNonQueryAsync();
        Assert.Equal(6, await _host.RunAsync(sp => sp.GetRequiredService<ReportUsageToStripeCommand>().ExecuteAsync()));

        Assert.Equal(6, _stripe.MeterEvents.Count);
        Assert.Equal(600L * 21, _stripe.MeterEvents.Values.Sum());
        var report = await _host.RunAsync(sp => sp.GetRequiredService<ReconciliationQuery>().ExecuteAsync(June, June.AddMonths(1)));
        Assert.Equal(2, report.Count);
        Assert.All(report, line => Assert.Equal(0, line.UnacknowledgedByStripe));
        Assert.Equal(600L * 21, report.Sum(l => l.StripeSeconds));
    }

    [Fact]
    public async Task PushInvoice_RunTwice_OneStripeInvoiceWithOurTotal()
    {
        var june = June;
        var (tenant, _) = await Seed.TenantAsync(_host.Database);
        await _host.AssignAsync(tenant.Id, TestPlans.Starter());
        await _host.RunAsync(sp => sp.GetRequiredService<LinkStripeCustomerCommand>().ExecuteAsync(tenant.Id));
        _host.Usage.Segments.AddRange(Enumerable.Range(1, 11).Select(i => Segments.Make(tenant.Id, june.AddDays(i), 3600 + 90, segment: i)));
        _host.Clock.Now = june.AddMonths(1);
        // Closing by the scheduler's command: one invoice, and none on a second run.
        Assert.Equal(1, await _host.RunAsync(sp => sp.GetRequiredService<Platform.Billing.Invoices.CloseDuePeriodsCommand>().ExecuteAsync()));
        Assert.Equal(0, await _host.RunAsync(sp => sp.GetRequiredService<Platform.Billing.Invoices.CloseDuePeriodsCommand>().ExecuteAsync()));
        var invoiceId = await _host.Database.ScalarAsync<Guid>("SELECT id FROM invoices");

        _stripe.FailNext(1, 502);
        var first = await _host.RunAsync(sp => sp.GetRequiredService<PushInvoiceToStripeCommand>().ExecuteAsync(invoiceId));
        Assert.True(first.IsSuccess, first.Error);
        var second = await _host.RunAsync(sp => sp.GetRequiredService<PushInvoiceToStripeCommand>().ExecuteAsync(invoiceId));
        Assert.Equal(first.Value, second.Value);
        Assert.Single(_stripe.Invoices);
        // 11 h + 990 s over 10 h included = 4590 s at $2.50/h = $3.1875 -> $3.19; plus the $100 fee.
        Assert.Equal("10319", _stripe.Invoices[first.Value]["amount_due"]);
        Assert.Equal("open", _stripe.Invoices[first.Value]["status"]);
    }

    [Fact]
    public async Task PushInvoice_TenantOnStripeSubscription_IsRefused()
    {
        var (tenant, _) = await Seed.TenantAsync(_host.Database);
        await _host.AssignAsync(tenant.Id, TestPlans.Starter() with { StripePriceId = "price_fee", StripeGpuPriceId = "price_gpu" });
        await _host.RunAsync(sp => sp.GetRequiredService<LinkStripeCustomerCommand>().ExecuteAsync(tenant.Id));
        _host.Clock.Now = June.AddMonths(1);
        var closed = await _host.RunAsync(sp => sp.GetRequiredService<Platform.Billing.Invoices.ClosePeriodCommand>().ExecuteAsync(tenant.Id, June));
        var pushed = await _host.RunAsync(sp => sp.GetRequiredService<PushInvoiceToStripeCommand>().ExecuteAsync(closed.Value.InvoiceId));
        Assert.Equal(Platform.Domain.Common.ResultStatus.Conflict, pushed.Status);
        Assert.Empty(_stripe.Invoices);
    }
}
