using Microsoft.EntityFrameworkCore;
using Platform.Data.Audit;
using Platform.Domain.Common;
using Platform.Domain.Tenants;

namespace Platform.Data.Tenants;

/// <summary>
/// An owner removes a member, revoking the API keys they created; the last owner cannot be removed, so
/// a tenant is never orphaned (TenantMembership.CanBeRemoved).
/// </summary>
public sealed class RemoveMemberCommand(PlatformDbContext db, ICurrentTenant current, TimeProvider time, AuditTrail audit)
{
    public async Task<Result> ExecuteAsync(Guid userId, CancellationToken cancellationToken = default)
    {
        var allowed = await TenantGuard.RequireOwnerAsync(db, current, cancellationToken);
        if (!allowed.IsSuccess)
        {
            return allowed;
        }
        await using var transaction = await AuditTrail.BeginAsync(db, cancellationToken);
        var memberships = await TenantMemberships.LockAsync(db, current.TenantId!.Value, cancellationToken);
        // Again under the lock: another owner may have demoted or removed this one meanwhile.
        if (memberships.FirstOrDefault(m => m.UserId == current.UserId)?.Role != TenantRole.Owner)
        {
            return Result.Forbidden("Only an owner of the organisation can do this.");
        }
        var membership = memberships.FirstOrDefault(m => m.UserId == userId);
        if (membership is null)
        {
            return Result.NotFound("That person is not a member of this organisation.");
        }
        var removable = membership.CanBeRemoved(memberships.Count(m => m.Role == TenantRole.Owner));
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
