namespace Platform.Data.Tenants;

/// <summary>
/// Runs in the transaction that creates a tenant, after its rows are saved, so that what another module
/// keeps per tenant (billing's subscription) exists from the tenant's first instant or not at all.
/// Write through <paramref name="db"/>'s connection and current transaction.
/// </summary>
public interface ITenantCreatedHandler
{
    Task OnTenantCreatedAsync(PlatformDbContext db, Guid tenantId, DateTimeOffset createdAt, CancellationToken cancellationToken);
}
