using Microsoft.EntityFrameworkCore;

namespace Platform.Data.Tenants;

/// <summary>Invitations of the current tenant that can still be accepted.</summary>
public sealed class ListInvitationsQuery(PlatformDbContext db, TimeProvider time)
{
    public async Task<IReadOnlyList<PendingInvitation>> ExecuteAsync(CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        return await db.Invitations
            .Where(i => i.AcceptedAt == null && i.ExpiresAt > now)
            .OrderByDescending(i => i.CreatedAt)
            .Select(i => new PendingInvitation(i.Id, i.Email, i.Role, i.ExpiresAt, i.CreatedAt))
            .ToListAsync(cancellationToken);
    }
}
