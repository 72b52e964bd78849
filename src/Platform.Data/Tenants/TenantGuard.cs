using Microsoft.EntityFrameworkCore;
using Platform.Domain.Common;
using Platform.Domain.Tenants;

namespace Platform.Data.Tenants;

/// <summary>Checks shared by tenant commands: who may act, and whether the tenant may write.</summary>
internal static class TenantGuard
{
    public static async Task<Result> RequireOwnerAsync(PlatformDbContext db, ICurrentTenant current, CancellationToken cancellationToken)
    {
        if (current.TenantId is null || current.UserId is not { } userId)
        {
            return Result.Forbidden("Select an organisation first.");
        }
        var role = await db.TenantMemberships.Where(m => m.UserId == userId).Select(m => (TenantRole?)m.Role).FirstOrDefaultAsync(cancellationToken);
        return role == TenantRole.Owner ? Result.Success() : Result.Forbidden("Only an owner of the organisation can do this.");
    }

    public static async Task<Result> RequireMemberAsync(PlatformDbContext db, ICurrentTenant current, CancellationToken cancellationToken)
    {
        if (current.TenantId is null || current.UserId is not { } userId)
        {
            return Result.Forbidden("Select an organisation first.");
        }
        return await db.TenantMemberships.AnyAsync(m => m.UserId == userId, cancellationToken)
            ? Result.Success()
            : Result.Forbidden("You are not a member of this organisation.");
    }

    /// <summary>Uploads and launches: the user must belong to the tenant and the tenant must not be suspended.</summary>
    public static async Task<Result> RequireWritableAsync(PlatformDbContext db, ICurrentTenant current, CancellationToken cancellationToken)
    {
        var member = await RequireMemberAsync(db, current, cancellationToken);
        if (!member.IsSuccess)
        {
            return member;
        }
        var tenant = await db.Tenants.AsNoTracking().FirstAsync(t => t.Id == current.TenantId, cancellationToken);
        return tenant.EnsureCanWrite();
    }
}
