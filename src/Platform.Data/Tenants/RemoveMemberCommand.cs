using Microsoft.EntityFrameworkCore;
using Platform.Data.Audit;
using Platform.Domain.Common;

namespace Platform.Data.Tenants;

/// <summary>
/// An owner removes a member, revoking the API keys they created; the last owner cannot be removed, so
/// a tenant is never orphaned (TenantMembership.CanBeRemoved).
/// </summary>
public sealed class RemoveMemberCommand(PlatformDbContext db, ICurrentTenant current, TimeProvider time, AuditTrail audit)
{
    public async Task<Result> ExecuteAsync(Guid userId, CancellationToken cancellationToken = default)
    {
        await using var transaction = await AuditTrail.BeginAsync(db, cancellationToken);
        var locked = await TenantMemberships.LockAsync(db, current, userId, cancellationToken);
        if (!locked.IsSuccess)
        {
            return locked;
        }
        var (membership, owners) = locked.Value;
        var removable = membership.CanBeRemoved(owners);
        if (!removable.IsSuccess)
        {
            return removable;
        }
        var email = await db.Users.Where(u => u.Id == userId).Select(u => u.Email).FirstOrDefaultAsync(cancellationToken);
        db.TenantMemberships.Remove(membership);
        // Their API keys act for them: they go with the membership (the key list shows them revoked).
        var now = time.GetUtcNow();
        foreach (var key in await db.ApiKeys.Where(k => k.CreatedByUserId == userId && k.RevokedAt == null).ToListAsync(cancellationToken))
            key.Revoke(now);
        await db.SaveChangesAsync(cancellationToken);
        await audit.WriteAsync(db, AuditActions.MemberRemove, current.TenantId, userId.ToString(),
            new { email, role = membership.Role.ToString() }, null, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return Result.Success();
    }
}
