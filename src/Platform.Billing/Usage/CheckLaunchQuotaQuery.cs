using System.Globalization;
using Npgsql;
using Platform.Billing.Plans;
using Platform.Domain.Billing;
using Platform.Domain.Common;

namespace Platform.Billing.Usage;

/// <summary>
/// Whether the current tenant may launch a job estimated at <c>estimatedHours</c> on a device class.
/// Success carries the position (with a warning over a soft cap); a hard cap refuses with Conflict
/// and a message for the user; a canceled subscription is Forbidden. A tenant with no subscription is
/// allowed with a warning: billing is not set up for it, and launches must not depend on that.
/// </summary>
public sealed class CheckLaunchQuotaQuery(NpgsqlDataSource dataSource, TimeProvider clock, ICurrentTenant current)
{
    public async Task<Result<QuotaCheck>> ExecuteAsync(string deviceKind, double estimatedHours,
        CancellationToken cancellationToken = default)
    {
        if (current.TenantId is not { } tenantId)
            return Result<QuotaCheck>.Forbidden("Choose an organisation first.");
        if (!DeviceClass.IsKnown(deviceKind))
            return Result<QuotaCheck>.BadRequest($"Unknown device kind '{deviceKind}' (cpu or cuda).");
        if (double.IsNaN(estimatedHours) || estimatedHours < 0 || estimatedHours > 1_000_000)
            return Result<QuotaCheck>.BadRequest("The estimate must be a number of hours between 0 and 1,000,000.");
        var estimate = Math.Round((decimal)estimatedHours, 6);
        var now = clock.GetUtcNow();

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var subscription = await SubscriptionReader.ReadAsync(connection, null, tenantId, cancellationToken);
        if (subscription is null)
            return Result<QuotaCheck>.Success(new QuotaCheck(QuotaVerdict.Allowed, deviceKind, 0, 0, estimate, 0, null,
                "No billing plan is assigned to this organisation; usage is metered but not capped."));
        if (subscription.Status == SubscriptionStatus.Canceled)
            return Result<QuotaCheck>.Forbidden("This organisation's subscription is canceled. Choose a plan to launch jobs.");

        var plan = subscription.PlanAt(now);
        var period = subscription.PeriodContaining(now);
        var (extraGpu, extraCpu, capOverride) = await QuotaOverrideReader.ReadAsync(connection, tenantId, cancellationToken);
        // The allowance the invoice will apply (PeriodPricing): the plan's hours over its span in this period, the admin's extra hours included.
        var intervals = subscription.Intervals(period).Select(i => new PlanInterval(i.Plan, i.From, i.To, 0, 0, i.FeeWaiver)).ToList();
        var (included, since) = PeriodPricing.AllowanceAt(period, intervals, now, deviceKind,
            deviceKind == DeviceClass.Gpu ? extraGpu : extraCpu);
        var mode = capOverride ?? plan.CapMode;
        var usedSeconds = await UsageToDate.SecondsAsync(connection, tenantId, deviceKind, since, period.End, now, cancellationToken);
        var used = usedSeconds / 3600m;
        var (verdict, left) = QuotaRules.Decide(included, used, estimate, mode);
        var label = DeviceClass.Label(deviceKind);
        var position = $"{Format(used)} of {Format(included)} {label} hours used this period (until {period.End:yyyy-MM-dd}), " +
                       $"{Format(left)} left; this job is estimated at {Format(estimate)} h";
        if (verdict == QuotaVerdict.Refused)
            return Result<QuotaCheck>.Conflict($"Not enough {label} hours left on the {plan.Name} plan: {position}. " +
                                               "Upgrade the plan or wait for the next period.");
        var warning = verdict == QuotaVerdict.AllowedWithOverage
            ? $"Over the included {label} hours: {position}. Time beyond them is billed at " +
              $"{new Money(plan.OveragePerHour(deviceKind), plan.Currency)} per hour."
            : null;
        return Result<QuotaCheck>.Success(new QuotaCheck(verdict, deviceKind, included, used, estimate, left,
            plan.MaxConcurrentJobs, warning));
    }

    private static string Format(decimal hours) => hours.ToString("0.##", CultureInfo.InvariantCulture);
}
