using Microsoft.Extensions.DependencyInjection;
using Platform.Billing.Plans;
using Platform.Billing.Tests.Domain;
using Platform.Domain.Billing;
using Platform.Domain.Common;
using Platform.Testing;

namespace Platform.Billing.Tests.Plans;

/// <summary>What the admin's tenant page does with a subscription: assign, change, cancel, override the quota.</summary>
public sealed class TenantSubscriptionTests : IAsyncLifetime
{
    private readonly BillingHost _host = new();

    public Task InitializeAsync() => _host.InitializeAsync();

    public Task DisposeAsync() => _host.DisposeAsync();

    private Task<Result> AssignAsync(Guid tenantId, Guid planId) =>
        _host.RunAsync(sp => sp.GetRequiredService<AssignPlanCommand>().ExecuteAsync(tenantId, planId));

    private Task<TenantSubscriptionView?> ViewAsync(Guid tenantId) =>
        _host.RunAsync(sp => sp.GetRequiredService<GetTenantSubscriptionQuery>().ExecuteAsync(tenantId));

    private async Task<Plan> SavedAsync(Plan plan)
    {
        var saved = await _host.RunAsync(sp => sp.GetRequiredService<SavePlanCommand>().ExecuteAsync(plan));
        Assert.True(saved.IsSuccess, saved.Error);
        return saved.Value;
    }

    [Fact]
    public async Task Query_NoSubscription_IsNull()
    {
        var (tenant, _) = await Seed.TenantAsync(_host.Database);

        Assert.Null(await ViewAsync(tenant.Id));
    }

    [Fact]
    public async Task Query_AfterPlanChange_ShowsNewPlanHistoryAndPeriod()
    {
        var (tenant, _) = await Seed.TenantAsync(_host.Database);
        var starter = await SavedAsync(TestPlans.Starter());
        var growth = await SavedAsync(TestPlans.Growth());
        Assert.True((await AssignAsync(tenant.Id, starter.Id)).IsSuccess);
        _host.Clock.Now = _host.Clock.Now.AddDays(10);

        Assert.True((await AssignAsync(tenant.Id, growth.Id)).IsSuccess);
        var view = await ViewAsync(tenant.Id);

        Assert.NotNull(view);
        Assert.Equal(growth.Id, view.CurrentPlan.Id);
        Assert.Equal(SubscriptionStatus.Active, view.Subscription.Status);
        Assert.Equal([starter.Id, growth.Id], view.Subscription.PlanChanges.Select(c => c.Plan.Id));
        Assert.Equal(new DateTimeOffset(2026, 6, 1, 0, 0, 0, TimeSpan.Zero), view.CurrentPeriod.Start);
        Assert.Equal(new DateTimeOffset(2026, 7, 1, 0, 0, 0, TimeSpan.Zero), view.CurrentPeriod.End);
    }

    [Fact]
    public async Task Assign_CanceledSubscription_IsConflictAndStaysCanceled()
    {
        var (tenant, _) = await Seed.TenantAsync(_host.Database);
        var starter = await SavedAsync(TestPlans.Starter());
        var growth = await SavedAsync(TestPlans.Growth());
        await AssignAsync(tenant.Id, starter.Id);
        var canceled = await _host.RunAsync(sp => sp.GetRequiredService<CancelSubscriptionCommand>().ExecuteAsync(tenant.Id));
        Assert.True(canceled.IsSuccess, canceled.Error);

        var result = await AssignAsync(tenant.Id, growth.Id);

        Assert.Equal(ResultStatus.Conflict, result.Status);
        Assert.Contains("canceled", result.Error);
        var view = await ViewAsync(tenant.Id);
        Assert.Equal(SubscriptionStatus.Canceled, view!.Subscription.Status);
        Assert.Equal(starter.Id, view.CurrentPlan.Id);
    }

    [Fact]
    public async Task Assign_PlanInAnotherCurrency_IsConflict()
    {
        var (tenant, _) = await Seed.TenantAsync(_host.Database);
        var dollars = await SavedAsync(TestPlans.Starter());
        var euros = await SavedAsync(TestPlans.Growth() with { Currency = "EUR" });
        await AssignAsync(tenant.Id, dollars.Id);

        var result = await AssignAsync(tenant.Id, euros.Id);

        Assert.Equal(ResultStatus.Conflict, result.Status);
        Assert.Contains("cannot mix currencies", result.Error);
        Assert.Equal(dollars.Id, (await ViewAsync(tenant.Id))!.CurrentPlan.Id);
    }

    [Fact]
    public async Task QuotaOverride_SetThenRead_RoundTripsAndRefusesWhatTheColumnCannotHold()
    {
        var (tenant, _) = await Seed.TenantAsync(_host.Database);
        Task<Result> SetAsync(QuotaOverride quota) =>
            _host.RunAsync(sp => sp.GetRequiredService<SetQuotaOverrideCommand>().ExecuteAsync(tenant.Id, quota));
        Assert.Null(await _host.RunAsync(sp => sp.GetRequiredService<GetQuotaOverrideQuery>().ExecuteAsync(tenant.Id)));

        Assert.True((await SetAsync(new QuotaOverride(2.5m, 0m, CapMode.Soft, "pilot month"))).IsSuccess);
        var tooPrecise = await SetAsync(new QuotaOverride(0.00001m, 0m, null, null));
        var tooMany = await SetAsync(new QuotaOverride(0m, 20_000_000m, null, null));
        var unknownTenant = await _host.RunAsync(sp => sp.GetRequiredService<SetQuotaOverrideCommand>()
            .ExecuteAsync(Guid.NewGuid(), new QuotaOverride(1m, 1m, null, null)));

        Assert.Equal(new QuotaOverride(2.5m, 0m, CapMode.Soft, "pilot month"),
            await _host.RunAsync(sp => sp.GetRequiredService<GetQuotaOverrideQuery>().ExecuteAsync(tenant.Id)));
        Assert.Equal(ResultStatus.BadRequest, tooPrecise.Status);
        Assert.Equal(ResultStatus.BadRequest, tooMany.Status);
        Assert.Equal(ResultStatus.NotFound, unknownTenant.Status);
    }
}
