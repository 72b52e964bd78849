using Platform.Data.Tenants;
using Platform.Domain.Tenants;

namespace Platform.Web.Accounts;

/// <summary>
/// Who is signed in and in which tenant, resolved once per request by <see cref="TenantResolutionMiddleware"/>
/// after the membership was re-checked against the database.
/// </summary>
public sealed class PortalSession
{
    public Guid? UserId { get; internal set; }

    public string? Email { get; internal set; }

    public bool IsPlatformAdmin { get; internal set; }

    public bool IsFinance { get; internal set; }

    public MyTenant? Tenant { get; internal set; }

    public IReadOnlyList<MyTenant> Tenants { get; internal set; } = [];

    public bool IsSignedIn => UserId is not null;

    public bool IsOwner => Tenant?.Role == TenantRole.Owner;

    public bool IsSuspended => Tenant?.Status == TenantStatus.Suspended;
}
