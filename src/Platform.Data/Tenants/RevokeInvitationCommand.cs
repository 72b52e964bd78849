using Microsoft.EntityFrameworkCore;
using Platform.Data.Audit;
using Platform.Domain.Common;

namespace Platform.Data.Tenants;

/// <summary>
/// An owner withdraws an invitation nobody accepted yet: the row goes, so its link answers "not found"
/// from then on; the audit log keeps who was invited and by whom.
/// </summary>
public sealed class RevokeInvitationCommand(PlatformDbContext db, ICurrentTenant current, AuditTrail audit)
{
    public async Task<Result> ExecuteAsync(Guid invitationId, CancellationToken cancellationToken = default)
    {
        var allowed = await TenantGuard.RequireOwnerAsync(db, current, cancellationToken);
        if (!allowed.IsSuccess)
        {
            return allowed;
        }
        var invitation = await db.Invitations.FirstOrDefaultAsync(i => i.Id == invitationId && i.AcceptedAt == null, cancellationToken);
        if (invitation is null)
        {
            return Result.NotFound("That invitation was accepted or withdrawn already.");
        }
        await using var transaction = await AuditTrail.BeginAsync(db, cancellationToken);
        db.Invitations.Remove(invitation);
        await db.SaveChangesAsync(cancellationToken);
        await audit.WriteAsync(db, AuditActions.InvitationRevoke, current.TenantId, invitation.Id.ToString(),
            new { email = invitation.Email, role = invitation.Role.ToString(), expiresAt = invitation.ExpiresAt }, null, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return Result.Success();
    }
}
