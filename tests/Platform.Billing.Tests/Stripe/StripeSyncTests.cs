using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Platform.Billing.Invoices;
using Platform.Billing.Plans;
using Platform.Billing.Reconciliation;
using Platform.Billing.Stripe;
using Platform.Billing.Tests.Domain;
using Platform.Billing.Tests.Usage;
using Platform.Billing.Usage;
using Platform.Domain.Common;
using Platform.Testing;
using Stripe;

namespace Platform.Billing.Tests.Stripe;

/// <summary>Billing's Stripe commands, through Stripe.net, against the stand-in over HTTP.</summary>
public sealed class StripeSyncTests : IAsyncLifetime
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
        // Stripe.net waits at least 0.5 s before a retry (and cannot be told otherwise): two keep the tests short.
        _host.Settings["Stripe:MaxRetries"] = "2";
        await _host.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _stripe.DisposeAsync();
    }

    private Task<Result<string>> LinkAsync(Guid tenantId) =>
        _host.RunAsync(sp => sp.GetRequiredService<LinkStripeCustomerCommand>().ExecuteAsync(tenantId));

    private Task<int> ReportUsageAsync() => _host.RunAsync(sp => sp.GetRequiredService<ReportUsageToStripeCommand>().ExecuteAsync());

    /// <summary>A tenant on the starter plan, linked to a Stripe customer, with <paramref name="segments"/> GPU segments in the ledger.</summary>
    private async Task<Guid> LinkedTenantWithUsageAsync(int segments)
    {
        var (tenant, _) = await Seed.TenantAsync(_host.Database);
        await _host.AssignAsync(tenant.Id, TestPlans.Starter());
        var linked = await LinkAsync(tenant.Id);
        Assert.True(linked.IsSuccess, linked.Error);
        _host.Usage.Segments.AddRange(Enumerable.Range(1, segments).Select(i => Segments.Make(tenant.Id, June.AddDays(i), 600, segment: i)));
        await _host.RunAsync(sp => sp.GetRequiredService<IngestUsageCommand>().ExecuteAsync(June, June.AddMonths(1)));
        return tenant.Id;
    }

    private IReadOnlyList<StandInRequest> MeterEventRequests() => [.. _stripe.Received.Where(r => r.Path == "/v1/billing/meter_events")];

    [Fact]
    public async Task ReportUsage_LockTimeoutTwice_RetriedUnderSameKey()
    {
        await LinkedTenantWithUsageAsync(1);
        _stripe.FailNext(2, 429, shouldRetry: true);

        Assert.Equal(1, await ReportUsageAsync());

        var requests = MeterEventRequests();
        Assert.Equal(3, requests.Count);
        Assert.Single(requests.Select(r => r.IdempotencyKey).Distinct());
        Assert.StartsWith("meter-", requests[0].IdempotencyKey);
        Assert.Equal(600, Assert.Single(_stripe.MeterEvents).Value);
    }

    [Fact]
    public async Task ReportUsage_RateLimited_StopsWithoutRetryingAndTheNextRunSendsEverything()
    {
        await LinkedTenantWithUsageAsync(3);
        _stripe.FailNext(1, 429);

        // Stripe.net leaves a plain rate limit to the caller (retrying at once adds to the load); the scheduler's next tick is the retry.
        var error = await Assert.ThrowsAsync<StripeException>(ReportUsageAsync);
        Assert.Equal(HttpStatusCode.TooManyRequests, error.HttpStatusCode);
        Assert.Equal("rate_limit_error", error.StripeError.Type);
        Assert.Single(MeterEventRequests());

        Assert.Equal(3, await ReportUsageAsync());
        Assert.Equal(3, _stripe.MeterEvents.Count);
        Assert.Equal(0L, await _host.Database.ScalarAsync<long>("SELECT count(*) FROM usage_ledger WHERE stripe_reported_at IS NULL"));
    }

    [Fact]
    public async Task LinkCustomer_ServerErrorsPastRetryLimit_ThrowsLinksNothingAndTheRerunLinksOneCustomer()
    {
        var (tenant, _) = await Seed.TenantAsync(_host.Database);
        await _host.AssignAsync(tenant.Id, TestPlans.Starter());
        _stripe.FailNext(3, 503);

        var error = await Assert.ThrowsAsync<StripeException>(() => LinkAsync(tenant.Id));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, error.HttpStatusCode);
        // One try and the two retries Stripe:MaxRetries allows, all under the key derived from the tenant.
        Assert.Equal(3, _stripe.Requests);
        Assert.All(_stripe.Received, r => Assert.Equal($"customer-{tenant.Id:N}", r.IdempotencyKey));
        Assert.Equal(0L, await _host.Database.ScalarAsync<long>("SELECT count(*) FROM subscriptions WHERE stripe_customer_id IS NOT NULL"));

        var linked = await LinkAsync(tenant.Id);
        Assert.True(linked.IsSuccess, linked.Error);
        Assert.Equal(Assert.Single(_stripe.Customers), linked.Value);
    }

    [Fact]
    public async Task LinkCustomer_CrashBeforeIdsWereStored_RerunGetsTheSameCustomerAndSubscription()
    {
        var (tenant, _) = await Seed.TenantAsync(_host.Database);
        await _host.AssignAsync(tenant.Id, TestPlans.Starter() with { StripePriceId = "price_fee", StripeGpuPriceId = "price_gpu" });
        var first = await LinkAsync(tenant.Id);
        Assert.True(first.IsSuccess, first.Error);
        var subscription = await _host.Database.ScalarAsync<string>("SELECT stripe_subscription_id FROM subscriptions");
        Assert.StartsWith("sub_", subscription);

        // Stripe created both, but the process died before our UPDATE: the ids are not ours yet.
        await using (var forget = _host.Database.DataSource.CreateCommand(
            "UPDATE subscriptions SET stripe_customer_id = NULL, stripe_subscription_id = NULL"))
            await forget.ExecuteNonQueryAsync();
        var again = await LinkAsync(tenant.Id);

        Assert.Equal(first.Value, again.Value);
        Assert.Equal(subscription, await _host.Database.ScalarAsync<string>("SELECT stripe_subscription_id FROM subscriptions"));
        Assert.Single(_stripe.Customers);
    }

    [Fact]
    public async Task Requests_CarryTheApiVersionTheReadmeNames()
    {
        await LinkedTenantWithUsageAsync(1);
        await ReportUsageAsync();

        // README (Stripe) and docs/decisions/0022 name this version for the webhook endpoint: a Stripe.net upgrade that moves it must update them.
        Assert.Equal("2026-10-28.endive", StripeConfiguration.ApiVersion);
        Assert.NotEmpty(_stripe.Received);
        Assert.All(_stripe.Received, r => Assert.Equal(StripeConfiguration.ApiVersion, r.StripeVersion));
    }

    [Fact]
    public async Task ReportUsage_ResentAfterCrash_StripeCountsEachSegmentOnceAndReconciles()
    {
        var (tenant, _) = await Seed.TenantAsync(_host.Database);
        await _host.AssignAsync(tenant.Id, TestPlans.Starter());
        var linked = await LinkAsync(tenant.Id);
        Assert.True(linked.IsSuccess, linked.Error);
        _host.Usage.Segments.AddRange(Enumerable.Range(1, 6).Select(i => Segments.Make(tenant.Id, June.AddDays(i), 600 * i,
            i % 2 == 0 ? "cpu" : "cuda", segment: i)));
        await _host.RunAsync(sp => sp.GetRequiredService<IngestUsageCommand>().ExecuteAsync(June, June.AddMonths(1)));

        _stripe.FailNext(1, 500);
        Assert.Equal(6, await ReportUsageAsync());
        // A crash after Stripe accepted but before the rows were marked: everything is sent again.
        await using (var reset = _host.Database.DataSource.CreateCommand("UPDATE usage_ledger SET stripe_reported_at = NULL"))
            await reset.ExecuteNonQueryAsync();
        Assert.Equal(6, await ReportUsageAsync());

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
        var (tenant, _) = await Seed.TenantAsync(_host.Database);
        await _host.AssignAsync(tenant.Id, TestPlans.Starter());
        await LinkAsync(tenant.Id);
        _host.Usage.Segments.AddRange(Enumerable.Range(1, 11).Select(i => Segments.Make(tenant.Id, June.AddDays(i), 3600 + 90, segment: i)));
        _host.Clock.Now = June.AddMonths(1).AddHours(6); // the end of the close grace
        // Closing by the scheduler's command: one invoice, and none on a second run.
        Assert.Equal(1, await _host.RunAsync(sp => sp.GetRequiredService<CloseDuePeriodsCommand>().ExecuteAsync()));
        Assert.Equal(0, await _host.RunAsync(sp => sp.GetRequiredService<CloseDuePeriodsCommand>().ExecuteAsync()));
        var invoiceId = await _host.Database.ScalarAsync<Guid>("SELECT id FROM invoices");

        _stripe.FailNext(1, 502);
        var first = await _host.RunAsync(sp => sp.GetRequiredService<PushInvoiceToStripeCommand>().ExecuteAsync(invoiceId));
        Assert.True(first.IsSuccess, first.Error);
        var second = await _host.RunAsync(sp => sp.GetRequiredService<PushInvoiceToStripeCommand>().ExecuteAsync(invoiceId));
        Assert.Equal(first.Value, second.Value);
        var stripeInvoice = Assert.Single(_stripe.Invoices);
        Assert.Equal(first.Value, stripeInvoice.Key);
        // 11 h + 990 s over 10 h included = 4590 s at $2.50/h = $3.1875 -> $3.19; plus the $100 fee.
        Assert.Equal("10319", stripeInvoice.Value["amount_due"]);
        Assert.Equal("usd", stripeInvoice.Value["currency"]);
        Assert.Equal("open", stripeInvoice.Value["status"]);
        // The webhooks find our invoice by this.
        Assert.Equal(invoiceId.ToString(), stripeInvoice.Value["platform_invoice_id"]);
        Assert.Equal(first.Value, await _host.Database.ScalarAsync<string>("SELECT stripe_invoice_id FROM invoices"));
    }

    [Fact]
    public async Task PushInvoice_TenantOnStripeSubscription_IsRefused()
    {
        var (tenant, _) = await Seed.TenantAsync(_host.Database);
        await _host.AssignAsync(tenant.Id, TestPlans.Starter() with { StripePriceId = "price_fee", StripeGpuPriceId = "price_gpu" });
        await LinkAsync(tenant.Id);
        _host.Clock.Now = June.AddMonths(1);
        var closed = await _host.RunAsync(sp => sp.GetRequiredService<ClosePeriodCommand>().ExecuteAsync(tenant.Id, June));
        var pushed = await _host.RunAsync(sp => sp.GetRequiredService<PushInvoiceToStripeCommand>().ExecuteAsync(closed.Value.InvoiceId));
        Assert.Equal(ResultStatus.Conflict, pushed.Status);
        Assert.Empty(_stripe.Invoices);
    }

    /// <summary>A linked tenant on the starter plan with an open June invoice of $100.00 (fee only).</summary>
    private async Task<Guid> OpenJuneInvoiceAsync()
    {
        var (tenant, _) = await Seed.TenantAsync(_host.Database);
        await _host.AssignAsync(tenant.Id, TestPlans.Starter());
        Assert.True((await LinkAsync(tenant.Id)).IsSuccess);
        _host.Clock.Now = June.AddMonths(1).AddHours(3);
        var closed = await _host.RunAsync(sp => sp.GetRequiredService<ClosePeriodCommand>().ExecuteAsync(tenant.Id, June));
        Assert.True(closed.IsSuccess, closed.Error);
        return closed.Value.InvoiceId;
    }

    private Task<Result<Guid>> CreditAsync(Guid invoiceId, decimal amount) =>
        _host.RunAsync(sp => sp.GetRequiredService<CreateCreditNoteCommand>().ExecuteAsync(invoiceId, amount, "Outage on 3 June"));

    private Task<Result<string>> PushAsync(Guid invoiceId) =>
        _host.RunAsync(sp => sp.GetRequiredService<PushInvoiceToStripeCommand>().ExecuteAsync(invoiceId));

    [Fact]
    public async Task PushInvoice_AfterACredit_StripeAmountDueIsNetOfTheCredit()
    {
        var invoiceId = await OpenJuneInvoiceAsync();
        Assert.True((await CreditAsync(invoiceId, 60.00m)).IsSuccess);

        var pushed = await PushAsync(invoiceId);

        Assert.True(pushed.IsSuccess, pushed.Error);
        var stripeInvoice = _stripe.Invoices[pushed.Value];
        Assert.Equal("10000", stripeInvoice["total"]);
        Assert.Equal("4000", stripeInvoice["amount_due"]);
        var creditNote = Assert.Single(_stripe.CreditNotes).Value;
        Assert.Equal("6000", creditNote["amount"]);
        Assert.Equal(creditNote["platform_credit_note_id"], (await _host.Database.ScalarAsync<Guid>("SELECT id FROM credit_notes")).ToString());
    }

    [Fact]
    public async Task CreateCreditNote_AfterThePush_ReachesStripeAsACreditNote()
    {
        var invoiceId = await OpenJuneInvoiceAsync();
        var pushed = await PushAsync(invoiceId);
        Assert.True(pushed.IsSuccess, pushed.Error);

        Assert.True((await CreditAsync(invoiceId, 25.00m)).IsSuccess);

        Assert.Equal("7500", _stripe.Invoices[pushed.Value]["amount_due"]);
        var creditNote = Assert.Single(_stripe.CreditNotes);
        Assert.Equal(creditNote.Key, await _host.Database.ScalarAsync<string>("SELECT stripe_credit_note_id FROM credit_notes"));
        // A second push (the finance page's button again) sends nothing twice.
        Assert.Equal(pushed.Value, (await PushAsync(invoiceId)).Value);
        Assert.Single(_stripe.CreditNotes);
    }

    [Fact]
    public async Task ReportUsage_OneRowPermanentlyRejected_TheOthersAreSentAndTheRowIsSetAside()
    {
        await LinkedTenantWithUsageAsync(3);
        // A second tenant whose Stripe customer was deleted at Stripe: each of its meter events is refused for good.
        var (gone, _) = await Seed.TenantAsync(_host.Database);
        await _host.AssignAsync(gone.Id, TestPlans.Starter());
        Assert.True((await LinkAsync(gone.Id)).IsSuccess);
        await using (var delete = _host.Database.DataSource.CreateCommand("UPDATE subscriptions SET stripe_customer_id = 'cus_deleted' WHERE tenant_id = $1"))
        {
            delete.Parameters.Add(new Npgsql.NpgsqlParameter { Value = gone.Id });
            await delete.ExecuteNonQueryAsync();
        }
        _host.Usage.Segments.Add(Segments.Make(gone.Id, June.AddDays(2).AddHours(5), 900, segment: 1));
        await _host.RunAsync(sp => sp.GetRequiredService<IngestUsageCommand>().ExecuteAsync(June, June.AddMonths(1)));

        Assert.Equal(3, await ReportUsageAsync());
        Assert.Equal(0, await ReportUsageAsync());

        Assert.Equal(3, _stripe.MeterEvents.Count);
        Assert.Equal(1L, await _host.Database.ScalarAsync<long>(
            "SELECT count(*) FROM usage_ledger WHERE stripe_rejected_at IS NOT NULL AND stripe_error LIKE '%No such customer%'"));
        // Refused once, not again on every run.
        Assert.Single(MeterEventRequests(), r => r.IdempotencyKey!.Contains(_host.Usage.Segments[^1].IdempotencyKey));
    }

    [Fact]
    public async Task ReportUsage_UsageOlderThan35Days_IsSentAsAnInvoiceItem()
    {
        var (tenant, _) = await Seed.TenantAsync(_host.Database);
        await _host.AssignAsync(tenant.Id, TestPlans.Starter());
        // Usage in June, the customer linked in August: June's meter events are beyond Stripe's 35 days.
        _host.Usage.Segments.Add(Segments.Make(tenant.Id, June.AddDays(3), 7200, segment: 1));
        await _host.RunAsync(sp => sp.GetRequiredService<IngestUsageCommand>().ExecuteAsync(June, June.AddMonths(1)));
        _host.Clock.Now = June.AddMonths(2);
        _host.Usage.Segments.Add(Segments.Make(tenant.Id, _host.Clock.Now.AddDays(-1), 600, segment: 2));
        await _host.RunAsync(sp => sp.GetRequiredService<IngestUsageCommand>().ExecuteAsync(June, _host.Clock.Now));
        Assert.True((await LinkAsync(tenant.Id)).IsSuccess);

        Assert.Equal(2, await ReportUsageAsync());

        Assert.Equal(600, Assert.Single(_stripe.MeterEvents).Value);
        var item = Assert.Single(_stripe.PendingInvoiceItems);
        // 2 GPU hours at the starter plan's $2.50 overage price.
        Assert.Equal("500", item["amount"]);
        Assert.Equal("usd", item["currency"]);
        Assert.Equal(0L, await _host.Database.ScalarAsync<long>("SELECT count(*) FROM usage_ledger WHERE stripe_reported_at IS NULL"));
    }

    [Fact]
    public async Task PushInvoice_RetriedAfterStripeForgotTheKeys_FinishesTheSameStripeInvoice()
    {
        var invoiceId = await OpenJuneInvoiceAsync();
        // Stripe created the invoice, then every try to add its item failed: the push gives up.
        _stripe.FailPath("/v1/invoiceitems", 3, 500);
        await Assert.ThrowsAsync<StripeException>(() => PushAsync(invoiceId));
        // More than a day later Stripe no longer knows the keys: only our stored ids prevent a second invoice.
        _stripe.ForgetIdempotencyKeys();

        var pushed = await PushAsync(invoiceId);

        Assert.True(pushed.IsSuccess, pushed.Error);
        var stripeInvoice = Assert.Single(_stripe.Invoices);
        Assert.Equal(pushed.Value, stripeInvoice.Key);
        Assert.Equal("open", stripeInvoice.Value["status"]);
        Assert.Equal("10000", stripeInvoice.Value["amount_due"]);
        // Once more, keys forgotten again: nothing is added or finalized twice.
        _stripe.ForgetIdempotencyKeys();
        Assert.Equal(pushed.Value, (await PushAsync(invoiceId)).Value);
        Assert.Equal("10000", stripeInvoice.Value["amount_due"]);
    }
}
