using System.Security.Cryptography;
using System.Text;
using Platform.Domain.Common;

namespace Platform.Domain.Tenants;

/// <summary>
/// An invitation to join a tenant, delivered as a link the owner copies. Only the SHA-256 of the
/// token is stored, so a database leak does not hand out working links.
/// </summary>
public sealed class Invitation
{
    public const int EmailMaxLength = 256;
    public const int TokenHashLength = 64;

    private Invitation()
    {
        Email = "";
        TokenHash = "";
    }

    public Guid Id { get; private set; }

    public Guid TenantId { get; private set; }

    public string Email { get; private set; }

    public TenantRole Role { get; private set; }

    public string TokenHash { get; private set; }

    public DateTimeOffset ExpiresAt { get; private set; }

    public DateTimeOffset? AcceptedAt { get; private set; }

    public Guid? AcceptedByUserId { get; private set; }

    public Guid CreatedByUserId { get; private set; }

    public DateTimeOffset CreatedAt { get; private set; }

    /// <summary>Creates an invitation and returns the plain token, which exists only in the link.</summary>
    public static Result<(Invitation Invitation, string Token)> Create(
        Guid tenantId, string email, TenantRole role, Guid createdByUserId, DateTimeOffset now, TimeSpan lifetime)
    {
        email = email.Trim();
        if (email.Length is 0 or > EmailMaxLength || !email.Contains('@', StringComparison.Ordinal))
        {
            return Result<(Invitation, string)>.BadRequest("Enter the email address of the person to invite.");
        }
        if (lifetime <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(lifetime), "An invitation must live for some time.");
        }
        var token = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))
            .TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var invitation = new Invitation
        {
            Id = Guid.CreateVersion7(now),
            TenantId = tenantId,
            Email = email,
            Role = role,
            TokenHash = HashToken(token),
            ExpiresAt = now + lifetime,
            CreatedByUserId = createdByUserId,
            CreatedAt = now,
        };
        return Result<(Invitation, string)>.Success((invitation, token));
    }

    public static string HashToken(string token) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    public bool IsExpired(DateTimeOffset now) => now >= ExpiresAt;

    public bool IsAccepted => AcceptedAt is not null;

    public Result Accept(Guid userId, DateTimeOffset now)
    {
        if (IsAccepted)
        {
            return Result.Conflict("This invitation has already been used.");
        }
        if (IsExpired(now))
        {
            return Result.BadRequest("This invitation has expired: ask for a new one.");
        }
        AcceptedAt = now;
        AcceptedByUserId = userId;
        return Result.Success();
    }
}
