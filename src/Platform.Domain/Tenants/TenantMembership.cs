using Platform.Domain.Common;

namespace Platform.Domain.Tenants;

/// <summary>A user's place in a tenant; a user may belong to several tenants.</summary>
public sealed class TenantMembership
{
    private TenantMembership()
    {
    }

    public TenantMembership(Guid tenantId, Guid userId, TenantRole role, DateTimeOffset now)
    {
        TenantId = tenantId;
        UserId = userId;
        Role = role;
        CreatedAt = now;
    }

    public Guid TenantId { get; private set; }

    public Guid UserId { get; private set; }

    public TenantRole Role { get; private set; }

    public DateTimeOffset CreatedAt { get; private set; }

    /// <summary>
    /// Makes this member an owner or a plain member. An organisation always keeps an owner (someone who can
    /// manage members and billing), so the last owner cannot step down; <paramref name="owners"/> is the
    /// organisation's owner count read under a lock on its memberships.
    /// </summary>
    public Result ChangeRole(TenantRole role, int owners)
    {
        if (!Enum.IsDefined(role))
        {
            return Result.BadRequest("Unknown role.");
        }
        if (role != TenantRole.Owner)
        {
            var kept = KeepsAnOwner(owners, "made a member");
            if (!kept.IsSuccess)
            {
                return kept;
            }
        }
        Role = role;
        return Result.Success();
    }

    /// <summary>Whether this membership may end: not when it is the organisation's last owner.</summary>
    public Result CanBeRemoved(int owners) => KeepsAnOwner(owners, "removed");

    // The one place the last-owner rule lives: removal and demotion both ask it.
    private Result KeepsAnOwner(int owners, string what) =>
        Role == TenantRole.Owner && owners <= 1
            ? Result.Conflict($"The last owner cannot be {what}: make someone else an owner first.")
            : Result.Success();
}
