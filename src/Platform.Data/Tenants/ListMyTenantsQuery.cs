using Microsoft.EntityFrameworkCore;
using Platform.Domain.Common;

namespace Platform.Data.Tenants;

/// <summary>
/// The tenants the current user belongs to, across tenants (the switcher, and how the host checks
/// that a tenant the user asks for is one of theirs). Keyed by the current user, not the tenant.
/// </summary>
public sealed class ListMyTenantsQuery(PlatformDbContext db, ICurrentTenant current)
{
    public async Task<IReadOnlyList<MyTenant>> ExecuteAsync(CancellationToken cancellationToken = default)
    {
        if (current.UserId is not { } userId)
        {
            return [];
        }
        var query =
            from m in db.TenantMemberships.IgnoreQueryFilters()
            where m.UserId == userId
            join t in db.Tenants on m.TenantId equals t.Id
            orderby t.Name
            select new MyTenant(t.Id, t.Name, t.Slug, m.Role, t.Status, t.SuspensionReason);
        return await query.ToListAsync(cancellationToken);
    }
}
