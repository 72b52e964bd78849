using Microsoft.EntityFrameworkCore;
using Platform.Domain.Common;

namespace Platform.Data.Tenants;

/// <summary>Platform admin (platform-wide; the host checks the PlatformAdmin role).</summary>
public sealed class SuspendTenantCommand(PlatformDbContext db)
{
    public async Task<Result> ExecuteAsync(Guid tenantId, string reason, CancellationToken cancellationToken = default)
    {
        var tenant = await db.Tenants.FirstOrDefaultAsync(t => t.Id == tenantId, cancellationToken);
        if (tenant is null)
        {
            return Result.NotFound("No such organisation.");
        }
        var suspended = tenant.Suspend(reason);
        if (suspended.IsSuccess)
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        return suspended;
    }
}
