using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Platform.Data.Audit;
using Platform.Domain.Common;
using Platform.Domain.Tenants;

namespace Platform.Data.Tenants;

/// <summary>
/// An owner invites someone by email: the link is mailed to the invitee (when the host sends mail) and
/// its token returned, for the owner to copy as well.
/// </summary>
public sealed class InviteMemberCommand(PlatformDbContext db, ICurrentTenant current, TimeProvider time, IOptions<DataOptions> options,
    AuditTrail audit, IInvitationMail? mail = null)
{
    public async Task<Result<CreatedInvitation>> ExecuteAsync(string email, TenantRole role, CancellationToken cancellationToken = default)
    {
        var allowed = await TenantGuard.RequireOwnerAsync(db, current, cancellationToken);
        if (!allowed.IsSuccess)
        {
            return Result<CreatedInvitation>.From(allowed);
        }
        var created = Invitation.Create(current.TenantId!.Value, email, role, current.UserId!.Value, time.GetUtcNow(), options.Value.InvitationLifetime);
        if (!created.IsSuccess)
        {
            return Result<CreatedInvitation>.From(created);
        }
        var (invitation, token) = created.Value;
        await using (var transaction = await AuditTrail.BeginAsync(db, cancellationToken))
        {
            db.Invitations.Add(invitation);
            await db.SaveChangesAsync(cancellationToken);
            await audit.WriteAsync(db, AuditActions.MemberInvite, invitation.TenantId, invitation.Id.ToString(), null,
                new { email = invitation.Email, role = invitation.Role.ToString(), expiresAt = invitation.ExpiresAt }, cancellationToken);
            if (mail is not null)
            {
                var organisation = await db.Tenants.AsNoTracking().Where(t => t.Id == invitation.TenantId).Select(t => t.Name).SingleAsync(cancellationToken);
                var inviter = await db.Users.AsNoTracking().Where(u => u.Id == invitation.CreatedByUserId).Select(u => u.Email).SingleOrDefaultAsync(cancellationToken);
                await mail.QueueAsync(db, new InvitationMessage(invitation.Email, organisation, inviter,
                    role == TenantRole.Owner ? "an owner" : "a member", token, invitation.ExpiresAt), cancellationToken);
            }
            await transaction.CommitAsync(cancellationToken);
        }
        mail?.Sent();
        return Result<CreatedInvitation>.Success(new CreatedInvitation(invitation.Id, token, invitation.ExpiresAt));
    }
}
