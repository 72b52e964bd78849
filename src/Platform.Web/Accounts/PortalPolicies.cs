using Platform.Data.Identity;

namespace Platform.Web.Accounts;

public static class PortalPolicies
{
    /// <summary>Signed in and a member of the tenant the request resolved to.</summary>
    public const string TenantMember = "TenantMember";

    public const string PlatformAdmin = "PlatformAdmin";

    /// <summary>Finance users; platform admins may look too.</summary>
    public const string Finance = "Finance";

    public static void Add(Microsoft.AspNetCore.Authorization.AuthorizationBuilder authorization) => authorization
        .AddPolicy(TenantMember, p => p.RequireAuthenticatedUser().AddRequirements(new TenantMemberRequirement()))
        .AddPolicy(PlatformAdmin, p => p.RequireRole(PlatformRoles.PlatformAdmin))
        .AddPolicy(Finance, p => p.RequireRole(PlatformRoles.Finance, PlatformRoles.PlatformAdmin));
}
