using Microsoft.EntityFrameworkCore;

namespace Platform.Data.Tenants;

/// <summary>
/// Platform admin: the members of any tenant, oldest first. Platform-wide by design (it ignores the
/// current-tenant filter); the host checks the PlatformAdmin role.
/// </summary>
public sealed class ListTenantMembersQuery(PlatformDbContext db)
{
    public async Task<IReadOnlyList<Member>> ExecuteAsync(Guid tenantId, CancellationToken cancellationToken = default)
    {
        var query =
            from m in db.TenantMemberships.IgnoreQueryFilters()
            join u in db.Users on m.UserId equals u.Id
            where m.TenantId == tenantId
            orderby m.CreatedAt
            select new Member(u.Id, u.Email, u.DisplayName, m.Role, m.CreatedAt);
        return await query.ToListAsync(cancellationToken);
    }
}
