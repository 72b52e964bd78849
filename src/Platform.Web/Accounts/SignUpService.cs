using Hangfire;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Platform.Data;
using Platform.Data.Identity;
using Platform.Domain.Tenants;
using Platform.Web.Accounts.Mail;

namespace Platform.Web.Accounts;

/// <summary>
/// The sign-up form's post. It tells nobody whether the email has an account (docs/security.md,
/// finding 9): every valid post does the same work, whatever the address (the checks, one password
/// hash, one row in <c>sign_up_requests</c>), and gets the same "check your inbox" answer. The
/// account is created, or the existing owner told by mail, by <see cref="SignUpRequestProcessor"/>
/// in the background.
/// </summary>
public sealed class SignUpService(
    PlatformDbContext db,
    UserManager<ApplicationUser> users,
    IBackgroundJobClient backgroundJobs,
    TimeProvider time,
    ILogger<SignUpService> logger)
{
    /// <summary>
    /// Returns the messages to show; empty when the sign-up was received (the answer is then "check your inbox").
    /// With an open invitation's token the account joins that organisation and creates none.
    /// </summary>
    public async Task<IReadOnlyList<string>> SignUpAsync(string organisation, string email, string password, CancellationToken cancellationToken = default,
        string? invitationToken = null)
    {
        string? invitationHash = null;
        if (invitationToken is not null)
        {
            invitationHash = Invitation.HashToken(invitationToken.Trim());
            // The token is the proof of access, as on the invitation page; this says nothing about the email.
            var open = await db.Invitations.IgnoreQueryFilters()
                .AnyAsync(i => i.TokenHash == invitationHash && i.AcceptedAt == null && i.ExpiresAt > time.GetUtcNow(), cancellationToken);
            if (!open)
                return ["This invitation has expired or was already used: ask the organisation's owner for a new link."];
            organisation = "";
        }
        // Only refusals that do not depend on whether the address has an account: they are the same for anyone.
        var candidate = new ApplicationUser { Id = Guid.CreateVersion7(), UserName = email, Email = email, CreatedAt = time.GetUtcNow() };
        var errors = new List<string>();
        foreach (var validator in users.UserValidators)
        {
            var result = await validator.ValidateAsync(users, candidate);
            errors.AddRange(result.Errors
                .Where(e => e.Code is not (nameof(IdentityErrorDescriber.DuplicateUserName) or nameof(IdentityErrorDescriber.DuplicateEmail)))
                .Select(e => e.Description));
        }
        if (invitationHash is null && Tenant.Create(organisation, TenantSlug.FromName(organisation), time.GetUtcNow()) is { IsSuccess: false } refusedName)
            errors.Add(refusedName.Error!);
        if (errors.Count > 0)
            return errors;
        foreach (var validator in users.PasswordValidators)
        {
            var result = await validator.ValidateAsync(users, candidate, password);
            if (!result.Succeeded)
                return result.Errors.Select(e => e.Description).ToList();
        }
        // The email is checked by the password validators with the account; the organisation is known only here.
        if (Passwords.PasswordPolicy.Refusal(password, email: null, organisation) is { } refusal)
            return [refusal];

        var hash = users.PasswordHasher.HashPassword(candidate, password);
        await db.Database.ExecuteSqlAsync($"""
            INSERT INTO sign_up_requests (id, email, organisation, password_hash, created_at, invitation_token_hash)
            VALUES ({Guid.CreateVersion7()}, {email}, {organisation.Trim()}, {hash}, {time.GetUtcNow()}, {invitationHash})
            """, cancellationToken);
        AccountMailJobs.Kick(backgroundJobs, logger);
        return [];
    }
}
