using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Platform.Data;
using Platform.Data.Tenants;

namespace Platform.Billing.Plans;

/// <summary>
/// Puts a new organisation on the sign-up plan (<see cref="BillingOptions.SignUpPlanCode"/>) in the
/// transaction that creates it, its periods anchored at that instant: no usage is ever outside a
/// billing period, and an admin's later assignment is a plan change within the first period
/// (docs/decisions/0010). Without that plan in the database nothing is created and a warning is logged.
/// </summary>
internal sealed class SignUpSubscription(IOptions<BillingOptions> options, ILogger<SignUpSubscription> logger) : ITenantCreatedHandler
{
    public async Task OnTenantCreatedAsync(PlatformDbContext db, Guid tenantId, DateTimeOffset createdAt, CancellationToken cancellationToken)
    {
        // Microseconds are what PostgreSQL keeps, as AssignPlanCommand truncates.
        var at = new DateTimeOffset(createdAt.UtcTicks - createdAt.UtcTicks % 10, TimeSpan.Zero).UtcDateTime;
        var code = options.Value.SignUpPlanCode;
        if (string.IsNullOrWhiteSpace(code))
            return; // SignUp:PlanCode set empty: organisations start without a plan, as the operator asked
        var rows = await db.Database.ExecuteSqlAsync($"""
            INSERT INTO subscriptions (tenant_id, status, anchor)
            SELECT {tenantId}, 'active', {at} FROM billing_plans WHERE code = {code}
            ON CONFLICT (tenant_id) DO NOTHING
            """, cancellationToken);
        if (rows == 0)
        {
            logger.LogWarning("Organisation {TenantId} starts without a subscription: no plan has the code {Code} (SignUp:PlanCode)", tenantId, code);
            return;
        }
        await db.Database.ExecuteSqlAsync($"""
            INSERT INTO subscription_plan_changes (tenant_id, effective_at, plan_id)
            SELECT {tenantId}, {at}, id FROM billing_plans WHERE code = {code}
            """, cancellationToken);
    }
}
