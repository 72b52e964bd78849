using Platform.Domain.Common;

namespace Platform.Testing;

/// <summary>An <see cref="ICurrentTenant"/> a test sets directly.</summary>
public sealed class TestTenant(Guid? tenantId = null, Guid? userId = null) : ICurrentTenant
{
    public Guid? TenantId { get; set; } = tenantId;

    public Guid? UserId { get; set; } = userId;
}
