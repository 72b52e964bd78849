using Platform.Domain.Common;

namespace Platform.Data;

/// <summary>
/// The scoped <see cref="ICurrentTenant"/> registered by AddPlatformData: the host sets it once per
/// request (from the signed-in user and the tenant they switched to) before any query runs. A host
/// with its own notion of the current tenant registers its own ICurrentTenant first instead.
/// </summary>
public sealed class CurrentTenant : ICurrentTenant
{
    public Guid? TenantId { get; private set; }

    public Guid? UserId { get; private set; }

    public void Set(Guid? tenantId, Guid? userId)
    {
        TenantId = tenantId;
        UserId = userId;
    }
}
