using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Platform.Data;
using Platform.Data.Identity;
using Platform.Data.Tenants;
using Platform.Web.Accounts.Mail;

namespace Platform.Web.Accounts;

/// <summary>
/// Turns received sign-ups into accounts, one at a time: a new address gets its user, its
/// organisation (on the sign-up plan) and a confirmation link; an address that has an account gets a
/// "someone tried to sign up with your address" mail instead, and nothing else changes. The mail goes
/// through the outbox in the same transaction.
/// </summary>
public sealed class SignUpRequestProcessor(
    PlatformDbContext db,
    UserManager<ApplicationUser> users,
    CreateTenantForNewUserCommand createTenant,
    AssignSignUpPlanCommand assignPlan,
    EmailConfirmation confirmation,
    EmailOutbox outbox,
    Microsoft.Extensions.Options.IOptions<MailOptions> mail,
    TimeProvider time,
    ILogger<SignUpRequestProcessor> logger)
{
    /// <summary>A request failing this often (the database refusing it each time) is left for an operator.</summary>
    private const int MaxAttempts = 5;

    /// <summary>Processes every pending sign-up; returns how many were.</summary>
    public async Task<int> ProcessPendingAsync(CancellationToken cancellationToken)
    {
        var processed = 0;
        while (await ProcessOneAsync(cancellationToken) is { } done)
        {
            if (done)
                processed++;
        }
        return processed;
    }

    /// <summary>Null when none is pending; true when one was processed, false when it failed (and was counted).</summary>
    private async Task<bool?> ProcessOneAsync(CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        // Locked and skipped by other runs: two servers never create one account twice.
        var request = (await db.Database.SqlQuery<PendingSignUp>($"""
            SELECT id AS "Id", email AS "Email", organisation AS "Organisation", password_hash AS "PasswordHash",
                   invitation_token_hash AS "InvitationTokenHash"
            FROM sign_up_requests WHERE attempts < {MaxAttempts}
            ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED
            """).ToListAsync(cancellationToken)) is [var pending] ? pending : null;
        if (request is null)
            return null;
        Guid? newTenant = null;
        try
        {
            var existing = await users.FindByEmailAsync(request.Email);
            if (existing is not null)
                await MailExistingOwnerAsync(existing, cancellationToken);
            else
                newTenant = await CreateAccountAsync(request, cancellationToken);
            await db.Database.ExecuteSqlAsync($"DELETE FROM sign_up_requests WHERE id = {request.Id}", cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // A concurrent sign-up for the same address, the database refusing: counted and tried again
            // on the next run (a duplicate then finds the account and mails its owner).
            await transaction.RollbackAsync(cancellationToken);
            db.ChangeTracker.Clear();
            logger.LogWarning(ex, "Sign-up request {Id} not processed; it is tried again", request.Id);
            var error = ex.Message.Length > 2000 ? ex.Message[..2000] : ex.Message;
            await db.Database.ExecuteSqlAsync(
                $"UPDATE sign_up_requests SET attempts = attempts + 1, last_error = {error} WHERE id = {request.Id}", cancellationToken);
            return false;
        }
        // After the commit: billing works on its own connection, which must see the new organisation.
        if (newTenant is { } tenantId)
            await assignPlan.ExecuteAsync(tenantId, cancellationToken);
        return true;
    }

    private async Task<Guid?> CreateAccountAsync(PendingSignUp request, CancellationToken cancellationToken)
    {
        var user = new ApplicationUser
        {
            Id = Guid.CreateVersion7(), UserName = request.Email, Email = request.Email, CreatedAt = time.GetUtcNow(),
            // Hashed when the form was posted: the password itself was never stored.
            PasswordHash = request.PasswordHash,
        };
        var created = await users.CreateAsync(user);
        if (!created.Succeeded)
            throw new InvalidOperationException(string.Join(" ", created.Errors.Select(e => e.Description)));
        if (request.InvitationTokenHash is { } invitationHash)
        {
            await JoinInvitingOrganisationAsync(user, invitationHash, cancellationToken);
            await confirmation.IssueAsync(user.Id, request.Email, cancellationToken);
            return null;
        }
        var tenant = await createTenant.ExecuteAsync(user.Id, request.Organisation, cancellationToken);
        if (!tenant.IsSuccess)
            throw new InvalidOperationException(tenant.Error);
        await confirmation.IssueAsync(user.Id, request.Email, cancellationToken);
        logger.LogInformation("Signed up {UserId} with organisation {TenantId}", user.Id, tenant.Value.Id);
        return tenant.Value.Id;
    }

    /// <summary>
    /// The invitee's account joins the organisation that invited it, and creates none. An invitation used
    /// or expired since the form was posted leaves the account without an organisation: its owner signs in
    /// and asks for a new link (the portal says so), rather than finding an organisation nobody wanted.
    /// </summary>
    private async Task JoinInvitingOrganisationAsync(ApplicationUser user, string invitationHash, CancellationToken cancellationToken)
    {
        var invitation = await db.Invitations.IgnoreQueryFilters().FirstOrDefaultAsync(i => i.TokenHash == invitationHash, cancellationToken);
        if (invitation is null || !invitation.Accept(user.Id, time.GetUtcNow()).IsSuccess)
        {
            logger.LogInformation("Signed up {UserId} from an invitation no longer open; no organisation joined", user.Id);
            return;
        }
        db.TenantMemberships.Add(new Platform.Domain.Tenants.TenantMembership(invitation.TenantId, user.Id, invitation.Role, time.GetUtcNow()));
        await db.SaveChangesAsync(cancellationToken);
        logger.LogInformation("Signed up {UserId} into organisation {TenantId} by invitation", user.Id, invitation.TenantId);
    }

    private Task MailExistingOwnerAsync(ApplicationUser existing, CancellationToken cancellationToken)
    {
        var signIn = $"{mail.Value.PortalUrl.TrimEnd('/')}/account/sign-in";
        var unconfirmed = existing.EmailConfirmed ? "" : $"""


            Your address is not confirmed yet: after signing in, ask for a new confirmation link at
            {mail.Value.PortalUrl.TrimEnd('/')}{EmailConfirmation.PagePath}.
            """;
        return outbox.AddAsync(db, existing.Email!, "Someone tried to sign up with your address", $"""
            Someone (perhaps you) tried to create a new Platform account with this email address.
            You already have an account, so nothing was created and nothing about your account changed.

            To use your account, sign in: {signIn}{unconfirmed}

            If it was not you, you can ignore this mail.
            """, signIn, cancellationToken);
    }

    private sealed class PendingSignUp
    {
        public Guid Id { get; init; }
        public string Email { get; init; } = "";
        public string Organisation { get; init; } = "";
        public string PasswordHash { get; init; } = "";
        public string? InvitationTokenHash { get; init; }
    }
}
