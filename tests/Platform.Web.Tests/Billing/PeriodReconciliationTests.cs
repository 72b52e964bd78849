using Platform.Web.Tests.Infrastructure;
using Platform.Web.Tests.Jobs;

namespace Platform.Web.Tests.Billing;

/// <summary>The reconciliation page per billing period: metered, ledger, invoiced and Stripe seconds, and what differs.</summary>
public sealed class PeriodReconciliationTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    [Fact]
    public async Task Reconciliation_SegmentAfterTheClose_AwaitingThenNotInvoicedYet()
    {
        var owner = await JobTestKit.OwnerAsync(portal);
        var invoiced = await BillingKit.InvoicedTenantAsync(portal, owner.TenantId);
        using var finance = await BillingKit.FinanceClientAsync(portal);
        var month = portal.Time.GetUtcNow().ToString("yyyy-MM", System.Globalization.CultureInfo.InvariantCulture);
        var row = $"#period-reconciliation-table tr[data-invoice='{invoiced.Invoice.InvoiceId}'][data-device=cuda]";

        var closed = await finance.GetAsync($"/finance/reconciliation?month={month}");
        Assert.Equal("true", closed.Document.QuerySelector(row)!.GetAttribute("data-balanced"));
        var seconds = closed.Text($"{row} .metered");
        Assert.NotEqual("0", seconds);
        Assert.Equal(seconds, closed.Text($"{row} .ledger"));
        Assert.Equal(seconds, closed.Text($"{row} .invoiced"));
        Assert.Equal("not on Stripe", closed.Text($"{row} .stripe"));

        // A job of the same period whose segment closes after the invoice: metered, then in the ledger, not yet billed.
        await BillingKit.FinishedJobAsync(portal, owner.TenantId, name: "late job");
        var late = await finance.GetAsync($"/finance/reconciliation?month={month}");
        Assert.Equal("false", late.Document.QuerySelector(row)!.GetAttribute("data-balanced"));
        Assert.Contains("awaiting ingestion", late.Text($"{row} .differences"));

        await BillingKit.TickAsync(portal);
        var ingested = await finance.GetAsync($"/finance/reconciliation?month={month}");
        Assert.Equal(ingested.Text($"{row} .metered"), ingested.Text($"{row} .ledger"));
        Assert.Contains("not invoiced yet", ingested.Text($"{row} .differences"));
        Assert.DoesNotContain("awaiting ingestion", ingested.Text($"{row} .differences"));
    }
}
