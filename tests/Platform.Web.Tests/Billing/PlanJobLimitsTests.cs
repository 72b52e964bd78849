using Platform.Web.Tests.Infrastructure;

namespace Platform.Web.Tests.Billing;

/// <summary>A plan's concurrent-jobs figure reaches the limits the queue enforces (billing → IPlanJobLimits → jobs).</summary>
public sealed class PlanJobLimitsTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    private async Task<(int Concurrent, int Active)> LimitsAsync(Guid tenantId) =>
        (await portal.Database.ScalarAsync<int>($"SELECT max_concurrent FROM tenant_job_limits WHERE tenant_id = '{tenantId}'"),
         await portal.Database.ScalarAsync<int>($"SELECT max_active FROM tenant_job_limits WHERE tenant_id = '{tenantId}'"));

    [Fact]
    public async Task AssignPlan_ConcurrentJobs_BecomeTheTenantsQueueLimit()
    {
        var owner = await portal.CreateUserAsync();
        var tenant = await portal.CreateTenantAsync(owner);

        await BillingKit.AssignPlanAsync(portal, tenant.Id, BillingKit.Starter() with { MaxConcurrentJobs = 4 });
        var onStarter = await LimitsAsync(tenant.Id);
        await BillingKit.AssignPlanAsync(portal, tenant.Id, BillingKit.Starter() with { MaxConcurrentJobs = 25 });
        var onLarger = await LimitsAsync(tenant.Id);
        await BillingKit.AssignPlanAsync(portal, tenant.Id, BillingKit.Starter() with { MaxConcurrentJobs = 0 });
        var onUnlimited = await LimitsAsync(tenant.Id);

        Assert.Equal((4, 10), onStarter);
        Assert.Equal((25, 25), onLarger);
        Assert.Equal((25, 25), onUnlimited);
    }
}
