using Microsoft.EntityFrameworkCore;
using Platform.Data.Audit;
using Platform.Domain.Common;
using Platform.Domain.Tenants;

namespace Platform.Data.Tenants;

/// <summary>
/// An owner removes a member, revoking the API keys they created; the last owner cannot be removed, so
/// a tenant is never orphaned.
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
        var membership = await db.TenantMemberships.FirstOrDefaultAsync(m => m.UserId == userId, cancellationToken);
        if (membership is null)
        {
            return Result.NotFound("That person is not a member of this organisation.");
        }
        if (membership.Role == TenantRole.Owner
            && await db.TenantMemberships.CountAsync(m => m.Role == TenantRole.Owner, cancellationToken) == 1)
        {
            return Result.Conflict("The last owner cannot be removed.");
        }
        var email = await db.Users.Where(u => u.Id == userId).Select(u => u.Email).FirstOrDefaultAsync(cancellationToken);
        await using var transaction = await AuditTrail.BeginAsync(db, cancellationToken);
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
