using Microsoft.Extensions.Options;
using Platform.Data.Audit;
using Platform.Domain.Common;
using Platform.Domain.Tenants;

namespace Platform.Data.Tenants;

/// <summary>An owner invites someone by email; the returned token goes into the link the owner copies.</summary>
public sealed class InviteMemberCommand(PlatformDbContext db, ICurrentTenant current, TimeProvider time, IOptions<DataOptions> options, AuditTrail audit)
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
        db.Invitations.Add(invitation);
        await using var transaction = await AuditTrail.BeginAsync(db, cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        await audit.WriteAsync(db, AuditActions.MemberInvite, invitation.TenantId, invitation.Id.ToString(), null,
            new { email = invitation.Email, role = invitation.Role.ToString(), expiresAt = invitation.ExpiresAt }, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return Result<CreatedInvitation>.Success(new CreatedInvitation(invitation.Id, token, invitation.ExpiresAt));
    }
}
