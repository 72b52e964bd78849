using Microsoft.EntityFrameworkCore;
using Platform.Domain.Common;

namespace Platform.Data.Tenants;

/// <summary>Platform admin (platform-wide; the host checks the PlatformAdmin role).</summary>
public sealed class ReactivateTenantCommand(PlatformDbContext db)
{
    public async Task<Result> ExecuteAsync(Guid tenantId, CancellationToken cancellationToken = default)
    {
        var tenant = await db.Tenants.FirstOrDefaultAsync(t => t.Id == tenantId, cancellationToken);
        if (tenant is null)
        {
            return Result.NotFound("No such organisation.");
        }
        var reactivated = tenant.Reactivate();
        if (reactivated.IsSuccess)
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        return reactivated;
    }
}
