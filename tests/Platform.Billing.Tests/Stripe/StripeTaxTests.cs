using Microsoft.Extensions.DependencyInjection;
using Platform.Billing.Invoices;
using Platform.Billing.Plans;
using Platform.Billing.Stripe;
using Platform.Billing.Tax;
using Platform.Billing.Tests.Domain;
using Platform.Billing.Tests.Usage;
using Platform.Testing;

namespace Platform.Billing.Tests.Stripe;

/// <summary>An invoice's tax reaches Stripe so that Stripe asks for the same total as our invoice.</summary>
public sealed class StripeTaxTests : IAsyncLifetime
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
        _host.Settings["Billing:Seller:Country"] = "DE";
        _host.Settings["Billing:Tax:Rates:DE"] = "19";
        _host.Settings["Billing:Tax:StripeTaxForUs"] = "true";
        await _host.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _stripe.DisposeAsync();
    }

    private async Task<InvoiceView> PushedJuneInvoiceAsync(BuyerDetails buyer)
    {
        _host.Clock.Now = June;
        var (tenant, _) = await Seed.TenantAsync(_host.Database);
        await _host.AssignAsync(tenant.Id, TestPlans.Starter());
        Assert.True((await _host.RunAsync(sp => sp.GetRequiredService<LinkStripeCustomerCommand>().ExecuteAsync(tenant.Id))).IsSuccess);
        Assert.True((await _host.RunAsync(sp => sp.GetRequiredService<BuyerDetailsStore>().SaveAsync(tenant.Id, buyer))).IsSuccess);
        _host.Usage.Segments.AddRange(Enumerable.Range(1, 11).Select(i => Segments.Make(tenant.Id, June.AddDays(i), 3600 + 90, segment: i)));
        _host.Clock.Now = June.AddMonths(1).AddHours(7);
        var closed = await _host.RunAsync(sp => sp.GetRequiredService<ClosePeriodCommand>().ExecuteAsync(tenant.Id, June));
        Assert.True(closed.IsSuccess, closed.Error);
        var pushed = await _host.RunAsync(sp => sp.GetRequiredService<PushInvoiceToStripeCommand>().ExecuteAsync(closed.Value.InvoiceId));
        Assert.True(pushed.IsSuccess, pushed.Error);
        return (await _host.RunAsync(sp => sp.GetRequiredService<InvoiceQueries>().GetForFinanceAsync(closed.Value.InvoiceId))).Value;
    }

    private static BuyerDetails Buyer(string country, string? taxId = null, string? region = null) =>
        new("Buyer Ltd", "1 Main Street", null, "Town", "12345", region, country, taxId);

    [Fact]
    public async Task PushInvoice_DomesticVat_StripeAddsTheSameTaxPerLineAndOneTaxRateServesEveryInvoice()
    {
        var first = await PushedJuneInvoiceAsync(Buyer("DE"));
        var second = await PushedJuneInvoiceAsync(Buyer("DE"));

        foreach (var invoice in new[] { first, second })
        {
            var stripeInvoice = _stripe.Invoices[invoice.StripeInvoiceId!];
            Assert.Equal("12280", stripeInvoice["total"]); // 103.19 + 19.61 VAT
            Assert.Equal("1961", stripeInvoice["tax"]);
            Assert.Equal(invoice.Total, decimal.Parse(stripeInvoice["total"]) / 100m);
        }
        var rate = Assert.Single(_stripe.TaxRates).Value;
        Assert.Equal(("19", "VAT", "DE", "false"), (rate["percentage"], rate["display_name"], rate["jurisdiction"], rate["inclusive"]));
        Assert.Equal(1L, await _host.Database.ScalarAsync<long>("SELECT count(*) FROM stripe_tax_rates"));
    }

    [Fact]
    public async Task PushInvoice_ReverseCharge_ZeroRateAndTheLegalMentionOnStripesInvoice()
    {
        var invoice = await PushedJuneInvoiceAsync(Buyer("FR", "FR40303265045"));

        var stripeInvoice = _stripe.Invoices[invoice.StripeInvoiceId!];
        Assert.Equal(("10319", "0"), (stripeInvoice["total"], stripeInvoice["tax"]));
        Assert.Contains("Article 196", stripeInvoice["footer"]);
        Assert.Equal(("0", "Reverse charge"), (_stripe.TaxRates.Single().Value["percentage"], _stripe.TaxRates.Single().Value["display_name"]));
    }

    [Fact]
    public async Task PushInvoice_UsBuyerWithStripeTax_AutomaticTaxOnAndNoTaxRates()
    {
        var invoice = await PushedJuneInvoiceAsync(Buyer("US", region: "NY"));

        Assert.Equal(("StripeTax", 0m), (invoice.Tax!.Treatment, invoice.Tax.Amount));
        var stripeInvoice = _stripe.Invoices[invoice.StripeInvoiceId!];
        Assert.Equal("true", stripeInvoice["automatic_tax"]);
        Assert.Empty(_stripe.TaxRates);
    }
}
