using Microsoft.EntityFrameworkCore;
using Platform.Data.Audit;
using Platform.Domain.Common;
using Platform.Domain.Tenants;

namespace Platform.Data.Tenants;

/// <summary>
/// The signed-in user accepts an invitation link. The invitation belongs to a tenant the user is not
/// in yet, so it is found by its token hash across tenants; the token is the proof of access.
/// Returns the tenant joined, for the host to switch to.
/// </summary>
public sealed class AcceptInvitationCommand(PlatformDbContext db, ICurrentTenant current, TimeProvider time, AuditTrail audit)
{
    public async Task<Result<Guid>> ExecuteAsync(string token, CancellationToken cancellationToken = default)
    {
        if (current.UserId is not { } userId)
        {
            return Result<Guid>.Forbidden("Sign in to accept the invitation.");
        }
        var hash = Invitation.HashToken(token.Trim());
        var invitation = await db.Invitations.IgnoreQueryFilters().FirstOrDefaultAsync(i => i.TokenHash == hash, cancellationToken);
        if (invitation is null)
        {
            return Result<Guid>.NotFound("This invitation link is not valid.");
        }
        var accepted = invitation.Accept(userId, time.GetUtcNow());
        if (!accepted.IsSuccess)
        {
            return Result<Guid>.From(accepted);
        }
        var alreadyMember = await db.TenantMemberships.IgnoreQueryFilters()
            .AnyAsync(m => m.TenantId == invitation.TenantId && m.UserId == userId, cancellationToken);
        if (!alreadyMember)
        {
            db.TenantMemberships.Add(new TenantMembership(invitation.TenantId, userId, invitation.Role, time.GetUtcNow()));
        }
        await using var transaction = await AuditTrail.BeginAsync(db, cancellationToken);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException ex) when (ex.IsUniqueViolation())
        {
            db.ChangeTracker.Clear();
            return Result<Guid>.Conflict("You already joined this organisation.");
        }
        if (!alreadyMember)
            await audit.WriteAsync(db, AuditActions.MemberJoin, invitation.TenantId, userId.ToString(), null,
                new { invitation = invitation.Id, role = invitation.Role.ToString() }, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return Result<Guid>.Success(invitation.TenantId);
    }
}
