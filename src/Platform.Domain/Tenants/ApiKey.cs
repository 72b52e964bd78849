using System.Security.Cryptography;
using System.Text;
using Platform.Domain.Common;

namespace Platform.Domain.Tenants;

/// <summary>
/// A tenant's key for the REST API. Only a SHA-256 hash of the secret is kept; the plain key is shown
/// once, at creation. The prefix (the key's first part) finds the row without scanning hashes.
/// Format: "pk_{prefix}_{secret}", prefix 12 hex characters, secret 43 URL-safe base64 characters.
/// </summary>
public sealed class ApiKey
{
    public const int NameMaxLength = 100;
    public const int PrefixLength = 12;
    public const int HashLength = 64;

    private ApiKey()
    {
        Name = "";
        Prefix = "";
        SecretHash = "";
    }

    public Guid Id { get; private set; }

    public Guid TenantId { get; private set; }

    public string Name { get; private set; }

    public string Prefix { get; private set; }

    public string SecretHash { get; private set; }

    public Guid CreatedByUserId { get; private set; }

    public DateTimeOffset CreatedAt { get; private set; }

    public DateTimeOffset? LastUsedAt { get; private set; }

    public DateTimeOffset? RevokedAt { get; private set; }

    public bool IsRevoked => RevokedAt is not null;

    public static Result<(ApiKey Key, string PlainText)> Create(Guid tenantId, string name, Guid userId, DateTimeOffset now)
    {
        name = name.Trim();
        if (DisplayName.Check(name, "The key name", NameMaxLength) is { } invalid)
            return Result<(ApiKey, string)>.BadRequest(invalid);
        var prefix = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(PrefixLength / 2));
        var secret = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var plain = $"pk_{prefix}_{secret}";
        var key = new ApiKey
        {
            Id = Guid.CreateVersion7(now),
            TenantId = tenantId,
            Name = name,
            Prefix = prefix,
            SecretHash = Hash(plain),
            CreatedByUserId = userId,
            CreatedAt = now,
        };
        return Result<(ApiKey, string)>.Success((key, plain));
    }

    /// <summary>The prefix of a presented key, or null when it is not shaped like one of ours.</summary>
    public static string? PrefixOf(string presented) =>
        presented.Length > 3 + PrefixLength + 1 && presented.StartsWith("pk_", StringComparison.Ordinal) && presented[3 + PrefixLength] == '_'
            ? presented.Substring(3, PrefixLength)
            : null;

    /// <summary>Constant-time comparison, so response times say nothing about how much of a guess was right.</summary>
    public bool Matches(string presented) =>
        !IsRevoked && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Hash(presented)), Encoding.ASCII.GetBytes(SecretHash));

    public void Revoke(DateTimeOffset now) => RevokedAt ??= now;

    public void MarkUsed(DateTimeOffset now) => LastUsedAt = now;

    private static string Hash(string plain) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(plain)));
}
