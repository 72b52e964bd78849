using Microsoft.EntityFrameworkCore;
using Platform.Domain.Tenants;

namespace Platform.Data.Tenants;

/// <summary>Reads a tenant's memberships for a change to one of them.</summary>
internal static class TenantMemberships
{
    /// <summary>
    /// Every membership of <paramref name="tenantId"/>, locked until the caller's transaction ends. Two
    /// owners demoting or removing each other at once then take turns, and the second sees the first's
    /// change when it counts the owners: the last-owner rule cannot be raced.
    /// </summary>
    public static Task<List<TenantMembership>> LockAsync(PlatformDbContext db, Guid tenantId, CancellationToken cancellationToken)
    {
        // A context that outlives one change (a portal circuit's) may track rows read before: EF would hand
        // those back unchanged instead of the locked rows' current values.
        foreach (var entry in db.ChangeTracker.Entries<TenantMembership>().ToList())
            entry.State = EntityState.Detached;
        return db.TenantMemberships
            .FromSqlInterpolated($"SELECT * FROM tenant_memberships WHERE tenant_id = {tenantId} ORDER BY user_id FOR UPDATE")
            .ToListAsync(cancellationToken);
    }
}
