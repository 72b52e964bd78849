using Hangfire.Dashboard;
using Platform.Data.Identity;

namespace Platform.Web.Background;

/// <summary>
/// The dashboard is for platform admins only: it shows every tenant's billing work and lets its user
/// trigger, retry and delete jobs. The endpoint also requires the PlatformAdmin policy (so a browser
/// is sent to sign in); this filter is Hangfire's own check of the same role, should the dashboard
/// ever be mapped without it. Hangfire answers 401 (not signed in) or 403 (another role).
/// </summary>
internal sealed class PlatformAdminDashboardFilter : IDashboardAuthorizationFilter
{
    public bool Authorize(DashboardContext context) =>
        context.GetHttpContext().User is { Identity.IsAuthenticated: true } user && user.IsInRole(PlatformRoles.PlatformAdmin);
}
