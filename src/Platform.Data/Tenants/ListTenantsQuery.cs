using Microsoft.EntityFrameworkCore;

namespace Platform.Data.Tenants;

/// <summary>
/// Platform admin: every tenant, across tenants. Authorisation (the PlatformAdmin role) is the
/// host's job: this class is platform-wide by design. Erased organisations (tombstones kept for their
/// invoices) are not listed.
/// </summary>
public sealed class ListTenantsQuery(PlatformDbContext db)
{
    public async Task<IReadOnlyList<TenantSummary>> ExecuteAsync(CancellationToken cancellationToken = default) =>
        await db.Tenants
            .Where(t => t.Status != Domain.Tenants.TenantStatus.Erased)
            .OrderBy(t => t.Name)
            .Select(t => new TenantSummary(
                t.Id, t.Name, t.Slug, t.Status, t.SuspensionReason, t.CreatedAt,
                db.TenantMemberships.IgnoreQueryFilters().Count(m => m.TenantId == t.Id),
                db.Datasets.IgnoreQueryFilters().Count(d => d.TenantId == t.Id)))
            .ToListAsync(cancellationToken);
}
