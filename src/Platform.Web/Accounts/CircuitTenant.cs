using System.Security.Claims;
using Microsoft.AspNetCore.Components.Authorization;
using Platform.Data;
using Platform.Data.Tenants;

namespace Platform.Web.Accounts;

/// <summary>
/// The tenant of an interactive component. A circuit is its own DI scope, which
/// <see cref="TenantResolutionMiddleware"/> never sees, so its <see cref="CurrentTenant"/> starts empty.
/// The static page that hosts the component resolved the tenant and passes it as a parameter (protected
/// by the framework, so a browser cannot change it); here the circuit's own signed-in user must still
/// be a member of it before any tenant-scoped query runs in the circuit.
/// </summary>
public sealed class CircuitTenant(AuthenticationStateProvider authentication, CurrentTenant current, ListMyTenantsQuery myTenants)
{
    /// <summary>Sets the circuit's tenant; false (and no tenant) when the user is not a member of it.</summary>
    public async Task<bool> EnterAsync(Guid tenantId, CancellationToken cancellationToken = default)
    {
        if (current.TenantId == tenantId && current.UserId is not null)
            return true;
        var user = (await authentication.GetAuthenticationStateAsync()).User;
        if (!Guid.TryParse(user.FindFirstValue(ClaimTypes.NameIdentifier), out var userId))
            return false;
        current.Set(tenantId: null, userId);
        var tenants = await myTenants.ExecuteAsync(cancellationToken);
        if (tenants.All(t => t.TenantId != tenantId))
            return false;
        current.Set(tenantId, userId);
        return true;
    }
}
