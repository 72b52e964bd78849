using Microsoft.EntityFrameworkCore;
using Platform.Data.Audit;
using Platform.Domain.Common;
using Platform.Domain.Tenants;

namespace Platform.Data.Tenants;

/// <summary>
/// An owner makes a member an owner, or an owner (themselves included) a member; the last owner stays one
/// (TenantMembership.ChangeRole). The change is in the audit log with the role before and after.
/// </summary>
public sealed class ChangeMemberRoleCommand(PlatformDbContext db, ICurrentTenant current, AuditTrail audit)
{
    public async Task<Result> ExecuteAsync(Guid userId, TenantRole role, CancellationToken cancellationToken = default)
    {
        await using var transaction = await AuditTrail.BeginAsync(db, cancellationToken);
        var locked = await TenantMemberships.LockAsync(db, current, userId, cancellationToken);
        if (!locked.IsSuccess)
        {
            return locked;
        }
        var (membership, owners) = locked.Value;
        var before = membership.Role;
        if (before == role)
        {
            return Result.Success();
        }
        var changed = membership.ChangeRole(role, owners);
        if (!changed.IsSuccess)
        {
            return changed;
        }
        await db.SaveChangesAsync(cancellationToken);
        var email = await db.Users.Where(u => u.Id == userId).Select(u => u.Email).FirstOrDefaultAsync(cancellationToken);
        await audit.WriteAsync(db, AuditActions.MemberRoleChange, current.TenantId, userId.ToString(),
            new { email, role = before.ToString() }, new { email, role = role.ToString() }, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return Result.Success();
    }
}
