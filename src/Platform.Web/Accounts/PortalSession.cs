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

    public TenantChoice? Tenant { get; internal set; }

    public IReadOnlyList<TenantChoice> Tenants { get; internal set; } = [];

    public bool IsSignedIn => UserId is not null;

    public bool IsOwner => Tenant?.IsOwner == true;
}

public sealed record TenantChoice(Guid Id, string Name, bool IsOwner, bool IsSuspended, string? SuspensionReason);
