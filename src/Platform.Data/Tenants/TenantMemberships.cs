using Microsoft.EntityFrameworkCore;
using Platform.Domain.Common;
using Platform.Domain.Tenants;

namespace Platform.Data.Tenants;

/// <summary>A membership an owner changes, and the tenant's owner count the last-owner rule needs.</summary>
internal sealed record LockedMembership(TenantMembership Membership, int Owners);

/// <summary>Reads a tenant's memberships for an owner's change to one of them.</summary>
internal static class TenantMemberships
{
    /// <summary>
    /// <paramref name="userId"/>'s membership of the current tenant, with every membership of the tenant
    /// locked until the caller's transaction ends. Two owners demoting or removing each other at once then
    /// take turns, and the second sees the first's change: the actor must still be an owner, and the
    /// owners are counted from the locked rows, so the last-owner rule cannot be raced.
    /// </summary>
    public static async Task<Result<LockedMembership>> LockAsync(PlatformDbContext db, ICurrentTenant current, Guid userId,
        CancellationToken cancellationToken)
    {
        var allowed = await TenantGuard.RequireOwnerAsync(db, current, cancellationToken);
        if (!allowed.IsSuccess)
        {
            return Result<LockedMembership>.From(allowed);
        }
        // A context that outlives one change (a portal circuit's) may track rows read before: EF would hand
        // those back unchanged instead of the locked rows' current values.
        foreach (var entry in db.ChangeTracker.Entries<TenantMembership>().ToList())
            entry.State = EntityState.Detached;
        var memberships = await db.TenantMemberships
            .FromSqlInterpolated($"SELECT * FROM tenant_memberships WHERE tenant_id = {current.TenantId!.Value} ORDER BY user_id FOR UPDATE")
            .ToListAsync(cancellationToken);
        if (memberships.FirstOrDefault(m => m.UserId == current.UserId)?.Role != TenantRole.Owner)
        {
            return Result<LockedMembership>.Forbidden("Only an owner of the organisation can do this.");
        }
        return memberships.FirstOrDefault(m => m.UserId == userId) is { } membership
            ? Result.Success(new LockedMembership(membership, memberships.Count(m => m.Role == TenantRole.Owner)))
            : Result<LockedMembership>.NotFound("That person is not a member of this organisation.");
    }
}
