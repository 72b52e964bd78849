namespace Platform.Data.Tenants;

/// <summary>
/// Mails an invitation's link to the invitee. <see cref="QueueAsync"/> runs inside the transaction that
/// writes the invitation, so a mail is never sent for an invitation that was rolled back; the host
/// sends it afterwards (<see cref="Sent"/> is the moment to hurry the sender along).
/// </summary>
public interface IInvitationMail
{
    Task QueueAsync(PlatformDbContext db, InvitationMessage message, CancellationToken cancellationToken);

    /// <summary>Called after the commit: the mail may leave now.</summary>
    void Sent();
}

public sealed record InvitationMessage(string Email, string Organisation, string? InvitedBy, string Role, string Token, DateTimeOffset ExpiresAt);
