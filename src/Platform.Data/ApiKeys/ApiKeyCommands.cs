using Microsoft.EntityFrameworkCore;
using Platform.Data.Audit;
using Platform.Data.Tenants;
using Platform.Domain.Common;
using Platform.Domain.Tenants;

namespace Platform.Data.ApiKeys;

public sealed record ApiKeyView(Guid Id, string Name, string Prefix, DateTimeOffset CreatedAt, DateTimeOffset? LastUsedAt, DateTimeOffset? RevokedAt);

/// <summary>The plain key is in this result and nowhere else: it is never stored.</summary>
public sealed record CreatedApiKey(Guid Id, string Name, string PlainText);

/// <summary>An owner creates an API key for the current tenant.</summary>
public sealed class CreateApiKeyCommand(PlatformDbContext db, ICurrentTenant current, TimeProvider time, AuditTrail audit)
{
    public async Task<Result<CreatedApiKey>> ExecuteAsync(string name, CancellationToken cancellationToken = default)
    {
        var allowed = await TenantGuard.RequireOwnerAsync(db, current, cancellationToken);
        if (!allowed.IsSuccess)
            return Result<CreatedApiKey>.From(allowed);
        var created = ApiKey.Create(current.TenantId!.Value, name, current.UserId!.Value, time.GetUtcNow());
        if (!created.IsSuccess)
            return Result<CreatedApiKey>.From(created);
        var (key, plain) = created.Value;
        db.ApiKeys.Add(key);
        await using var transaction = await AuditTrail.BeginAsync(db, cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        await audit.WriteAsync(db, AuditActions.ApiKeyCreate, key.TenantId, key.Id.ToString(), null,
            new { name = key.Name, prefix = key.Prefix }, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return Result<CreatedApiKey>.Success(new CreatedApiKey(key.Id, key.Name, plain));
    }
}

public sealed class ListApiKeysQuery(PlatformDbContext db)
{
    public async Task<IReadOnlyList<ApiKeyView>> ExecuteAsync(CancellationToken cancellationToken = default) =>
        await db.ApiKeys.AsNoTracking().OrderByDescending(k => k.CreatedAt)
            .Select(k => new ApiKeyView(k.Id, k.Name, k.Prefix, k.CreatedAt, k.LastUsedAt, k.RevokedAt))
            .ToListAsync(cancellationToken);
}

/// <summary>An owner revokes a key; requests with it are refused from then on.</summary>
public sealed class RevokeApiKeyCommand(PlatformDbContext db, ICurrentTenant current, TimeProvider time, AuditTrail audit)
{
    public async Task<Result> ExecuteAsync(Guid keyId, CancellationToken cancellationToken = default)
    {
        var allowed = await TenantGuard.RequireOwnerAsync(db, current, cancellationToken);
        if (!allowed.IsSuccess)
            return allowed;
        var key = await db.ApiKeys.FirstOrDefaultAsync(k => k.Id == keyId, cancellationToken);
        if (key is null)
            return Result.NotFound("No such API key.");
        var before = new { name = key.Name, prefix = key.Prefix, revokedAt = key.RevokedAt };
        key.Revoke(time.GetUtcNow());
        await using var transaction = await AuditTrail.BeginAsync(db, cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        await audit.WriteAsync(db, AuditActions.ApiKeyRevoke, key.TenantId, key.Id.ToString(), before,
            new { name = key.Name, prefix = key.Prefix, revokedAt = key.RevokedAt }, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return Result.Success();
    }
}

/// <summary>The tenant and creator an API key acts for.</summary>
public sealed record ApiKeyPrincipal(Guid KeyId, Guid TenantId, Guid UserId);

/// <summary>
/// Platform-wide by necessity: a request with a key has no tenant until the key says which. Revoked
/// keys, unknown keys, wrong secrets and keys whose creator is no longer an owner of the tenant all
/// fail the same way.
/// </summary>
public sealed class AuthenticateApiKeyQuery(PlatformDbContext db, TimeProvider time)
{
    // Recording every use would write on every request; a minute's precision is enough to tell
    // whether a key is still in use.
    private static readonly TimeSpan UseRecordInterval = TimeSpan.FromMinutes(1);

    public async Task<ApiKeyPrincipal?> ExecuteAsync(string presented, CancellationToken cancellationToken = default)
    {
        if (ApiKey.PrefixOf(presented) is not { } prefix)
            return null;
        var key = await db.ApiKeys.IgnoreQueryFilters().FirstOrDefaultAsync(k => k.Prefix == prefix, cancellationToken);
        if (key is null || !key.Matches(presented))
            return null;
        // A key acts for the owner who created it: once they are removed from the organisation or are
        // no longer an owner, the key stops working (RemoveMemberCommand also marks it revoked).
        var creatorIsOwner = await db.TenantMemberships.IgnoreQueryFilters().AnyAsync(
            m => m.TenantId == key.TenantId && m.UserId == key.CreatedByUserId && m.Role == TenantRole.Owner, cancellationToken);
        if (!creatorIsOwner)
            return null;
        var now = time.GetUtcNow();
        if (key.LastUsedAt is null || now - key.LastUsedAt > UseRecordInterval)
        {
            key.MarkUsed(now);
            await db.SaveChangesAsync(cancellationToken);
        }
        return new ApiKeyPrincipal(key.Id, key.TenantId, key.CreatedByUserId);
    }
}
