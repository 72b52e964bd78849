using Microsoft.EntityFrameworkCore;

namespace Platform.Data.Tenants;

public sealed class ListMembersQuery(PlatformDbContext db)
{
    public async Task<IReadOnlyList<Member>> ExecuteAsync(CancellationToken cancellationToken = default) =>
        await db.TenantMemberships
            .Join(db.Users, m => m.UserId, u => u.Id, (m, u) => new Member(u.Id, u.Email, u.DisplayName, m.Role, m.CreatedAt))
            .OrderBy(m => m.JoinedAt)
            .ToListAsync(cancellationToken);
}
