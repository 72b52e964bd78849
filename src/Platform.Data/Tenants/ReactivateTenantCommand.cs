using Microsoft.EntityFrameworkCore;
using Platform.Data.Audit;
using Platform.Domain.Common;

namespace Platform.Data.Tenants;

/// <summary>Platform admin (platform-wide; the host checks the PlatformAdmin role).</summary>
public sealed class ReactivateTenantCommand(PlatformDbContext db, AuditTrail audit)
{
    public async Task<Result> ExecuteAsync(Guid tenantId, CancellationToken cancellationToken = default)
    {
        var tenant = await db.Tenants.FirstOrDefaultAsync(t => t.Id == tenantId, cancellationToken);
        if (tenant is null)
        {
            return Result.NotFound("No such organisation.");
        }
        var before = new { status = tenant.Status.ToString(), reason = tenant.SuspensionReason };
        var reactivated = tenant.Reactivate();
        if (reactivated.IsSuccess)
        {
            await using var transaction = await AuditTrail.BeginAsync(db, cancellationToken);
            await db.SaveChangesAsync(cancellationToken);
            await audit.WriteAsync(db, AuditActions.TenantReactivate, tenantId, null, before,
                new { status = tenant.Status.ToString(), reason = tenant.SuspensionReason }, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        return reactivated;
    }
}
