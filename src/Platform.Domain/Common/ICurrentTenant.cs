namespace Platform.Domain.Common;

/// <summary>
/// The tenant and user an operation acts for. Every tenant-owned query and command reads the tenant
/// from here, never from its arguments, so a caller cannot reach another tenant's rows by passing an id.
/// </summary>
public interface ICurrentTenant
{
    /// <summary>Null when no tenant is selected (signed out, or a platform-wide page).</summary>
    Guid? TenantId { get; }

    Guid? UserId { get; }
}
