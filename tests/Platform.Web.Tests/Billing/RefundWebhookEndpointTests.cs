using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Platform.Web.Tests.Infrastructure;
using Platform.Web.Tests.Jobs;

namespace Platform.Web.Tests.Billing;

/// <summary>Refund and dispute events through the real webhook endpoint, signed, and what finance then sees on the invoice.</summary>
public sealed class RefundWebhookEndpointTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    private const string Secret = "whsec_refunds";

    private async Task<HttpStatusCode> PostAsync(HttpClient client, string id, string type, object dataObject)
    {
        var now = portal.Time.GetUtcNow();
        var body = JsonSerializer.Serialize(new
        {
            id, @object = "event", api_version = Stripe.StripeConfiguration.ApiVersion, created = now.ToUnixTimeSeconds(),
            data = new { @object = dataObject }, livemode = false, pending_webhooks = 1, type,
        });
        var t = now.ToUnixTimeSeconds();
        var signature = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), Encoding.UTF8.GetBytes($"{t}.{body}")));
        using var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/stripe") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.TryAddWithoutValidation("Stripe-Signature", $"t={t},v1={signature}");
        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }

    [Fact]
    public async Task Webhooks_PaidThenPartlyRefundedThenDisputed_FinanceSeesTheStateAndNetReceived()
    {
        var owner = await JobTestKit.OwnerAsync(portal);
        var invoiced = await BillingKit.InvoicedTenantAsync(portal, owner.TenantId);
        var invoiceId = invoiced.Invoice.InvoiceId;
        var charge = "ch_" + Guid.NewGuid().ToString("N")[..10];
        var stripe = portal.WithWebHostBuilder(b => b.UseSetting("Stripe:WebhookSecret", Secret)).CreateClient();

        Assert.Equal(HttpStatusCode.OK, await PostAsync(stripe, "evt_paid_" + charge, "invoice.paid", new
        {
            id = "in_" + charge, @object = "invoice", status = "paid", currency = "usd", charge,
            metadata = new { platform_invoice_id = invoiceId.ToString() },
        }));
        var refund = new { id = charge, @object = "charge", amount = 10000, amount_refunded = 2500, currency = "usd", metadata = new { } };
        Assert.Equal(HttpStatusCode.OK, await PostAsync(stripe, "evt_refund_" + charge, "charge.refunded", refund));
        // Stripe delivers again: acknowledged, not counted twice.
        Assert.Equal(HttpStatusCode.OK, await PostAsync(stripe, "evt_refund_" + charge, "charge.refunded", refund));

        using var finance = await BillingKit.FinanceClientAsync(portal);
        var page = await finance.GetAsync($"/finance/invoices/{invoiceId}");
        Assert.Equal("partially refunded", page.Text("#payment-state"));
        Assert.Equal("25.00 USD", page.Text("#payments-refunded"));

        Assert.Equal(HttpStatusCode.OK, await PostAsync(stripe, "evt_dispute_" + charge, "charge.dispute.created", new
        {
            id = "dp_" + charge, @object = "dispute", amount = 7500, currency = "usd", charge, status = "needs_response", reason = "fraudulent",
            created = portal.Time.GetUtcNow().ToUnixTimeSeconds(), livemode = false, metadata = new { },
        }));
        var disputed = await finance.GetAsync($"/finance/invoices/{invoiceId}");
        Assert.Equal("disputed", disputed.Text("#payment-state"));
        Assert.Equal("75.00 USD", disputed.Text("#payments-disputed"));
        Assert.Equal("75.00 USD", disputed.Text("#payments-net"));
    }

    [Fact]
    public async Task Webhooks_RefundOfAnUnknownCharge_ListedForFinanceOnTheReconciliationPage()
    {
        var charge = "ch_unknown_" + Guid.NewGuid().ToString("N")[..8];
        var stripe = portal.WithWebHostBuilder(b => b.UseSetting("Stripe:WebhookSecret", Secret)).CreateClient();

        Assert.Equal(HttpStatusCode.OK, await PostAsync(stripe, "evt_" + charge, "charge.refunded",
            new { id = charge, @object = "charge", amount = 5000, amount_refunded = 5000, currency = "eur", metadata = new { } }));

        using var finance = await BillingKit.FinanceClientAsync(portal);
        var page = await finance.GetAsync("/finance/reconciliation");
        var item = page.Document.QuerySelector($"#unmatched-payments li[data-stripe-id='{charge}']");
        Assert.NotNull(item);
        Assert.Contains("50.00 EUR", item.TextContent);
    }
}
