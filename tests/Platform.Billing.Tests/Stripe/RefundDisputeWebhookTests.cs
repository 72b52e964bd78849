using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Primitives;
using Platform.Billing.Invoices;
using Platform.Billing.Stripe;
using Platform.Billing.Tests.Domain;
using Platform.Billing.Tests.Usage;
using Platform.Domain.Common;
using Platform.Testing;

namespace Platform.Billing.Tests.Stripe;

/// <summary>
/// Refund and dispute webhooks, signed as Stripe signs them, recorded against the invoice the charge
/// paid: redelivered, reordered, and on either API version's shape of the invoice-to-charge link.
/// </summary>
public sealed class RefundDisputeWebhookTests : IAsyncLifetime
{
    private const string Secret = "whsec_refund_test";
    private static readonly DateTimeOffset June = new(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly BillingHost _host = new();

    public Task InitializeAsync()
    {
        _host.Settings["Stripe:WebhookSecret"] = Secret;
        return _host.InitializeAsync();
    }

    public Task DisposeAsync() => _host.DisposeAsync();

    private async Task<WebhookOutcome> DeliverAsync(string body)
    {
        var result = await _host.RunAsync(sp => sp.GetRequiredService<StripeWebhookHandler>().HandleAsync(
            new Dictionary<string, StringValues> { ["Stripe-Signature"] = StripeStandIn.SignatureHeader(body, _host.Clock.Now, Secret) }, body));
        Assert.True(result.IsSuccess, result.Error);
        return result.Value;
    }

    /// <summary>An open June invoice of $105.00 (fee and 2 GPU hours of overage).</summary>
    private async Task<Guid> OpenInvoiceAsync()
    {
        var (tenant, _) = await Seed.TenantAsync(_host.Database);
        await _host.AssignAsync(tenant.Id, TestPlans.Starter());
        _host.Usage.Segments.AddRange(Enumerable.Range(1, 12).Select(i => Segments.Make(tenant.Id, June.AddDays(i), 3600, segment: i)));
        _host.Clock.Now = June.AddMonths(1).AddHours(7);
        var closed = await _host.RunAsync(sp => sp.GetRequiredService<ClosePeriodCommand>().ExecuteAsync(tenant.Id, June));
        Assert.True(closed.IsSuccess, closed.Error);
        return closed.Value.InvoiceId;
    }

    private Task<InvoiceView> ViewAsync(Guid id) =>
        _host.RunAsync(async sp => (await sp.GetRequiredService<InvoiceQueries>().GetForFinanceAsync(id)).Value);

    /// <summary>invoice.paid as API versions before 2025-03-31 render it (invoice.charge, invoice.payment_intent).</summary>
    private static string PaidOldShape(string eventId, Guid invoiceId, string charge, DateTimeOffset created) =>
        StripeStandIn.Event(eventId, "invoice.paid", new
        {
            id = "in_" + invoiceId.ToString("N")[..8], @object = "invoice", status = "paid", currency = "usd", amount_due = 10500, charge,
            payment_intent = "pi_" + charge, metadata = new { platform_invoice_id = invoiceId.ToString() },
        }, created, "2024-06-20");

    /// <summary>invoice.paid as later versions render it: the payment under invoice.payments.</summary>
    private static string PaidNewShape(string eventId, Guid invoiceId, string paymentIntent, DateTimeOffset created) =>
        StripeStandIn.Event(eventId, "invoice.paid", new
        {
            id = "in_" + invoiceId.ToString("N")[..8], @object = "invoice", status = "paid", currency = "usd", amount_due = 10500,
            metadata = new { platform_invoice_id = invoiceId.ToString() },
            payments = new
            {
                @object = "list", has_more = false, url = "/v1/invoice_payments",
                data = new[] { new { id = "inpay_1", @object = "invoice_payment", payment = new { type = "payment_intent", payment_intent = paymentIntent } } },
            },
        }, created);

    private static string Refunded(string eventId, string charge, long amountRefunded, DateTimeOffset created, string? paymentIntent = null) =>
        StripeStandIn.Event(eventId, "charge.refunded", new
        {
            id = charge, @object = "charge", amount = 10500, amount_refunded = amountRefunded, currency = "usd", refunded = amountRefunded == 10500,
            payment_intent = paymentIntent ?? "pi_" + charge, status = "succeeded", metadata = new { },
        }, created);

    private static string Dispute(string eventId, string type, string status, string charge, DateTimeOffset created) =>
        StripeStandIn.Event(eventId, type, new
        {
            id = "dp_" + charge, @object = "dispute", amount = 10500, currency = "usd", charge, payment_intent = "pi_" + charge, status,
            reason = "fraudulent", created = created.ToUnixTimeSeconds(), livemode = false, metadata = new { },
        }, created);

    [Fact]
    public async Task ChargeRefunded_PartThenAll_RecordedOnTheInvoiceWithItsBalanceAndRedeliveryChangesNothing()
    {
        var invoiceId = await OpenInvoiceAsync();
        var t = _host.Clock.Now;
        Assert.Equal(WebhookOutcome.Applied, await DeliverAsync(PaidOldShape("evt_paid", invoiceId, "ch_1", t)));

        Assert.Equal(WebhookOutcome.Applied, await DeliverAsync(Refunded("evt_r1", "ch_1", 4000, t.AddMinutes(1))));
        var partly = await ViewAsync(invoiceId);
        Assert.Equal((InvoiceStatus.Paid, "partially refunded", 40.00m, 65.00m), (partly.Status, partly.PaymentState, partly.Refunded, partly.NetReceived));

        Assert.Equal(WebhookOutcome.Duplicate, await DeliverAsync(Refunded("evt_r1", "ch_1", 4000, t.AddMinutes(1))));
        Assert.Equal(WebhookOutcome.Applied, await DeliverAsync(Refunded("evt_r2", "ch_1", 10500, t.AddMinutes(2))));
        var all = await ViewAsync(invoiceId);
        Assert.Equal(("refunded", 105.00m, 0m), (all.PaymentState, all.Refunded, all.NetReceived));
        Assert.Equal(1L, await _host.Database.ScalarAsync<long>("SELECT count(*) FROM stripe_payment_events"));
    }

    [Fact]
    public async Task ChargeRefunded_AnOlderEventArrivingLast_DoesNotUndoTheNewerTotal()
    {
        var invoiceId = await OpenInvoiceAsync();
        var t = _host.Clock.Now;
        await DeliverAsync(PaidOldShape("evt_paid", invoiceId, "ch_2", t));

        await DeliverAsync(Refunded("evt_new", "ch_2", 10500, t.AddMinutes(5)));
        await DeliverAsync(Refunded("evt_old", "ch_2", 2500, t.AddMinutes(1)));

        var view = await ViewAsync(invoiceId);
        Assert.Equal(("refunded", 105.00m), (view.PaymentState, view.Refunded));
    }

    [Fact]
    public async Task ChargeRefunded_BeforeTheInvoicePaidEvent_IsAttachedWhenPaidArrives()
    {
        var invoiceId = await OpenInvoiceAsync();
        var t = _host.Clock.Now;

        // Stripe does not promise order: the refund comes first, naming only its payment intent.
        Assert.Equal(WebhookOutcome.Applied, await DeliverAsync(Refunded("evt_r", "ch_3", 10500, t.AddMinutes(3), paymentIntent: "pi_new")));
        Assert.Null((await ViewAsync(invoiceId)).PaymentState);
        Assert.Equal(1L, await _host.Database.ScalarAsync<long>("SELECT count(*) FROM stripe_payment_events WHERE invoice_id IS NULL"));

        Assert.Equal(WebhookOutcome.Applied, await DeliverAsync(PaidNewShape("evt_paid", invoiceId, "pi_new", t)));

        var view = await ViewAsync(invoiceId);
        Assert.Equal((InvoiceStatus.Paid, "refunded", 105.00m), (view.Status, view.PaymentState, view.Refunded));
    }

    [Fact]
    public async Task Dispute_OpenThenLost_HeldWhileOpenAndGoneWhenLost()
    {
        var invoiceId = await OpenInvoiceAsync();
        var t = _host.Clock.Now;
        await DeliverAsync(PaidOldShape("evt_paid", invoiceId, "ch_4", t));

        Assert.Equal(WebhookOutcome.Applied, await DeliverAsync(Dispute("evt_d1", "charge.dispute.created", "needs_response", "ch_4", t.AddDays(3))));
        var open = await ViewAsync(invoiceId);
        Assert.Equal(("disputed", 105.00m, 105.00m), (open.PaymentState, open.Disputed, open.NetReceived));
        Assert.Equal("fraudulent", open.Payments!.Single().Reason);

        await DeliverAsync(Dispute("evt_d2", "charge.dispute.closed", "lost", "ch_4", t.AddDays(20)));
        var lost = await ViewAsync(invoiceId);
        Assert.Equal(("dispute lost", 0m, 105.00m, 0m), (lost.PaymentState, lost.Disputed, lost.DisputeLost, lost.NetReceived));
    }

    [Fact]
    public async Task Dispute_ClosedDeliveredBeforeCreated_StaysClosed()
    {
        var invoiceId = await OpenInvoiceAsync();
        var t = _host.Clock.Now;
        await DeliverAsync(PaidOldShape("evt_paid", invoiceId, "ch_5", t));

        await DeliverAsync(Dispute("evt_closed", "charge.dispute.closed", "won", "ch_5", t.AddDays(30)));
        await DeliverAsync(Dispute("evt_created", "charge.dispute.created", "needs_response", "ch_5", t.AddDays(2)));

        var view = await ViewAsync(invoiceId);
        Assert.Equal(("dispute won", 0m, 105.00m), (view.PaymentState, view.Disputed, view.NetReceived));
        Assert.Equal("won", view.Payments!.Single().Status);
    }

    [Fact]
    public async Task ChargeRefunded_UnknownCurrency_RecordedAsEventButIgnored()
    {
        var body = StripeStandIn.Event("evt_odd", "charge.refunded", new
        {
            id = "ch_odd", @object = "charge", amount = 100, amount_refunded = 100, currency = "zzz", metadata = new { },
        }, _host.Clock.Now);

        Assert.Equal(WebhookOutcome.Ignored, await DeliverAsync(body));
        Assert.Equal(0L, await _host.Database.ScalarAsync<long>("SELECT count(*) FROM stripe_payment_events"));
    }
}
