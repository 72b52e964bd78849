using Microsoft.Extensions.DependencyInjection;
using Platform.Billing.Invoices;
using Platform.Billing.Tests.Domain;
using Platform.Billing.Tests.Usage;
using Platform.Billing.Usage;
using Platform.Data.Tenants;
using Platform.Testing;

namespace Platform.Billing.Tests.Plans;

/// <summary>Every organisation is on a plan from sign-up, so no usage falls outside a billing period.</summary>
public sealed class SignUpSubscriptionTests : IAsyncLifetime
{
    private static readonly DateTimeOffset June = new(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly BillingHost _host = new();

    public Task InitializeAsync() => _host.InitializeAsync();

    public Task DisposeAsync() => _host.DisposeAsync();

    private async Task<Guid> SignUpAsync()
    {
        var user = await Seed.UserAsync(_host.Database);
        var created = await _host.RunAsync(sp => sp.GetRequiredService<CreateTenantForNewUserCommand>().ExecuteAsync(user.Id, "Acme Labs"));
        Assert.True(created.IsSuccess, created.Error);
        return created.Value.Id;
    }

    [Fact]
    public async Task SignUp_NewOrganisation_IsOnTheFreePlanFromThatInstant()
    {
        var tenantId = await SignUpAsync();

        Assert.Equal("free", await _host.Database.ScalarAsync<string>(
            "SELECT p.code FROM subscription_plan_changes c JOIN billing_plans p ON p.id = c.plan_id"));
        Assert.Equal(June.UtcDateTime, await _host.Database.ScalarAsync<DateTime>("SELECT anchor FROM subscriptions"));
        Assert.Equal(tenantId, await _host.Database.ScalarAsync<Guid>("SELECT tenant_id FROM subscriptions WHERE status = 'active'"));
    }

    [Fact]
    public async Task ClosePeriod_GpuTimeBeforeTheFirstPlanAssignment_IsInvoiced()
    {
        var tenantId = await SignUpAsync();
        // 20 GPU hours on 5 June, before an admin puts the organisation on the starter plan on 11 June.
        _host.Usage.Segments.AddRange(Enumerable.Range(1, 4).Select(i => Segments.Make(tenantId, June.AddDays(4).AddHours(5 * i), 5 * 3600, segment: i)));
        await _host.RunAsync(sp => sp.GetRequiredService<IngestUsageCommand>().ExecuteAsync(June, June.AddMonths(1)));
        _host.Clock.Now = June.AddDays(10);
        await _host.AssignAsync(tenantId, TestPlans.Starter());

        _host.Clock.Now = June.AddMonths(1).AddDays(1);
        Assert.Equal(1, await _host.RunAsync(sp => sp.GetRequiredService<CloseDuePeriodsCommand>().ExecuteAsync()));

        var id = await _host.Database.ScalarAsync<Guid>("SELECT id FROM invoices");
        var invoice = (await _host.RunAsync(sp => sp.GetRequiredService<InvoiceQueries>().GetForFinanceAsync(id))).Value;
        Assert.Equal(June, invoice.PeriodStart);
        Assert.Equal(20 * 3600, invoice.GpuSeconds);
        Assert.Equal(20 * 3600, invoice.Lines.Where(l => l.DeviceKind == "cuda" && l.Kind != "Fee").Sum(l => l.Seconds));
        // The free plan's third of an hour covers part of it; the rest is on the invoice as (free) overage, not outside any period.
        Assert.Equal(20 * 3600 - 1200, invoice.Lines.Single(l => l.Kind == "Overage" && l.DeviceKind == "cuda").Seconds);
    }
}
