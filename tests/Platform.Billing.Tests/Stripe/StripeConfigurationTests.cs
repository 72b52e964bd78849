using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Platform.Billing.Invoices;
using Platform.Billing.Plans;
using Platform.Billing.Stripe;
using Platform.Billing.Tests.Domain;
using Platform.Billing.Tests.Usage;
using Platform.Billing.Usage;
using Platform.Domain.Common;
using Platform.Testing;

namespace Platform.Billing.Tests.Stripe;

/// <summary>Section "Stripe": without a secret key the platform bills from its ledger alone and never calls Stripe.</summary>
public sealed class StripeConfigurationTests : IAsyncLifetime
{
    private static readonly DateTimeOffset June = new(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly BillingHost _host = new();
    private StripeStandIn _stripe = null!;

    public async Task InitializeAsync()
    {
        _stripe = await StripeStandIn.StartAsync();
        // The address is set, the key is not: any call would reach the stand-in and be counted.
        _host.Settings["Stripe:BaseUrl"] = _stripe.BaseUrl;
        await _host.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _stripe.DisposeAsync();
    }

    [Fact]
    public async Task Commands_NoSecretKey_RefuseOrDoNothingWithoutCallingStripe()
    {
        var (tenant, _) = await Seed.TenantAsync(_host.Database);
        await _host.AssignAsync(tenant.Id, TestPlans.Starter());
        _host.Usage.Segments.Add(Segments.Make(tenant.Id, June.AddDays(1), 600, segment: 1));
        await _host.RunAsync(sp => sp.GetRequiredService<IngestUsageCommand>().ExecuteAsync(June, June.AddMonths(1)));
        _host.Clock.Now = June.AddMonths(1);
        var closed = await _host.RunAsync(sp => sp.GetRequiredService<ClosePeriodCommand>().ExecuteAsync(tenant.Id, June));
        Assert.True(closed.IsSuccess, closed.Error);

        var linked = await _host.RunAsync(sp => sp.GetRequiredService<LinkStripeCustomerCommand>().ExecuteAsync(tenant.Id));
        var reported = await _host.RunAsync(sp => sp.GetRequiredService<ReportUsageToStripeCommand>().ExecuteAsync());
        var pushed = await _host.RunAsync(sp => sp.GetRequiredService<PushInvoiceToStripeCommand>().ExecuteAsync(closed.Value.InvoiceId));

        Assert.Equal(ResultStatus.Conflict, linked.Status);
        Assert.Equal(0, reported);
        Assert.Equal(ResultStatus.Conflict, pushed.Status);
        Assert.Empty(_stripe.Received);
    }

    /// <summary>
    /// Stripe.net would refuse such a key when the first command is built, and a secret with a newline from a
    /// mounted file would fail every signature: the host refuses both at start instead.
    /// </summary>
    [Theory]
    [InlineData("Stripe:SecretKey", "sk_live_abc def")]
    [InlineData("Stripe:WebhookSecret", "whsec_abc\n")]
    public async Task Start_SecretWithWhitespace_HostRefusesToStart(string key, string value)
    {
        var host = new BillingHost();
        host.Settings[key] = value;

        var failure = await Assert.ThrowsAsync<OptionsValidationException>(host.InitializeAsync);

        Assert.Contains($"{key} must not contain whitespace", failure.Message);
        await host.Database.DisposeAsync();
    }
}
