using Bunit;
using Microsoft.Extensions.DependencyInjection;
using Platform.Billing.Invoices;
using Platform.Data;
using Platform.Data.Identity;
using Platform.Data.Tenants;
using Platform.Web.Components.Pages.Finance;
using Platform.Web.Tests.Infrastructure;
using Platform.Web.Tests.Jobs;

namespace Platform.Web.Tests.Billing;

/// <summary>
/// Finance's invoices grid on a circuit over the real database: filters and sort run in PostgreSQL
/// (InvoiceGridQuery), and Mark paid / Void ask in a dialog before the real command moves the invoice.
/// </summary>
public sealed class InvoiceGridTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    private static readonly Type[] Services =
        [typeof(InvoiceGridQuery), typeof(ListTenantsQuery), typeof(ChangeInvoiceStatusCommand), typeof(CurrentTenant)];

    private Task<string> StatusAsync(Guid invoiceId) =>
        portal.Database.ScalarAsync<string>($"SELECT status FROM invoices WHERE id = '{invoiceId}'");

    [Fact]
    public async Task Void_AskedThenConfirmed_VoidsTheInvoiceAndSaysSo()
    {
        var invoiced = await BillingKit.InvoicedTenantAsync(portal, (await JobTestKit.OwnerAsync(portal)).TenantId);
        var finance = await portal.CreateUserAsync(null, PlatformRoles.Finance);
        await using var scope = portal.Services.CreateAsyncScope();
        await using var circuit = Circuit.Start(scope.ServiceProvider, finance.Id, Services, PlatformRoles.Finance);
        var grid = circuit.Render<InvoiceGrid>(p => p.Add(g => g.InitialTenant, invoiced.TenantId));
        var voidButton = $".invoice-void[data-invoice='{invoiced.Invoice.InvoiceId}']";
        await Circuit.EventuallyAsync(() => grid.Find(voidButton));

        await Circuit.AnswerAsync(circuit, grid, await Circuit.ClickAsync(grid, () => grid.Find(voidButton)), "Keep it");
        Assert.Equal("open", await StatusAsync(invoiced.Invoice.InvoiceId));

        await Circuit.AnswerAsync(circuit, grid, await Circuit.ClickAsync(grid, () => grid.Find(voidButton)), "Void invoice");

        Assert.True(await StatusAsync(invoiced.Invoice.InvoiceId) == "void", grid.Markup);
        await Circuit.EventuallyAsync(() => Assert.Contains($"{invoiced.Invoice.Number} is void.", grid.Markup));
        await Circuit.EventuallyAsync(() => Assert.Empty(grid.FindAll(voidButton)));
        Assert.Equal(finance.Id, await portal.Database.ScalarAsync<Guid>(
            $"SELECT actor_user_id FROM audit_log WHERE action = 'invoice.status' AND target = '{invoiced.Invoice.Number}'"));
    }

    [Fact]
    public async Task MarkPaid_Confirmed_MovesTheInvoiceAndTheTotals()
    {
        var invoiced = await BillingKit.InvoicedTenantAsync(portal, (await JobTestKit.OwnerAsync(portal)).TenantId);
        var finance = await portal.CreateUserAsync(null, PlatformRoles.Finance);
        await using var scope = portal.Services.CreateAsyncScope();
        await using var circuit = Circuit.Start(scope.ServiceProvider, finance.Id, Services, PlatformRoles.Finance);
        var grid = circuit.Render<InvoiceGrid>(p => p.Add(g => g.InitialTenant, invoiced.TenantId));
        var paidButton = $".invoice-mark-paid[data-invoice='{invoiced.Invoice.InvoiceId}']";
        await Circuit.EventuallyAsync(() => grid.Find(paidButton));
        Assert.Equal("—", grid.Find("#stat-paid .stat-value").TextContent.Trim());

        await Circuit.AnswerAsync(circuit, grid, await Circuit.ClickAsync(grid, () => grid.Find(paidButton)), "Mark paid");

        Assert.True(await StatusAsync(invoiced.Invoice.InvoiceId) == "paid", grid.Markup);
        await Circuit.EventuallyAsync(() => Assert.Contains($"{invoiced.Invoice.Number} is marked paid.", grid.Markup));
        await Circuit.EventuallyAsync(() => Assert.NotEqual("—", grid.Find("#stat-paid .stat-value").TextContent.Trim()));
        Assert.Equal("—", grid.Find("#stat-due .stat-value").TextContent.Trim());
    }

    [Fact]
    public async Task Query_FiltersSortsAndPagesInTheDatabase()
    {
        var first = await BillingKit.InvoicedTenantAsync(portal, (await JobTestKit.OwnerAsync(portal)).TenantId);
        var second = await BillingKit.InvoicedTenantAsync(portal, (await JobTestKit.OwnerAsync(portal)).TenantId);
        await portal.WithServicesAsync(sp => sp.GetRequiredService<ChangeInvoiceStatusCommand>().ExecuteAsync(second.Invoice.InvoiceId, InvoiceStatus.Paid));
        await using var scope = portal.Services.CreateAsyncScope();
        var query = scope.ServiceProvider.GetRequiredService<InvoiceGridQuery>();

        var open = await query.ListAsync(new InvoiceGridRequest(Filter: new InvoiceFilter(first.TenantId, InvoiceStatus.Open)));
        var paidOfFirst = await query.ListAsync(new InvoiceGridRequest(Filter: new InvoiceFilter(first.TenantId, InvoiceStatus.Paid)));
        var byNumber = await query.ListAsync(new InvoiceGridRequest(PageSize: 1000, SortBy: "Number", Descending: false));
        var page = await query.ListAsync(new InvoiceGridRequest(Page: 1, PageSize: 1, SortBy: "Number", Descending: false));
        var totals = await query.TotalsAsync(new InvoiceFilter(second.TenantId));

        Assert.Equal([first.Invoice.InvoiceId], open.Items.Select(i => i.Id));
        Assert.Equal(0, paidOfFirst.Total);
        Assert.Equal(byNumber.Items.Select(i => i.Number).Order(StringComparer.Ordinal), byNumber.Items.Select(i => i.Number));
        Assert.Equal(byNumber.Items[1].Id, Assert.Single(page.Items).Id);
        Assert.Equal(InvoiceStatus.Paid, Assert.Single(totals).Status);
    }
}
