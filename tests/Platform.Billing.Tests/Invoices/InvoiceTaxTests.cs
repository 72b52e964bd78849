using Microsoft.Extensions.DependencyInjection;
using Platform.Billing.Invoices;
using Platform.Billing.Tax;
using Platform.Billing.Tests.Domain;
using Platform.Billing.Tests.Usage;
using Platform.Domain.Common;
using Platform.Testing;

namespace Platform.Billing.Tests.Invoices;

/// <summary>
/// Invoices fit for tax: a German seller (Billing:Seller, Billing:Tax), buyers in several countries,
/// the tax decided at the close, per line, and kept on the invoice with both parties' details.
/// </summary>
public sealed class InvoiceTaxTests : IAsyncLifetime
{
    private static readonly DateTimeOffset June = new(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly BillingHost _host = new();

    public Task InitializeAsync()
    {
        _host.Settings["Billing:SellerName"] = "Platform";
        _host.Settings["Billing:Seller:LegalName"] = "Platform Training GmbH";
        _host.Settings["Billing:Seller:Address"] = "Torstraße 1; 10119 Berlin";
        _host.Settings["Billing:Seller:Country"] = "DE";
        _host.Settings["Billing:Seller:TaxId"] = "DE136695976";
        _host.Settings["Billing:Seller:Registration"] = "Amtsgericht Charlottenburg HRB 123456";
        _host.Settings["Billing:Tax:Rates:DE"] = "19";
        _host.Settings["Billing:Tax:Rates:FR"] = "20";
        _host.Settings["Billing:Tax:Rates:US-CA"] = "7.25";
        return _host.InitializeAsync();
    }

    public Task DisposeAsync() => _host.DisposeAsync();

    private static BuyerDetails Buyer(string country, string? taxId, string? region = null) =>
        new("Acme Labs SAS", "12 rue de la Paix", null, "Paris", "75002", region, country, taxId);

    /// <summary>A tenant on the starter plan ($100 fee, 10 GPU h, $2.50/h) with 11 h 990 s of GPU time in June and these details.</summary>
    private async Task<InvoiceView> CloseJuneAsync(BuyerDetails? buyer, bool usage = true)
    {
        var (tenant, _) = await Seed.TenantAsync(_host.Database);
        await _host.AssignAsync(tenant.Id, TestPlans.Starter());
        if (buyer is not null)
        {
            var saved = await _host.RunAsync(sp => sp.GetRequiredService<BuyerDetailsStore>().SaveAsync(tenant.Id, buyer));
            Assert.True(saved.IsSuccess, saved.Error);
        }
        if (usage)
            _host.Usage.Segments.AddRange(Enumerable.Range(1, 11).Select(i => Segments.Make(tenant.Id, June.AddDays(i), 3600 + 90, segment: i)));
        _host.Clock.Now = June.AddMonths(1).AddHours(7);
        var closed = await _host.RunAsync(sp => sp.GetRequiredService<ClosePeriodCommand>().ExecuteAsync(tenant.Id, June));
        Assert.True(closed.IsSuccess, closed.Error);
        return (await _host.RunAsync(sp => sp.GetRequiredService<InvoiceQueries>().GetForFinanceAsync(closed.Value.InvoiceId))).Value;
    }

    [Fact]
    public async Task Close_DomesticBuyer_VatPerLineWithBothPartiesAndTheDueDate()
    {
        var invoice = await CloseJuneAsync(Buyer("DE", "DE 136 695 976") with { City = "Berlin", LegalName = "Acme Labs GmbH" });

        var tax = invoice.Tax!;
        Assert.Equal(("Standard", 19m, "DE", "VAT DE 19 %"), (tax.Treatment, tax.RatePercent, tax.Jurisdiction, tax.Reason));
        // Fee 100.00 -> 19.00; overage 4590 s at 2.50/h = 3.19 -> 0.6061 -> 0.61 (each line rounded once).
        Assert.Equal(19.00m, invoice.Lines.Single(l => l.Kind == "Fee").TaxAmount);
        Assert.Equal(0.61m, invoice.Lines.Single(l => l.Kind == "Overage").TaxAmount);
        Assert.Equal((103.19m, 19.61m, 122.80m), (invoice.Subtotal, tax.Amount, invoice.Total));
        Assert.Equal(invoice.Lines.Sum(l => l.TaxAmount), tax.Amount);
        Assert.Equal(122.80m, invoice.AmountDue);

        var parties = invoice.Parties!;
        Assert.Equal(["Platform Training GmbH", "Torstraße 1", "10119 Berlin", "DE", "VAT/Tax id: DE136695976", "Amtsgericht Charlottenburg HRB 123456"],
            parties.Seller);
        Assert.Equal(("Acme Labs GmbH", "DE", "DE136695976"), (parties.BuyerName, parties.BuyerCountry, parties.BuyerTaxId));
        Assert.Equal(["12 rue de la Paix", "75002 Berlin", "DE"], parties.BuyerAddress);
        Assert.Equal(invoice.FinalizedAt!.Value.AddDays(30), invoice.DueAt);
        Assert.Equal(30, invoice.PaymentTermsDays);
    }

    [Theory]
    [InlineData("FR", "FR40303265045", null, "ReverseCharge", "0", "0", "Article 196")]
    [InlineData("FR", null, null, "Standard", "20", "20.64", "VAT FR 20 %")] // 20.00 + 0.638 -> 0.64
    [InlineData("US", null, "CA", "Standard", "7.25", "7.48", "Sales tax US-CA 7.25 %")] // 7.25 + 0.231 -> 0.23
    [InlineData("JP", "T1234567890123", null, "None", "0", "0", "Article 44")]
    public async Task Close_BuyerCountryAndTaxId_PickTheTax(string country, string? taxId, string? region, string treatment, string rate,
        string taxAmount, string reason)
    {
        var invoice = await CloseJuneAsync(Buyer(country, taxId, region));

        var tax = invoice.Tax!;
        Assert.Equal(treatment, tax.Treatment);
        Assert.Equal(decimal.Parse(rate, System.Globalization.CultureInfo.InvariantCulture), tax.RatePercent);
        Assert.Equal(decimal.Parse(taxAmount, System.Globalization.CultureInfo.InvariantCulture), tax.Amount);
        Assert.Contains(reason, tax.Reason);
        Assert.Equal(103.19m + tax.Amount, invoice.Total);
    }

    [Fact]
    public async Task Close_BuyerDetailsChangedAfterIssue_TheInvoiceKeepsThoseItWasIssuedWith()
    {
        var invoice = await CloseJuneAsync(Buyer("FR", "FR40303265045"));
        var saved = await _host.RunAsync(sp => sp.GetRequiredService<BuyerDetailsStore>().SaveAsync(invoice.TenantId, Buyer("DE", null) with { LegalName = "Renamed AG" }));
        Assert.True(saved.IsSuccess, saved.Error);

        var again = (await _host.RunAsync(sp => sp.GetRequiredService<InvoiceQueries>().GetForFinanceAsync(invoice.Id))).Value;
        Assert.Equal(("Acme Labs SAS", "FR", "ReverseCharge", 103.19m), (again.Parties!.BuyerName, again.Parties.BuyerCountry, again.Tax!.Treatment, again.Total));
    }

    [Fact]
    public async Task CreditNote_OnATaxedInvoice_CarriesTheInvoicesProportionOfTax()
    {
        var invoice = await CloseJuneAsync(Buyer("DE", null), usage: false);
        Assert.Equal(119.00m, invoice.Total);

        var credited = await _host.RunAsync(sp => sp.GetRequiredService<CreateCreditNoteCommand>().ExecuteAsync(invoice.Id, 59.50m, "Outage"));
        Assert.True(credited.IsSuccess, credited.Error);

        var after = (await _host.RunAsync(sp => sp.GetRequiredService<InvoiceQueries>().GetForFinanceAsync(invoice.Id))).Value;
        var note = Assert.Single(after.CreditNotes);
        Assert.Equal((59.50m, 9.50m), (note.Amount, note.TaxAmount));
        Assert.Equal(59.50m, after.AmountDue);
    }

    [Theory]
    [InlineData("DE", "DE12345678", null, "format of a DE VAT id")]
    [InlineData("DE", "FR40303265045", null, "starts with DE")]
    [InlineData("XX", null, null, "two-letter ISO code")]
    [InlineData("US", null, null, "state")]
    public async Task SaveBuyerDetails_BadInput_RefusedWithAReasonAndNothingSaved(string country, string? taxId, string? region, string error)
    {
        var (tenant, _) = await Seed.TenantAsync(_host.Database);
        var saved = await _host.RunAsync(sp => sp.GetRequiredService<BuyerDetailsStore>().SaveAsync(tenant.Id, Buyer(country, taxId, region)));
        Assert.Equal(ResultStatus.BadRequest, saved.Status);
        Assert.Contains(error, saved.Error);
        Assert.Equal(0L, await _host.Database.ScalarAsync<long>("SELECT count(*) FROM tenant_billing_details"));
    }

    [Fact]
    public async Task SaveBuyerDetails_BareVatNumber_StoredWithItsPrefix()
    {
        var (tenant, _) = await Seed.TenantAsync(_host.Database);
        var saved = await _host.RunAsync(sp => sp.GetRequiredService<BuyerDetailsStore>().SaveAsync(tenant.Id, Buyer("fr", " 40 303 265 045 ")));
        Assert.True(saved.IsSuccess, saved.Error);
        Assert.Equal("FR40303265045", (await _host.RunAsync(sp => sp.GetRequiredService<BuyerDetailsStore>().GetAsync(tenant.Id)))!.TaxId);
    }

    [Fact]
    public async Task Close_NoSellerCountry_NoTaxAsBefore()
    {
        var host = new BillingHost();
        await host.InitializeAsync();
        try
        {
        var (tenant, _) = await Seed.TenantAsync(host.Database);
        await host.AssignAsync(tenant.Id, TestPlans.Starter());
        host.Clock.Now = June.AddMonths(1).AddHours(7);
        var closed = await host.RunAsync(sp => sp.GetRequiredService<ClosePeriodCommand>().ExecuteAsync(tenant.Id, June));
        var invoice = (await host.RunAsync(sp => sp.GetRequiredService<InvoiceQueries>().GetForFinanceAsync(closed.Value.InvoiceId))).Value;
        Assert.Equal(("None", 0m, 100m, ""), (invoice.Tax!.Treatment, invoice.Tax.Amount, invoice.Total, invoice.Tax.Reason));
        }
        finally
        {
            await host.DisposeAsync();
        }
    }
}
