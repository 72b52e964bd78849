using Npgsql;
using Platform.Data.Audit;
using Platform.Domain.Common;
using Platform.Domain.Jobs;

namespace Platform.Billing.Plans;

/// <summary>
/// Puts a tenant on a plan (platform admins). The first assignment creates the subscription, its
/// periods anchored at that instant; a later one is a mid-period plan change effective at once,
/// prorated at period close (docs/decisions/0010). A change into an already invoiced period, to a plan
/// in another currency, or of a canceled subscription is refused. The plan's concurrent-jobs limit then
/// goes to the job system (IPlanJobLimits), where the queue enforces it.
/// </summary>
public sealed class AssignPlanCommand(NpgsqlDataSource dataSource, TimeProvider clock, ICurrentTenant current,
    AuditTrail audit, IPlanJobLimits? jobLimits = null)
{
    /// <summary>How long a trial waives the monthly fee.</summary>
    public const int TrialDays = 14;

    /// <summary>
    /// <paramref name="trial"/>: start a <see cref="TrialDays"/>-day trial, for a new subscription, or once for one still on a
    /// plan without a fee (an organisation on the sign-up plan choosing its first paid plan).
    /// </summary>
    public async Task<Result> ExecuteAsync(Guid tenantId, Guid planId, bool trial = false, CancellationToken cancellationToken = default)
    {
        var now = clock.GetUtcNow();
        // Microseconds are what PostgreSQL keeps; truncating here keeps "effective at" equal on both sides.
        now = new DateTimeOffset(now.UtcTicks - now.UtcTicks % 10, TimeSpan.Zero);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (!await ExistsAsync(connection, transaction, "SELECT 1 FROM tenants WHERE id = $1", tenantId, cancellationToken))
            return Result.NotFound("The organisation does not exist.");
        string currency;
        int maxConcurrentJobs;
        await using (var plan = new NpgsqlCommand("SELECT currency, max_concurrent_jobs FROM billing_plans WHERE id = $1", connection, transaction))
        {
            plan.Parameters.Add(new NpgsqlParameter { Value = planId });
            await using var reader = await plan.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
                return Result.NotFound("The plan does not exist.");
            (currency, maxConcurrentJobs) = (reader.GetString(0), reader.GetInt32(1));
        }

        await using (var upsert = new NpgsqlCommand($"""
            INSERT INTO subscriptions (tenant_id, status, anchor, trial_ends_at)
            VALUES ($1, $2, $3, CASE WHEN $2 = 'trialing' THEN $3 + interval '{TrialDays} days' END)
            ON CONFLICT (tenant_id) DO UPDATE SET updated_at = now()
            """, connection, transaction))
        {
            upsert.Parameters.Add(new NpgsqlParameter { Value = tenantId });
            upsert.Parameters.Add(new NpgsqlParameter { Value = trial ? "trialing" : "active" });
            upsert.Parameters.Add(new NpgsqlParameter { Value = now });
            await upsert.ExecuteNonQueryAsync(cancellationToken);
        }
        // Read after the upsert, which holds the subscription's row lock until commit: a cancel cannot slip in between.
        if (await SubscriptionReader.ReadAsync(connection, transaction, tenantId, cancellationToken) is { } existing)
        {
            // Assigning does not reactivate: the fee waiver after canceled_at would then be lost (decision 0010).
            if (existing.Status == SubscriptionStatus.Canceled)
                return Result.Conflict("The subscription is canceled; a canceled subscription cannot be given a plan again.");
            var current = existing.PlanAt(now);
            if (current.Currency != currency)
                return Result.Conflict($"The {current.Name} plan is billed in {current.Currency}, the new one in {currency}: " +
                                       "a billing period cannot mix currencies.");
            if (trial && existing.Anchor < now)
            {
                // A trial on an existing subscription: once, from a plan without a fee (the sign-up plan), and not
                // while Stripe keeps the status. The fee waiver then covers only the fee-free part of this period.
                if (existing.TrialEndsAt is not null)
                    return Result.Conflict("This organisation has had its trial already.");
                if (current.MonthlyFee != 0 || existing.Status != SubscriptionStatus.Active)
                    return Result.Conflict($"A trial starts from a plan without a monthly fee; this organisation is on {current.Name}.");
                if (existing.StripeSubscriptionId is not null)
                    return Result.Conflict("The subscription is kept in Stripe, which decides its trial.");
                await using var startTrial = new NpgsqlCommand(
                    $"UPDATE subscriptions SET status = 'trialing', trial_ends_at = $2 + interval '{TrialDays} days', updated_at = now() WHERE tenant_id = $1",
                    connection, transaction);
                startTrial.Parameters.Add(new NpgsqlParameter { Value = tenantId });
                startTrial.Parameters.Add(new NpgsqlParameter { Value = now });
                await startTrial.ExecuteNonQueryAsync(cancellationToken);
            }
        }
        await using (var invoiced = new NpgsqlCommand(
            "SELECT 1 FROM invoices WHERE tenant_id = $1 AND period_end > $2", connection, transaction))
        {
            invoiced.Parameters.Add(new NpgsqlParameter { Value = tenantId });
            invoiced.Parameters.Add(new NpgsqlParameter { Value = now });
            if (await invoiced.ExecuteScalarAsync(cancellationToken) is not null)
                return Result.Conflict("The current period is already invoiced; change the plan from the next period.");
        }
        var before = await AuditTrail.ReadJsonAsync(connection, transaction, CurrentPlanJson, tenantId, cancellationToken);
        await using (var change = new NpgsqlCommand("""
            INSERT INTO subscription_plan_changes (tenant_id, effective_at, plan_id, changed_by) VALUES ($1, $2, $3, $4)
            ON CONFLICT (tenant_id, effective_at) DO UPDATE SET plan_id = EXCLUDED.plan_id
            """, connection, transaction))
        {
            change.Parameters.Add(new NpgsqlParameter { Value = tenantId });
            change.Parameters.Add(new NpgsqlParameter { Value = now });
            change.Parameters.Add(new NpgsqlParameter { Value = planId });
            change.Parameters.Add(new NpgsqlParameter { Value = (object?)current.UserId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid });
            await change.ExecuteNonQueryAsync(cancellationToken);
        }
        var after = await AuditTrail.ReadJsonAsync(connection, transaction, CurrentPlanJson, tenantId, cancellationToken);
        await audit.WriteAsync(connection, transaction, AuditActions.PlanAssign, tenantId, null, before, after, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        // After the commit, in the job system's own statement: should it fail, the plan stands and an
        // admin sets the limit on the tenant page.
        if (jobLimits is not null)
            await jobLimits.ApplyAsync(tenantId, maxConcurrentJobs, cancellationToken);
        return Result.Success();
    }

    // The plan a tenant is on now, for the audit entry's before and after.
    private const string CurrentPlanJson = """
        SELECT json_build_object('planId', p.id, 'plan', p.code, 'effectiveAt', c.effective_at, 'status', s.status)::text
        FROM subscription_plan_changes c JOIN billing_plans p ON p.id = c.plan_id JOIN subscriptions s ON s.tenant_id = c.tenant_id
        WHERE c.tenant_id = $1 ORDER BY c.effective_at DESC LIMIT 1
        """;

    private static async Task<bool> ExistsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, Guid id,
        CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        return await command.ExecuteScalarAsync(cancellationToken) is not null;
    }
}
