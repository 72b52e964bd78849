using System.Security.Claims;
using Platform.Data;
using Platform.Data.Identity;
using Platform.Data.Tenants;

namespace Platform.Web.Accounts;

/// <summary>
/// Resolves the signed-in user's tenant for this request: the one in the tenant cookie if the user
/// is still a member of it, else their first tenant. Runs between authentication and authorization
/// so that policies and every tenant-scoped query see the same, freshly checked tenant.
/// </summary>
internal sealed class TenantResolutionMiddleware(RequestDelegate next)
{
    public async Task InvokeAsync(HttpContext context, CurrentTenant currentTenant, PortalSession session, ListMyTenantsQuery myTenants)
    {
        // Static files need no tenant; skipping them saves a database round trip per asset.
        if (context.User.Identity?.IsAuthenticated == true
            && !Path.HasExtension(context.Request.Path.Value)
            && Guid.TryParse(context.User.FindFirstValue(ClaimTypes.NameIdentifier), out var userId))
        {
            currentTenant.Set(tenantId: null, userId);
            var tenants = await myTenants.ExecuteAsync(context.RequestAborted);
            var preferred = TenantCookie.Read(context);
            var tenant = tenants.FirstOrDefault(t => t.TenantId == preferred) ?? tenants.FirstOrDefault();
            currentTenant.Set(tenant?.TenantId, userId);
            session.UserId = userId;
            session.Email = context.User.FindFirstValue(ClaimTypes.Email) ?? context.User.Identity.Name;
            session.IsPlatformAdmin = context.User.IsInRole(PlatformRoles.PlatformAdmin);
            session.IsFinance = context.User.IsInRole(PlatformRoles.Finance);
            session.Tenants = tenants;
            session.Tenant = tenant;
        }
        await next(context);
    }
}
