using Platform.Domain.Tenants;

namespace Platform.Data.Tenants;

/// <summary>A tenant the current user belongs to (the tenant switcher).</summary>
public sealed record MyTenant(Guid TenantId, string Name, string Slug, TenantRole Role, TenantStatus Status, string? SuspensionReason);

public sealed record Member(Guid UserId, string? Email, string? DisplayName, TenantRole Role, DateTimeOffset JoinedAt);

public sealed record PendingInvitation(Guid Id, string Email, TenantRole Role, DateTimeOffset ExpiresAt, DateTimeOffset CreatedAt);

/// <summary>The link token exists only here: show it once, it is stored hashed.</summary>
public sealed record CreatedInvitation(Guid InvitationId, string Token, DateTimeOffset ExpiresAt);

/// <summary>A row of the platform admin's tenant list.</summary>
public sealed record TenantSummary(
    Guid Id, string Name, string Slug, TenantStatus Status, string? SuspensionReason, DateTimeOffset CreatedAt, int MemberCount, int DatasetCount);
