using Npgsql;
using Platform.Data.Audit;
using Platform.Domain.Billing;
using Platform.Domain.Common;

namespace Platform.Billing.Plans;

/// <summary>
/// Creates a plan, or updates it when its id exists (platform admins). An update applies to the
/// current, still open period of every tenant on the plan; closed invoices keep the lines they were
/// priced with. A plan tenants are on keeps its currency: a period cannot mix currencies.
/// </summary>
public sealed class SavePlanCommand(NpgsqlDataSource dataSource, AuditTrail audit)
{
    public async Task<Result<Plan>> ExecuteAsync(Plan plan, CancellationToken cancellationToken = default)
    {
        if (plan.Validate() is { } error)
            return Result<Plan>.BadRequest(error);
        plan = plan with { Code = plan.Code.Trim(), Name = plan.Name.Trim() };
        if (await CurrencyInUseAsync(plan, cancellationToken) is { } inUse)
            return Result<Plan>.Conflict($"Tenants are on this plan, so it stays in {inUse}: a billing period cannot mix currencies. " +
                                         $"Create another plan in {plan.Currency} instead.");
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var before = await AuditTrail.ReadJsonAsync(connection, transaction, PlanJson, plan.Id, cancellationToken);
        await using var command = new NpgsqlCommand("""
            INSERT INTO billing_plans (id, code, name, currency, monthly_fee, included_gpu_hours, included_cpu_hours,
                gpu_overage_per_hour, cpu_overage_per_hour, max_concurrent_jobs, max_dataset_bytes, max_storage_bytes,
                cap_mode, stripe_price_id, stripe_gpu_price_id, stripe_cpu_price_id, checkpoint_retention_days, event_retention_days,
                max_job_runtime_seconds)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)
            ON CONFLICT (id) DO UPDATE SET code = EXCLUDED.code, name = EXCLUDED.name, currency = EXCLUDED.currency,
                monthly_fee = EXCLUDED.monthly_fee, included_gpu_hours = EXCLUDED.included_gpu_hours,
                included_cpu_hours = EXCLUDED.included_cpu_hours, gpu_overage_per_hour = EXCLUDED.gpu_overage_per_hour,
                cpu_overage_per_hour = EXCLUDED.cpu_overage_per_hour, max_concurrent_jobs = EXCLUDED.max_concurrent_jobs,
                max_dataset_bytes = EXCLUDED.max_dataset_bytes, max_storage_bytes = EXCLUDED.max_storage_bytes,
                cap_mode = EXCLUDED.cap_mode, stripe_price_id = EXCLUDED.stripe_price_id,
                stripe_gpu_price_id = EXCLUDED.stripe_gpu_price_id, stripe_cpu_price_id = EXCLUDED.stripe_cpu_price_id,
                checkpoint_retention_days = EXCLUDED.checkpoint_retention_days, event_retention_days = EXCLUDED.event_retention_days,
                max_job_runtime_seconds = EXCLUDED.max_job_runtime_seconds, updated_at = now()
            """, connection, transaction);
        object?[] values = [plan.Id, plan.Code, plan.Name, plan.Currency, plan.MonthlyFee, plan.IncludedGpuHours,
            plan.IncludedCpuHours, plan.GpuOveragePerHour, plan.CpuOveragePerHour, plan.MaxConcurrentJobs,
            plan.MaxDatasetBytes, plan.MaxStorageBytes, plan.CapMode.ToString(), plan.StripePriceId,
            plan.StripeGpuPriceId, plan.StripeCpuPriceId, plan.CheckpointRetentionDays, plan.EventRetentionDays,
            plan.MaxJobRuntimeSeconds];
        foreach (var value in values)
            command.Parameters.Add(new NpgsqlParameter { Value = value ?? DBNull.Value });
        try
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            return Result<Plan>.Conflict($"Another plan already has the code '{plan.Code}'.");
        }
        var after = await AuditTrail.ReadJsonAsync(connection, transaction, PlanJson, plan.Id, cancellationToken);
        await audit.WriteAsync(connection, transaction, AuditActions.PlanSave, null, plan.Code, before, after, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return Result<Plan>.Success(plan);
    }

    // The audit entry's before and after: the plan's row less its timestamps.
    private const string PlanJson = "SELECT (to_jsonb(p) - 'created_at' - 'updated_at')::text FROM billing_plans p WHERE p.id = $1";

    /// <summary>The plan's stored currency when the update would change it and some tenant has been on the plan.</summary>
    private async Task<string?> CurrencyInUseAsync(Plan plan, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT p.currency FROM billing_plans p
            WHERE p.id = $1 AND p.currency <> $2 AND EXISTS (SELECT 1 FROM subscription_plan_changes c WHERE c.plan_id = p.id)
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = plan.Id });
        command.Parameters.Add(new NpgsqlParameter { Value = plan.Currency });
        return await command.ExecuteScalarAsync(cancellationToken) as string;
    }
}
