using System.Globalization;
using System.Net;
using Platform.Domain.Tenants;
using Platform.Web.Tests.Infrastructure;
using Platform.Web.Tests.Jobs;

namespace Platform.Web.Tests.Billing;

public sealed class TenantBillingTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    [Fact]
    public async Task Billing_OwnerOnAPlanWithUsage_ShowsPlanMetersAndProjectedCost()
    {
        var owner = await JobTestKit.OwnerAsync(portal);
        await BillingKit.AssignPlanAsync(portal, owner.TenantId);
        await BillingKit.FinishedJobAsync(portal, owner.TenantId, device: "cuda");

        // Not ingested yet: the page counts finished segments the ledger does not hold yet.
        var page = await owner.Client.GetAsync("/billing");

        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.Equal("Starter", page.Text("#plan-name"));
        Assert.Equal("active", page.Document.QuerySelector("#subscription-status")!.GetAttribute("data-status"));
        var gpu = page.Document.QuerySelector("#usage-gpu")!;
        Assert.True(decimal.Parse(gpu.GetAttribute("data-used")!, CultureInfo.InvariantCulture) > 0);
        Assert.Equal("10", gpu.GetAttribute("data-included"));
        Assert.Equal("0", page.Document.QuerySelector("#usage-cpu")!.GetAttribute("data-used"));
        Assert.StartsWith("100.00 USD", page.Text("#projected-cost .stat-value"));
        Assert.Equal("No invoices yet: the first comes when the first billing period ends.", page.Text("#no-invoices"));
        Assert.Contains(page.Document.QuerySelectorAll("nav a"), a => a.GetAttribute("href") == "/billing");
    }

    [Fact]
    public async Task Billing_NewOrganisation_IsOnTheFreePlanFromSignUp()
    {
        // Every organisation is on a plan from sign-up (issue 13): there is no "no plan yet" any more.
        var owner = await JobTestKit.OwnerAsync(portal);

        var page = await owner.Client.GetAsync("/billing");

        Assert.Equal("Free", page.Text("#plan-name"));
    }

    [Fact]
    public async Task Billing_Member_SeesNoBillingAndCannotDownload()
    {
        var owner = await JobTestKit.OwnerAsync(portal);
        var invoiced = await BillingKit.InvoicedTenantAsync(portal, owner.TenantId);
        var member = await portal.CreateUserAsync();
        await portal.AddMemberAsync(owner.TenantId, member, TenantRole.Member);
        using var client = portal.CreatePortalClient();
        await client.SignInAsync(member.Email!);

        var page = await client.GetAsync("/billing");
        var invoice = await client.GetAsync($"/billing/invoices/{invoiced.Invoice.InvoiceId}");
        var pdf = await client.GetAsync($"/billing/invoices/{invoiced.Invoice.InvoiceId}/pdf");

        Assert.Equal("Billing is for owners", page.Text(".empty-state h2"));
        Assert.DoesNotContain(page.Document.QuerySelectorAll("nav a"), a => a.GetAttribute("href") == "/billing");
        Assert.Equal(HttpStatusCode.NotFound, invoice.Status);
        Assert.StartsWith("http://localhost/account/access-denied", pdf.Location);
    }

    [Fact]
    public async Task Invoice_OwnOrganisation_ListedWithHtmlViewAndPdf()
    {
        var owner = await JobTestKit.OwnerAsync(portal);
        var invoiced = await BillingKit.InvoicedTenantAsync(portal, owner.TenantId);

        var billing = await owner.Client.GetAsync("/billing");
        var page = await owner.Client.GetAsync($"/billing/invoices/{invoiced.Invoice.InvoiceId}");
        using var pdf = await owner.Client.Http.GetAsync($"/billing/invoices/{invoiced.Invoice.InvoiceId}/pdf");

        Assert.NotNull(billing.Document.QuerySelector($"#invoice-table tr[data-invoice='{invoiced.Invoice.InvoiceId}']"));
        Assert.Equal($"Invoice {invoiced.Invoice.Number}", page.Text("h1"));
        Assert.Equal("100.00 USD", page.Text("#invoice-due"));
        Assert.False(page.Has("#status-form"));
        Assert.Equal(HttpStatusCode.OK, pdf.StatusCode);
        Assert.Equal("%PDF-"u8.ToArray(), (await pdf.Content.ReadAsByteArrayAsync())[..5]);
    }

    [Fact]
    public async Task Invoice_AnotherOrganisationsId_IsNotFound()
    {
        var victim = await JobTestKit.OwnerAsync(portal);
        var invoiced = await BillingKit.InvoicedTenantAsync(portal, victim.TenantId);
        var stranger = await JobTestKit.OwnerAsync(portal);
        await BillingKit.AssignPlanAsync(portal, stranger.TenantId);

        var page = await stranger.Client.GetAsync($"/billing/invoices/{invoiced.Invoice.InvoiceId}");
        using var pdf = await stranger.Client.Http.GetAsync($"/billing/invoices/{invoiced.Invoice.InvoiceId}/pdf");
        var billing = await stranger.Client.GetAsync("/billing");

        Assert.Equal(HttpStatusCode.NotFound, page.Status);
        Assert.Equal("Page not found", page.Text("h1"));
        Assert.DoesNotContain(invoiced.Invoice.Number, page.Html);
        Assert.Equal(HttpStatusCode.NotFound, pdf.StatusCode);
        Assert.False(billing.Has("#invoice-table"));
    }

    [Fact]
    public async Task Invoice_Draft_IsNotShownToTheTenant()
    {
        var owner = await JobTestKit.OwnerAsync(portal);
        var draft = await BillingKit.InvoicedTenantAsync(portal, owner.TenantId, finalize: false);

        var billing = await owner.Client.GetAsync("/billing");
        var page = await owner.Client.GetAsync($"/billing/invoices/{draft.Invoice.InvoiceId}");

        Assert.False(billing.Has("#invoice-table"));
        Assert.Equal(HttpStatusCode.NotFound, page.Status);
    }
}
