using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Primitives;
using Platform.Billing.Invoices;
using Platform.Billing.Stripe;
using Platform.Billing.Tests.Domain;
using Platform.Billing.Tests.Usage;
using Platform.Domain.Common;
using Platform.Testing;

namespace Platform.Billing.Tests.Stripe;

public sealed class StripeWebhookHandlerTests : IAsyncLifetime
{
    private const string Secret = "whsec_handler_test";
    private static readonly DateTimeOffset June = new(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly BillingHost _host = new();

    public Task InitializeAsync()
    {
        _host.Settings["Stripe:WebhookSecret"] = Secret;
        return _host.InitializeAsync();
    }

    public Task DisposeAsync() => _host.DisposeAsync();

    private Task<Result<WebhookOutcome>> DeliverAsync(string body, DateTimeOffset? signedAt = null, string secret = Secret) =>
        _host.RunAsync(sp => sp.GetRequiredService<StripeWebhookHandler>().HandleAsync(
            new Dictionary<string, StringValues> { ["stripe-signature"] = StripeStandIn.SignatureHeader(body, signedAt ?? _host.Clock.Now, secret) },
            body));

    /// <summary>A draft June invoice for a tenant with 12 GPU hours (total $105.00).</summary>
    private async Task<Guid> DraftInvoiceAsync()
    {
        var (tenant, _) = await Seed.TenantAsync(_host.Database);
        await _host.AssignAsync(tenant.Id, TestPlans.Starter());
        _host.Usage.Segments.AddRange(Enumerable.Range(1, 12).Select(i => Segments.Make(tenant.Id, June.AddDays(i), 3600, segment: i)));
        _host.Clock.Now = June.AddMonths(1).AddHours(2);
        var closed = await _host.RunAsync(sp => sp.GetRequiredService<ClosePeriodCommand>().ExecuteAsync(tenant.Id, June, finalize: false));
        Assert.True(closed.IsSuccess, closed.Error);
        return closed.Value.InvoiceId;
    }

    private static string InvoiceEvent(string id, string type, Guid invoiceId, string status, DateTimeOffset created) =>
        StripeStandIn.Event(id, type, new { id = "in_42", @object = "invoice", status, metadata = new { platform_invoice_id = invoiceId.ToString() } }, created);

    private async Task<(string Status, decimal Total)> InvoiceStateAsync(Guid id)
    {
        var view = (await _host.RunAsync(sp => sp.GetRequiredService<InvoiceQueries>().GetForFinanceAsync(id))).Value;
        return (view.Status.ToString(), view.Total);
    }

    [Fact]
    public async Task Handle_BadSignature_IsRejectedAndNotRecorded()
    {
        var invoice = await DraftInvoiceAsync();
        var body = InvoiceEvent("evt_bad", "invoice.paid", invoice, "paid", _host.Clock.Now);
        var result = await DeliverAsync(body, secret: "whsec_attacker");
        Assert.Equal(ResultStatus.BadRequest, result.Status);
        Assert.Equal(("Draft", 105.00m), await InvoiceStateAsync(invoice));
        Assert.Equal(0L, await _host.Database.ScalarAsync<long>("SELECT count(*) FROM stripe_events"));
    }

    [Fact]
    public async Task Handle_StaleSignature_IsRejected()
    {
        var invoice = await DraftInvoiceAsync();
        var body = InvoiceEvent("evt_old", "invoice.paid", invoice, "paid", _host.Clock.Now);
        var result = await DeliverAsync(body, signedAt: _host.Clock.Now.AddSeconds(-301));
        Assert.Equal(ResultStatus.BadRequest, result.Status);
        Assert.Equal(("Draft", 105.00m), await InvoiceStateAsync(invoice));
    }

    [Fact]
    public async Task Handle_PaidBeforeFinalizedAndRedelivered_EndsPaidOnce()
    {
        var invoice = await DraftInvoiceAsync();
        var paid = InvoiceEvent("evt_paid", "invoice.paid", invoice, "paid", _host.Clock.Now);
        var finalized = InvoiceEvent("evt_final", "invoice.finalized", invoice, "open", _host.Clock.Now.AddSeconds(-60));

        Assert.Equal(WebhookOutcome.Applied, (await DeliverAsync(paid)).Value);
        Assert.Equal(WebhookOutcome.Applied, (await DeliverAsync(finalized)).Value);
        Assert.Equal(("Paid", 105.00m), await InvoiceStateAsync(invoice));

        // Redelivered in the other order, and concurrently: acknowledged, not applied again.
        var again = await Task.WhenAll(DeliverAsync(finalized), DeliverAsync(paid), DeliverAsync(paid));
        Assert.All(again, r => Assert.Equal(WebhookOutcome.Duplicate, r.Value));
        Assert.Equal(("Paid", 105.00m), await InvoiceStateAsync(invoice));
        Assert.Equal(2L, await _host.Database.ScalarAsync<long>("SELECT count(*) FROM stripe_events"));
        Assert.Equal("in_42", await _host.Database.ScalarAsync<string>("SELECT stripe_invoice_id FROM invoices"));
    }

    [Fact]
    public async Task Handle_VoidAfterPaid_LeavesInvoicePaid()
    {
        var invoice = await DraftInvoiceAsync();
        await DeliverAsync(InvoiceEvent("evt_p", "invoice.paid", invoice, "paid", _host.Clock.Now));
        await DeliverAsync(InvoiceEvent("evt_v", "invoice.voided", invoice, "void", _host.Clock.Now));
        Assert.Equal(("Paid", 105.00m), await InvoiceStateAsync(invoice));
    }

    [Fact]
    public async Task Handle_UnknownEventType_IsAcknowledgedAndIgnored()
    {
        var body = StripeStandIn.Event("evt_x", "charge.refunded", new { id = "ch_1", @object = "charge" }, _host.Clock.Now);
        Assert.Equal(WebhookOutcome.Ignored, (await DeliverAsync(body)).Value);
    }
}
