using Microsoft.EntityFrameworkCore;
using Platform.Domain.Tenants;

namespace Platform.Data.Tenants;

public enum InvitationState
{
    Open,
    Expired,
    Used,
}

/// <summary>What an invitation link offers, shown before the invitee accepts.</summary>
public sealed record InvitationPreview(string Organisation, TenantRole Role, string Email, string? InvitedBy,
    DateTimeOffset ExpiresAt, InvitationState State);

/// <summary>
/// Reads an invitation by its token for the accept page, before sign-in. As with accepting, the token
/// is the proof of access: whoever holds the link may see which organisation it is for, nothing more.
/// Null for a token that matches no invitation.
/// </summary>
public sealed class GetInvitationPreviewQuery(PlatformDbContext db, TimeProvider time)
{
    public async Task<InvitationPreview?> ExecuteAsync(string token, CancellationToken cancellationToken = default)
    {
        var hash = Invitation.HashToken(token.Trim());
        var row = await (
            from i in db.Invitations.IgnoreQueryFilters()
            join t in db.Tenants.IgnoreQueryFilters() on i.TenantId equals t.Id
            join u in db.Users on i.CreatedByUserId equals u.Id into inviters
            from u in inviters.DefaultIfEmpty()
            where i.TokenHash == hash
            select new { Organisation = t.Name, i.Role, i.Email, InvitedBy = u == null ? null : u.Email, i.ExpiresAt, i.AcceptedAt })
            .FirstOrDefaultAsync(cancellationToken);
        if (row is null)
        {
            return null;
        }
        var state = row.AcceptedAt is not null ? InvitationState.Used
            : time.GetUtcNow() >= row.ExpiresAt ? InvitationState.Expired
            : InvitationState.Open;
        return new InvitationPreview(row.Organisation, row.Role, row.Email, row.InvitedBy, row.ExpiresAt, state);
    }
}
