using Microsoft.EntityFrameworkCore;
using Platform.Domain.Common;
using Platform.Domain.Tenants;

namespace Platform.Data.Tenants;

/// <summary>The selected tenant (name, status and suspension reason for the page banner).</summary>
internal sealed class GetCurrentTenantQuery(PlatformDbContext db, ICurrentTenant current)
{
    public async Task<Result<Tenant>> ExecuteAsync(CancellationToken cancellationToken = default)
    {
        var tenant = current.TenantId is { } id
            ? await db.Tenants.AsNoTracking().FirstOrDefaultAsync(t => t.Id == id, cancellationToken)
            : null;
        return tenant is null ? Result<Tenant>.NotFound("No organisation is selected.") : Result<Tenant>.Success(tenant);
    }
}
