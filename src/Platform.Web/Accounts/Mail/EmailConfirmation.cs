using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Platform.Data;

namespace Platform.Web.Accounts.Mail;

/// <summary>
/// Confirmation links: a random token mailed to the address, only its SHA-256 stored; it works once,
/// until it expires (<see cref="MailOptions.ConfirmationLifetime"/>). A confirmed email is what lets a
/// user launch jobs (LaunchChecks).
/// </summary>
public sealed class EmailConfirmation(PlatformDbContext db, EmailOutbox outbox, IOptions<MailOptions> options, TimeProvider time)
{
    public const string PagePath = "/account/confirm-email";

    public enum ResendResult { Sent, AlreadyConfirmed, TooSoon }

    /// <summary>Issues a token for the user and puts its mail in the outbox, in <paramref name="db"/>'s current transaction.</summary>
    public async Task IssueAsync(Guid userId, string email, CancellationToken cancellationToken)
    {
        var token = RandomNumberGenerator.GetBytes(32);
        var now = time.GetUtcNow();
        await db.Database.ExecuteSqlAsync($"""
            INSERT INTO email_confirmation_tokens (token_hash, user_id, email, created_at, expires_at)
            VALUES ({SHA256.HashData(token)}, {userId}, {email}, {now}, {now + options.Value.ConfirmationLifetime})
            """, cancellationToken);
        var link = $"{options.Value.PortalUrl.TrimEnd('/')}{PagePath}?token={Base64Url(token)}";
        var hours = (int)Math.Round(options.Value.ConfirmationLifetime.TotalHours);
        await outbox.AddAsync(db, email, "Confirm your email address", $"""
            Welcome to Platform.

            Confirm your email address to start training models:

            {link}

            The link works once, for {(hours >= 1 ? $"{hours} hour{(hours == 1 ? "" : "s")}" : $"{(int)options.Value.ConfirmationLifetime.TotalMinutes} minutes")}. If it has expired, sign in and ask for a new one.
            If you did not create an account, ignore this mail.
            """, link, cancellationToken);
    }

    /// <summary>A new link for a signed-in user whose email is not confirmed yet; at most one per <see cref="MailOptions.ResendInterval"/>.</summary>
    public async Task<ResendResult> ResendAsync(Guid userId, CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        // The user row locked: two clicks at once send one mail.
        var user = await db.Users.FromSql($"SELECT * FROM users WHERE id = {userId} FOR UPDATE").AsNoTracking()
            .SingleOrDefaultAsync(cancellationToken);
        if (user?.Email is null || user.EmailConfirmed)
            return ResendResult.AlreadyConfirmed;
        var since = time.GetUtcNow() - options.Value.ResendInterval;
        var recent = await db.Database.SqlQuery<int>(
                $"SELECT count(*)::int AS \"Value\" FROM email_confirmation_tokens WHERE user_id = {userId} AND created_at > {since}")
            .SingleAsync(cancellationToken);
        if (recent > 0)
            return ResendResult.TooSoon;
        await IssueAsync(userId, user.Email, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return ResendResult.Sent;
    }

    /// <summary>Uses the token: true when it was valid (unused, unexpired, still the user's address) and the email is now confirmed.</summary>
    public async Task<bool> ConfirmAsync(string? token, CancellationToken cancellationToken)
    {
        if (Parse(token) is not { } bytes)
            return false;
        var hash = SHA256.HashData(bytes);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        // Used once: the update that marks it used is also the check that it was not.
        var users = await db.Database.SqlQuery<Guid>($"""
            UPDATE email_confirmation_tokens t SET used_at = {time.GetUtcNow()}
            FROM users u
            WHERE t.token_hash = {hash} AND t.used_at IS NULL AND t.expires_at > {time.GetUtcNow()}
              AND u.id = t.user_id AND u.email = t.email
            RETURNING t.user_id AS "Value"
            """).ToListAsync(cancellationToken);
        if (users.Count == 0)
            return false;
        await db.Database.ExecuteSqlAsync($"UPDATE users SET email_confirmed = true WHERE id = {users[0]}", cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    public async Task<bool> IsConfirmedAsync(Guid userId, CancellationToken cancellationToken) =>
        await db.Database.SqlQuery<bool>($"SELECT email_confirmed AS \"Value\" FROM users WHERE id = {userId}")
            .SingleOrDefaultAsync(cancellationToken);

    private static byte[]? Parse(string? token)
    {
        if (string.IsNullOrEmpty(token) || token.Length > 100 || !System.Buffers.Text.Base64Url.IsValid(token))
            return null;
        var bytes = System.Buffers.Text.Base64Url.DecodeFromChars(token);
        return bytes.Length == 32 ? bytes : null;
    }

    private static string Base64Url(byte[] bytes) => System.Buffers.Text.Base64Url.EncodeToString(bytes);
}
