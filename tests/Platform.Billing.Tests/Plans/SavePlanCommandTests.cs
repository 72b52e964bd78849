using Microsoft.Extensions.DependencyInjection;
using Platform.Billing.Plans;
using Platform.Billing.Tests.Domain;
using Platform.Domain.Billing;
using Platform.Domain.Common;
using Platform.Testing;

namespace Platform.Billing.Tests.Plans;

public sealed class SavePlanCommandTests : IAsyncLifetime
{
    private readonly BillingHost _host = new();

    public Task InitializeAsync() => _host.InitializeAsync();

    public Task DisposeAsync() => _host.DisposeAsync();

    private Task<Result<Plan>> SaveAsync(Plan plan) => _host.RunAsync(sp => sp.GetRequiredService<SavePlanCommand>().ExecuteAsync(plan));

    // Plans other than the sign-up plan that migration 0095 creates.
    private Task<long> PlanCountAsync() => _host.Database.ScalarAsync<long>("SELECT count(*) FROM billing_plans WHERE code <> 'free'");

    [Fact]
    public async Task Execute_NegativePriceOrEmptyName_IsBadRequestAndSavesNothing()
    {
        var negative = await SaveAsync(TestPlans.Starter() with { GpuOveragePerHour = -2.5m });
        var unnamed = await SaveAsync(TestPlans.Starter() with { Name = "  " });

        Assert.Equal(ResultStatus.BadRequest, negative.Status);
        Assert.Equal("The GPU overage price cannot be negative.", negative.Error);
        Assert.Equal(ResultStatus.BadRequest, unnamed.Status);
        Assert.Equal("A plan needs a name.", unnamed.Error);
        Assert.Equal(0L, await PlanCountAsync());
    }

    [Fact]
    public async Task Execute_ExistingId_UpdatesThePlanAndListsIt()
    {
        var plan = TestPlans.Starter();
        Assert.True((await SaveAsync(plan)).IsSuccess);

        var updated = await SaveAsync(plan with { Name = " Starter 2026 ", MonthlyFee = 120m, StripePriceId = "price_123" });

        Assert.True(updated.IsSuccess, updated.Error);
        // Beside the sign-up plan that migration 0095 creates.
        var listed = Assert.Single(await _host.RunAsync(sp => sp.GetRequiredService<PlanQueries>().ListAsync()), p => p.Code != "free");
        Assert.Equal(plan with { Name = "Starter 2026", MonthlyFee = 120m, StripePriceId = "price_123" }, listed);
    }

    [Fact]
    public async Task Execute_CodeOfAnotherPlan_IsConflict()
    {
        var first = TestPlans.Starter();
        await SaveAsync(first);

        var second = await SaveAsync(TestPlans.Growth() with { Code = first.Code });

        Assert.Equal(ResultStatus.Conflict, second.Status);
        Assert.Contains(first.Code, second.Error);
        Assert.Equal(1L, await PlanCountAsync());
    }

    [Fact]
    public async Task Execute_CurrencyOfPlanInUse_IsConflictButUnusedPlanMayChange()
    {
        var used = TestPlans.Starter();
        var (tenant, _) = await Seed.TenantAsync(_host.Database);
        await _host.AssignAsync(tenant.Id, used);
        var unused = TestPlans.Growth();
        await SaveAsync(unused);

        var refused = await SaveAsync(used with { Currency = "EUR" });
        var changed = await SaveAsync(unused with { Currency = "EUR" });

        Assert.Equal(ResultStatus.Conflict, refused.Status);
        Assert.Contains("stays in USD", refused.Error);
        Assert.True(changed.IsSuccess, changed.Error);
        Assert.Equal("USD", (await _host.RunAsync(sp => sp.GetRequiredService<PlanQueries>().FindAsync(used.Id)))!.Currency);
    }
}
