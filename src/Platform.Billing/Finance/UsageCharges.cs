using Npgsql;
using Platform.Billing.Plans;
using Platform.Billing.Usage;
using Platform.Domain.Billing;

namespace Platform.Billing.Finance;

/// <summary>What a tenant's usage in a window comes to under its plan: the charge and the seconds beyond the included hours.</summary>
public sealed record UsageCharge(IReadOnlyList<Money> Amounts, long BillableSeconds)
{
    public static readonly UsageCharge None = new([], 0);
}

/// <summary>
/// Finance's money figures for usage (issue 18), priced by the invoice's own rule through <see cref="PeriodCharge"/>
/// (docs/decisions/0041): a window's usage is charged what it adds to each billing period it falls in, after the
/// usage of that period that ended before the window. Tenants without a subscription are not charged.
/// </summary>
public sealed class UsageCharges(NpgsqlDataSource dataSource)
{
    /// <summary>The charge for each tenant's usage that ended in [from, to); tenants without a plan are left out.</summary>
    public async Task<IReadOnlyDictionary<Guid, UsageCharge>> ByTenantAsync(IEnumerable<Guid> tenantIds, DateTimeOffset from, DateTimeOffset to,
        CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var charges = new Dictionary<Guid, UsageCharge>();
        foreach (var tenantId in tenantIds.Distinct())
        {
            var subscription = await SubscriptionReader.ReadAsync(connection, null, tenantId, cancellationToken);
            if (subscription is null)
                continue;
            var amounts = new Dictionary<string, decimal>();
            long billable = 0;
            for (var period = subscription.PeriodContaining(from); period.Start < to; period = period.Next(subscription.Anchor))
            {
                var windowStart = period.Start > from ? period.Start : from;
                var windowEnd = period.End < to ? period.End : to;
                var charge = await StartAsync(connection, subscription, period, windowStart, cancellationToken);
                if (charge.Currency is not { } currency)
                    continue;
                foreach (var (_, intervalFrom, intervalTo, _) in subscription.Intervals(period))
                {
                    var start = intervalFrom > windowStart ? intervalFrom : windowStart;
                    var end = intervalTo < windowEnd ? intervalTo : windowEnd;
                    if (start >= end)
                        continue;
                    var (gpu, cpu, _) = await LedgerTotals.SumAsync(connection, null, tenantId, start, end, cancellationToken);
                    foreach (var (device, seconds) in new[] { (DeviceClass.Gpu, gpu), (DeviceClass.Cpu, cpu) })
                    {
                        var (amount, over) = charge.Add(start, device, seconds);
                        amounts[currency] = amounts.GetValueOrDefault(currency) + amount;
                        billable += over;
                    }
                }
            }
            charges[tenantId] = new UsageCharge(amounts.Select(a => new Money(a.Value, a.Key)).ToList(), billable);
        }
        return charges;
    }

    /// <summary>
    /// The period's charge as it stands when the usage that ended before <paramref name="until"/> is in: that
    /// usage took the included hours first.
    /// </summary>
    internal static async Task<PeriodCharge> StartAsync(NpgsqlConnection connection, Subscription subscription, BillingPeriod period,
        DateTimeOffset until, CancellationToken cancellationToken)
    {
        var (extraGpu, extraCpu, _) = await QuotaOverrideReader.ReadAsync(connection, subscription.TenantId, cancellationToken);
        var intervals = subscription.Intervals(period);
        var charge = new PeriodCharge(period, intervals, extraGpu, extraCpu);
        foreach (var (_, from, to, _) in intervals)
        {
            var end = to < until ? to : until;
            if (from >= end)
                continue;
            var (gpu, cpu, _) = await LedgerTotals.SumAsync(connection, null, subscription.TenantId, from, end, cancellationToken);
            charge.Add(from, DeviceClass.Gpu, gpu);
            charge.Add(from, DeviceClass.Cpu, cpu);
        }
        return charge;
    }
}
