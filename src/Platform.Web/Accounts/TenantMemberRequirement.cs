using Microsoft.AspNetCore.Authorization;

namespace Platform.Web.Accounts;

/// <summary>Met when the request resolved to a tenant the user belongs to (checked against the database).</summary>
internal sealed class TenantMemberRequirement : IAuthorizationRequirement;

internal sealed class TenantMemberHandler(PortalSession session) : AuthorizationHandler<TenantMemberRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, TenantMemberRequirement requirement)
    {
        if (session.Tenant is not null)
        {
            context.Succeed(requirement);
        }
        return Task.CompletedTask;
    }
}
