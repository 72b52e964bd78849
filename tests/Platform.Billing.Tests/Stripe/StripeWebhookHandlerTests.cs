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
        DeliverAsync(body, StripeStandIn.SignatureHeader(body, signedAt ?? _host.Clock.Now, secret));

    private Task<Result<WebhookOutcome>> DeliverAsync(string body, string? signatureHeader) =>
        _host.RunAsync(sp => sp.GetRequiredService<StripeWebhookHandler>().HandleAsync(
            signatureHeader is null ? new Dictionary<string, StringValues>() : new Dictionary<string, StringValues> { ["stripe-signature"] = signatureHeader },
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

    private static string InvoiceEvent(string id, string type, Guid invoiceId, string status, DateTimeOffset created, string? apiVersion = null) =>
        StripeStandIn.Event(id, type, new
        {
            id = "in_42", @object = "invoice", amount_due = 10500, currency = "usd", customer = "cus_1", status,
            metadata = new { platform_invoice_id = invoiceId.ToString() },
        }, created, apiVersion);

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

    [Theory]
    [InlineData(-300, true)]
    [InlineData(300, true)]
    [InlineData(-301, false)]
    [InlineData(301, false)]
    public async Task Handle_SignedAtOffsetFromNow_AcceptedWithinThe300SecondTolerance(int seconds, bool accepted)
    {
        var invoice = await DraftInvoiceAsync();
        var body = InvoiceEvent("evt_at", "invoice.paid", invoice, "paid", _host.Clock.Now);

        var result = await DeliverAsync(body, signedAt: _host.Clock.Now.AddSeconds(seconds));

        Assert.Equal(accepted ? ResultStatus.Success : ResultStatus.BadRequest, result.Status);
        Assert.Equal(accepted ? ("Paid", 105.00m) : ("Draft", 105.00m), await InvoiceStateAsync(invoice));
    }

    [Fact]
    public async Task Handle_SecretBeingRolled_SecondOfSeveralSignaturesMatches()
    {
        var invoice = await DraftInvoiceAsync();
        var body = InvoiceEvent("evt_roll", "invoice.paid", invoice, "paid", _host.Clock.Now);
        var header = StripeStandIn.SignatureHeader(body, _host.Clock.Now, "whsec_old", Secret) + ",v0=deadbeef";

        Assert.Equal(WebhookOutcome.Applied, (await DeliverAsync(body, header)).Value);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("v1=abc")]
    [InlineData("t=1782907200")]
    [InlineData("not a signature")]
    public async Task Handle_MissingOrMalformedSignature_IsRejected(string? header)
    {
        var invoice = await DraftInvoiceAsync();
        var body = InvoiceEvent("evt_mal", "invoice.paid", invoice, "paid", _host.Clock.Now);

        Assert.Equal(ResultStatus.BadRequest, (await DeliverAsync(body, header)).Status);
        Assert.Equal(0L, await _host.Database.ScalarAsync<long>("SELECT count(*) FROM stripe_events"));
    }

    [Fact]
    public async Task Handle_BodyChangedAfterSigning_IsRejected()
    {
        var invoice = await DraftInvoiceAsync();
        var body = InvoiceEvent("evt_changed", "invoice.paid", invoice, "paid", _host.Clock.Now);

        var result = await DeliverAsync(body.Replace("10500", "1"), StripeStandIn.SignatureHeader(body, _host.Clock.Now, Secret));

        Assert.Equal(ResultStatus.BadRequest, result.Status);
        Assert.Equal(("Draft", 105.00m), await InvoiceStateAsync(invoice));
    }

    [Fact]
    public async Task Handle_SignedButNotAnEvent_IsRejected()
    {
        Assert.Equal(ResultStatus.BadRequest, (await DeliverAsync("""{"id":"cus_1","object":"customer"}""")).Status);
        Assert.Equal(ResultStatus.BadRequest, (await DeliverAsync("not json")).Status);
    }

    /// <summary>docs/decisions/0022: an endpoint on another API version than Stripe.net's still has its events applied.</summary>
    [Theory]
    [InlineData("2025-03-31.basil")]
    [InlineData("2020-08-27")]
    public async Task Handle_EventFromAnotherApiVersion_IsApplied(string apiVersion)
    {
        var invoice = await DraftInvoiceAsync();

        var result = await DeliverAsync(InvoiceEvent("evt_v", "invoice.paid", invoice, "paid", _host.Clock.Now, apiVersion));

        Assert.Equal(WebhookOutcome.Applied, result.Value);
        Assert.Equal(("Paid", 105.00m), await InvoiceStateAsync(invoice));
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
    public async Task Handle_SubscriptionUpdatedThenDeleted_MovesTheLinkedSubscription()
    {
        var (tenant, _) = await Seed.TenantAsync(_host.Database);
        await _host.AssignAsync(tenant.Id, TestPlans.Starter());
        await using (var link = _host.Database.DataSource.CreateCommand("UPDATE subscriptions SET stripe_subscription_id = 'sub_9'"))
            await link.ExecuteNonQueryAsync();
        string SubscriptionEvent(string id, string type, string status) => StripeStandIn.Event(id, type,
            new { id = "sub_9", @object = "subscription", customer = "cus_1", status, items = new { @object = "list", data = Array.Empty<object>() } },
            _host.Clock.Now);

        Assert.Equal(WebhookOutcome.Applied, (await DeliverAsync(SubscriptionEvent("evt_s1", "customer.subscription.updated", "unpaid"))).Value);
        Assert.Equal("past_due", await _host.Database.ScalarAsync<string>("SELECT status FROM subscriptions"));
        Assert.Equal(WebhookOutcome.Applied, (await DeliverAsync(SubscriptionEvent("evt_s2", "customer.subscription.deleted", "canceled"))).Value);
        Assert.Equal("canceled", await _host.Database.ScalarAsync<string>("SELECT status FROM subscriptions"));
    }

    [Fact]
    public async Task Handle_UnknownEventType_IsAcknowledgedAndIgnored()
    {
        var body = StripeStandIn.Event("evt_x", "charge.refunded", new { id = "ch_1", @object = "charge" }, _host.Clock.Now);
        Assert.Equal(WebhookOutcome.Ignored, (await DeliverAsync(body)).Value);
    }

    [Fact]
    public async Task Handle_SubscriptionDeletedThenAnOlderUpdate_StaysCanceledAtTheEventsTime()
    {
        var (tenant, _) = await Seed.TenantAsync(_host.Database);
        await _host.AssignAsync(tenant.Id, TestPlans.Starter());
        await using (var link = _host.Database.DataSource.CreateCommand("UPDATE subscriptions SET stripe_subscription_id = 'sub_7'"))
            await link.ExecuteNonQueryAsync();
        string SubscriptionEvent(string id, string type, string status, DateTimeOffset created) => StripeStandIn.Event(id, type,
            new { id = "sub_7", @object = "subscription", customer = "cus_1", status, items = new { @object = "list", data = Array.Empty<object>() } },
            created);
        var deletedAt = June.AddDays(9).AddHours(14);
        _host.Clock.Now = June.AddDays(10).AddHours(3);

        Assert.Equal(WebhookOutcome.Applied, (await DeliverAsync(SubscriptionEvent("evt_del", "customer.subscription.deleted", "canceled", deletedAt))).Value);
        // Stripe retried the 9 June update after the deletion: older than what was applied, so it changes nothing.
        await DeliverAsync(SubscriptionEvent("evt_upd", "customer.subscription.updated", "active", June.AddDays(8)));

        Assert.Equal("canceled", await _host.Database.ScalarAsync<string>("SELECT status FROM subscriptions"));
        Assert.Equal(deletedAt.UtcDateTime, await _host.Database.ScalarAsync<DateTime>("SELECT canceled_at FROM subscriptions"));
    }
}
