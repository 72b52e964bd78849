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
}
