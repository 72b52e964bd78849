using Microsoft.EntityFrameworkCore;

namespace Platform.Data.Tenants;

public sealed class ListMembersQuery(PlatformDbContext db)
{
    public async Task<IReadOnlyList<Member>> ExecuteAsync(CancellationToken cancellationToken = default)
    {
        var query =
            from m in db.TenantMemberships
            join u in db.Users on m.UserId equals u.Id
            orderby m.CreatedAt
            select new Member(u.Id, u.Email, u.DisplayName, m.Role, m.CreatedAt);
        return await query.ToListAsync(cancellationToken);
    }
}
