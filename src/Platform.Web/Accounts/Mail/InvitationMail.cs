using Hangfire;
using Microsoft.Extensions.Options;
using Platform.Data;
using Platform.Data.Tenants;

namespace Platform.Web.Accounts.Mail;

/// <summary>The invitation mail, through the account outbox (SMTP, or the pickup directory in development).</summary>
public sealed class InvitationMail(EmailOutbox outbox, IOptions<MailOptions> options, IBackgroundJobClient backgroundJobs,
    ILogger<InvitationMail> logger) : IInvitationMail
{
    public Task QueueAsync(PlatformDbContext db, InvitationMessage message, CancellationToken cancellationToken)
    {
        var link = $"{options.Value.PortalUrl.TrimEnd('/')}/invitations/{Uri.EscapeDataString(message.Token)}";
        return outbox.AddAsync(db, message.Email, $"You are invited to join {message.Organisation} on Platform", $"""
            {message.InvitedBy ?? "An owner"} invited you to join {message.Organisation} on Platform as {message.Role}.

            Accept the invitation:

            {link}

            Without an account yet, create one from that page: you join {message.Organisation} directly.
            The link works once and expires on {message.ExpiresAt.UtcDateTime:d MMM yyyy HH:mm} UTC.
            If you did not expect this invitation, ignore this mail.
            """, link, cancellationToken);
    }

    public void Sent() => AccountMailJobs.Kick(backgroundJobs, logger);
}
