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
        var (extraGpu, extraCpu, capOverride) = await ReadOverrideAsync(connection, tenantId, cancellationToken);
        var included = plan.IncludedHours(deviceKind) + (deviceKind == DeviceClass.Gpu ? extraGpu : extraCpu);
        var mode = capOverride ?? plan.CapMode;
        var usedSeconds = await UsedSecondsAsync(connection, tenantId, deviceKind, period, now, cancellationToken);
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

    private static async Task<(decimal Gpu, decimal Cpu, CapMode? Mode)> ReadOverrideAsync(NpgsqlConnection connection,
        Guid tenantId, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "SELECT extra_gpu_hours, extra_cpu_hours, cap_mode FROM tenant_quota_overrides WHERE tenant_id = $1", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
            return (0, 0, null);
        return (reader.GetDecimal(0), reader.GetDecimal(1), reader.IsDBNull(2) ? null : Enum.Parse<CapMode>(reader.GetString(2)));
    }

    /// <summary>
    /// Ledger seconds in the period plus segments the ledger does not hold yet: closed ones awaiting
    /// ingestion and running ones up to now (their projected use so far; an open segment's end only
    /// moves at lease renewal). Each counts whole seconds, as the ledger will.
    /// </summary>
    private static async Task<long> UsedSecondsAsync(NpgsqlConnection connection, Guid tenantId, string deviceKind,
        BillingPeriod period, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("""
            SELECT coalesce((SELECT sum(l.seconds) FROM usage_ledger l
                             WHERE l.tenant_id = $1 AND l.device_kind = $2 AND l.ended_at >= $3 AND l.ended_at < $4), 0)
                 + coalesce((SELECT sum(greatest(0, floor(extract(epoch FROM
                                 (CASE WHEN s.closed THEN s.ended_at ELSE greatest(s.ended_at, $5) END) - s.started_at)))::bigint)
                             FROM usage_segments s
                             WHERE s.tenant_id = $1 AND s.device_kind = $2 AND (NOT s.closed OR (s.ended_at >= $3 AND s.ended_at < $4))
                               AND NOT EXISTS (SELECT 1 FROM usage_ledger l
                                   WHERE l.idempotency_key = replace(s.job_id::text, '-', '') || ':' || s.attempt || ':' || s.segment)), 0)
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        command.Parameters.Add(new NpgsqlParameter { Value = deviceKind });
        command.Parameters.Add(new NpgsqlParameter { Value = period.Start.UtcDateTime });
        command.Parameters.Add(new NpgsqlParameter { Value = period.End.UtcDateTime });
        command.Parameters.Add(new NpgsqlParameter { Value = now.UtcDateTime });
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
    }
}
