using Microsoft.Extensions.DependencyInjection;
using Platform.Billing.Plans;
using Platform.Billing.Tests.Domain;
using Platform.Domain.Tenants;
using Platform.Jobs.Privacy;
using Platform.Testing;

namespace Platform.Billing.Tests.Stripe;

/// <summary>Erasing an organisation: its Stripe customer (through Stripe.net, against the stand-in) and its members' orphaned accounts.</summary>
public sealed class ErasureStripeTests : IAsyncLifetime
{
    private readonly BillingHost _host = new();
    private StripeStandIn _stripe = null!;

    public async Task InitializeAsync()
    {
        _stripe = await StripeStandIn.StartAsync();
        _host.Settings["Stripe:SecretKey"] = StripeStandIn.SecretKey;
        _host.Settings["Stripe:BaseUrl"] = _stripe.BaseUrl;
        _host.Settings["Stripe:MaxRetries"] = "0";
        await _host.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _stripe.DisposeAsync();
    }

    private async Task<long> CountAsync(string sql) => await _host.Database.ScalarAsync<long>(sql);

    [Fact]
    public async Task Erase_LinkedTenant_DeletesItsStripeCustomerAndTheAccountsOfNoOtherOrganisation()
    {
        var (tenant, owner) = await Seed.TenantAsync(_host.Database, "Leaving Ltd");
        await _host.AssignAsync(tenant.Id, TestPlans.Starter());
        var customer = await _host.RunAsync(sp => sp.GetRequiredService<LinkStripeCustomerCommand>().ExecuteAsync(tenant.Id));
        Assert.True(customer.IsSuccess, customer.Error);
        var loner = await Seed.MemberAsync(_host.Database, tenant.Id);
        var (other, _) = await Seed.TenantAsync(_host.Database, "Staying Ltd");
        var shared = await Seed.MemberAsync(_host.Database, tenant.Id);
        await using (var db = _host.Database.CreateDbContext())
        {
            db.TenantMemberships.Add(new TenantMembership(other.Id, shared.Id, TenantRole.Member, DateTimeOffset.UtcNow));
            await db.SaveChangesAsync();
        }

        var erased = await _host.AsAsync(owner, sp => sp.GetRequiredService<EraseTenantCommand>().ExecuteAsync(tenant.Id, "Leaving Ltd"));

        Assert.True(erased.IsSuccess, erased.Error);
        Assert.Contains(customer.Value, _stripe.DeletedCustomers.Keys);
        Assert.Single(_stripe.Received, r => r.Method == "DELETE" && r.Path == $"/v1/customers/{customer.Value}");
        Assert.Equal($"Stripe customer {customer.Value} deleted.", Assert.Single(erased.Value.Cleanups!));
        Assert.Contains(customer.Value, await _host.Database.ScalarAsync<string>(
            $"SELECT summary->>'cleanups' FROM tenant_erasures WHERE tenant_id = '{tenant.Id}'"));
        // The owner and the member of no other organisation are gone; the member of another one stays, there.
        Assert.Equal([owner.UserId!.Value, loner.Id], erased.Value.AccountsDeleted!.Order());
        Assert.Equal(0L, await CountAsync($"SELECT count(*) FROM users WHERE id IN ('{owner.UserId}', '{loner.Id}')"));
        Assert.Equal(1L, await CountAsync($"SELECT count(*) FROM users WHERE id = '{shared.Id}'"));
        Assert.Equal(1L, await CountAsync($"SELECT count(*) FROM tenant_memberships WHERE user_id = '{shared.Id}' AND tenant_id = '{other.Id}'"));
    }

    [Fact]
    public async Task Erase_StripeFails_RowsAreStillErasedAndTheFailureIsRecorded()
    {
        var (tenant, owner) = await Seed.TenantAsync(_host.Database, "Unlucky Ltd");
        await _host.AssignAsync(tenant.Id, TestPlans.Starter());
        var customer = await _host.RunAsync(sp => sp.GetRequiredService<LinkStripeCustomerCommand>().ExecuteAsync(tenant.Id));
        Assert.True(customer.IsSuccess, customer.Error);
        _stripe.FailPath($"/v1/customers/{customer.Value}", 5, 500);

        var erased = await _host.AsAsync(owner, sp => sp.GetRequiredService<EraseTenantCommand>().ExecuteAsync(tenant.Id, "Unlucky Ltd"));

        Assert.True(erased.IsSuccess, erased.Error);
        Assert.Empty(_stripe.DeletedCustomers);
        Assert.Contains("failed", Assert.Single(erased.Value.Cleanups!));
        Assert.Equal(0L, await CountAsync($"SELECT count(*) FROM subscriptions WHERE tenant_id = '{tenant.Id}'"));
        Assert.Contains("failed", await _host.Database.ScalarAsync<string>(
            $"SELECT summary->>'cleanups' FROM tenant_erasures WHERE tenant_id = '{tenant.Id}'"));
    }
}
