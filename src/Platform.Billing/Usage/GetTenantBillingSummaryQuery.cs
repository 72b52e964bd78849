using Npgsql;
using Platform.Billing.Plans;
using Platform.Domain.Billing;
using Platform.Domain.Common;

namespace Platform.Billing.Usage;

/// <summary>The current tenant's <see cref="TenantBillingSummary"/>; NotFound when it has no subscription.</summary>
public sealed class GetTenantBillingSummaryQuery(NpgsqlDataSource dataSource, TimeProvider clock, ICurrentTenant current)
{
    public async Task<Result<TenantBillingSummary>> ExecuteAsync(CancellationToken cancellationToken = default)
    {
        if (current.TenantId is not { } tenantId)
            return Result<TenantBillingSummary>.Forbidden("Choose an organisation first.");
        return await ForTenantAsync(tenantId, cancellationToken);
    }

    /// <summary>
    /// The current tenant's use this calendar month (UTC) when it has no subscription: metered all the
    /// same, neither capped nor charged. Null when no tenant is selected.
    /// </summary>
    public async Task<UnplannedUsage?> UsageWithoutPlanAsync(CancellationToken cancellationToken = default)
    {
        if (current.TenantId is not { } tenantId)
            return null;
        var now = clock.GetUtcNow();
        var start = new DateTimeOffset(now.Year, now.Month, 1, 0, 0, 0, TimeSpan.Zero);
        var end = start.AddMonths(1);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var gpu = await UsageToDate.SecondsAsync(connection, tenantId, DeviceClass.Gpu, start, end, now, cancellationToken);
        var cpu = await UsageToDate.SecondsAsync(connection, tenantId, DeviceClass.Cpu, start, end, now, cancellationToken);
        return new UnplannedUsage(start, end, Math.Round(gpu / 3600m, 4), Math.Round(cpu / 3600m, 4));
    }

    /// <summary>Platform admin: any tenant's summary (the host checks the PlatformAdmin role).</summary>
    public async Task<Result<TenantBillingSummary>> ForTenantAsync(Guid tenantId, CancellationToken cancellationToken = default)
    {
        var now = clock.GetUtcNow();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var subscription = await SubscriptionReader.ReadAsync(connection, null, tenantId, cancellationToken);
        if (subscription is null)
            return Result<TenantBillingSummary>.NotFound("No billing plan is assigned to this organisation yet.");
        var period = subscription.PeriodContaining(now);
        var intervals = new List<PlanInterval>();
        long gpuTotal = 0, cpuTotal = 0;
        foreach (var (plan, from, to, waiver) in subscription.Intervals(period))
        {
            var gpu = await UsageToDate.SecondsAsync(connection, tenantId, DeviceClass.Gpu, from, to, now, cancellationToken);
            var cpu = await UsageToDate.SecondsAsync(connection, tenantId, DeviceClass.Cpu, from, to, now, cancellationToken);
            intervals.Add(new PlanInterval(plan, from, to, gpu, cpu, waiver));
            gpuTotal += gpu;
            cpuTotal += cpu;
        }
        var (extraGpu, extraCpu, capOverride) = await QuotaOverrideReader.ReadAsync(connection, tenantId, cancellationToken);
        var planNow = subscription.PlanAt(now);
        var lines = PeriodPricing.Price(period, intervals);
        return Result<TenantBillingSummary>.Success(new TenantBillingSummary(planNow.Name,
            SubscriptionStatuses.ToDb(subscription.Status), period.Start, period.End,
            planNow.IncludedGpuHours + extraGpu, Math.Round(gpuTotal / 3600m, 4),
            planNow.IncludedCpuHours + extraCpu, Math.Round(cpuTotal / 3600m, 4),
            capOverride ?? planNow.CapMode, PeriodPricing.Total(lines, planNow.Currency), lines));
    }
}
