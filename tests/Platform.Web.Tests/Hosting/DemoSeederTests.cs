using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Platform.Web.Hosting;
using Platform.Web.Tests.Infrastructure;

namespace Platform.Web.Tests.Hosting;

public sealed class DemoSeederTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    [Fact]
    public async Task Start_RunTwice_CreatesEachDemoLoginOnceAndTheyWork()
    {
        var demo = portal.Services.GetRequiredService<IOptions<DemoSeedOptions>>().Value;
        var seeder = ActivatorUtilities.CreateInstance<DemoSeeder>(portal.Services);

        await seeder.StartAsync(CancellationToken.None);
        await seeder.StartAsync(CancellationToken.None);

        Assert.Equal(3L, await portal.Database.ScalarAsync<long>(
            $"SELECT count(*) FROM users WHERE email IN ('{demo.AdminEmail}', '{demo.FinanceEmail}', '{demo.OwnerEmail}')"));
        Assert.Equal(1L, await portal.Database.ScalarAsync<long>($"SELECT count(*) FROM tenants WHERE name = '{demo.TenantName}'"));
        Assert.Equal("growth,starter", await portal.Database.ScalarAsync<string>(
            "SELECT string_agg(code, ',' ORDER BY code) FROM billing_plans WHERE code IN ('starter', 'growth')"));
        Assert.Equal(1L, await portal.Database.ScalarAsync<long>($"""
            SELECT count(*) FROM subscription_plan_changes c JOIN tenants t ON t.id = c.tenant_id
            JOIN billing_plans p ON p.id = c.plan_id WHERE t.name = '{demo.TenantName}' AND p.code = 'starter'
            """));

        // A ready text dataset from the installed fortunes, once however often the seed runs.
        Assert.Equal("5:747", await portal.Database.ScalarAsync<string>($"""
            SELECT (SELECT count(*) FROM jsonb_object_keys(d.label_counts))::text || ':' || d.row_count FROM datasets d
            JOIN tenants t ON t.id = d.tenant_id WHERE t.name = '{demo.TenantName}' AND d.name = '{DemoDataset.Name}'
            """));

        using var owner = portal.CreatePortalClient();
        await owner.SignInAsync(demo.OwnerEmail, demo.Password);
        Assert.Equal(demo.TenantName, (await owner.GetAsync("/")).Text("h1"));
        Assert.Equal(HttpStatusCode.OK, (await owner.GetAsync("/billing")).Status);

        using var admin = portal.CreatePortalClient();
        await admin.SignInAsync(demo.AdminEmail, demo.Password);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/admin/tenants")).Status);

        using var finance = portal.CreatePortalClient();
        await finance.SignInAsync(demo.FinanceEmail, demo.Password);
        Assert.Equal(HttpStatusCode.OK, (await finance.GetAsync("/finance")).Status);

        // A past period closed into one issued invoice, addressed to the demo organisation's legal details, with its due date.
        var number = await portal.Database.ScalarAsync<string>($"""
            SELECT i.number FROM invoices i JOIN tenants t ON t.id = i.tenant_id
            WHERE t.name = '{demo.TenantName}' AND i.status = 'open' AND i.buyer_address LIKE '%Berlin%' AND i.due_at > i.finalized_at
            """);
        Assert.StartsWith("INV-", number);
        Assert.Equal(1L, await portal.Database.ScalarAsync<long>(
            $"SELECT count(*) FROM invoices i JOIN tenants t ON t.id = i.tenant_id WHERE t.name = '{demo.TenantName}'"));
        Assert.Contains(number, (await finance.GetAsync("/finance/invoices")).Document.Body!.TextContent);
    }
}
