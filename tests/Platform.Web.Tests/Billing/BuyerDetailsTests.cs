using System.Net;
using Platform.Web.Tests.Admin;
using Platform.Web.Tests.Infrastructure;
using Platform.Web.Tests.Jobs;

namespace Platform.Web.Tests.Billing;

/// <summary>Buyer details on the owner's billing page and the admin's tenant page, and on the invoice.</summary>
public sealed class BuyerDetailsTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    private static Dictionary<string, string> Details(string country, string taxId, string region = "") => new()
    {
        ["Buyer.LegalName"] = "Acme Labs SAS", ["Buyer.AddressLine1"] = "12 rue de la Paix", ["Buyer.AddressLine2"] = "",
        ["Buyer.PostalCode"] = "75002", ["Buyer.City"] = "Paris", ["Buyer.Country"] = country, ["Buyer.Region"] = region, ["Buyer.TaxId"] = taxId,
    };

    [Fact]
    public async Task BillingPage_OwnerSavesDetails_TheNextInvoiceIsAddressedToThem()
    {
        var owner = await JobTestKit.OwnerAsync(portal);

        var refused = await owner.Client.SubmitAsync(await owner.Client.GetAsync("/billing"), "#buyer-details-form", Details("FR", "DE136695976"));
        Assert.Contains("Not saved: A VAT id of FR starts with FR, not DE.", refused.Text("#buyer-details-message"));
        // What was typed stays in the form to be corrected.
        Assert.Equal("Acme Labs SAS", refused.Document.QuerySelector("#buyer-legal-name")!.GetAttribute("value"));

        var saved = await owner.Client.SubmitAsync(refused, "#buyer-details-form", Details("fr", "40 303 265 045"));
        Assert.Equal("Billing details saved; your next invoice uses them.", saved.Text("#buyer-details-message"));
        Assert.Equal("FR40303265045", saved.Document.QuerySelector("#buyer-tax-id")!.GetAttribute("value"));

        var invoiced = await BillingKit.InvoicedTenantAsync(portal, owner.TenantId);
        var invoice = await owner.Client.GetAsync($"/billing/invoices/{invoiced.Invoice.InvoiceId}");
        Assert.Equal(HttpStatusCode.OK, invoice.Status);
        Assert.Contains("Acme Labs SAS", invoice.Text("#invoice-buyer"));
        Assert.Contains("75002 Paris", invoice.Text("#invoice-buyer"));
        Assert.Contains("FR40303265045", invoice.Text("#invoice-buyer-tax-id"));
        Assert.True(invoice.Has("#invoice-seller"));
        Assert.False(string.IsNullOrWhiteSpace(invoice.Text("#invoice-due-date")));
    }

    [Fact]
    public async Task TenantPage_AdminSavesDetails_OwnerSeesThem()
    {
        var owner = await JobTestKit.OwnerAsync(portal);
        using var admin = await AdminTestKit.SignedInAdminAsync(portal);

        var saved = await admin.SubmitAsync(await admin.GetAsync($"/admin/tenants/{owner.TenantId}"), "#buyer-details-form",
            Details("US", "12-3456789", "ca"));

        Assert.Equal("Billing details saved; your next invoice uses them.", saved.Text("#buyer-details-message"));
        var billing = await owner.Client.GetAsync("/billing");
        Assert.Equal("CA", billing.Document.QuerySelector("#buyer-region")!.GetAttribute("value"));
        Assert.Equal("123456789", billing.Document.QuerySelector("#buyer-tax-id")!.GetAttribute("value"));
    }
}
