using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Platform.Data.Datasets;
using Platform.Data.Identity;
using Platform.Domain.Common;
using Platform.Domain.Datasets;
using Platform.Domain.Tenants;

namespace Platform.Data;

/// <summary>
/// Maps the schema of migrations/*.sql (the SQL is the source of truth; EF never creates tables).
/// Tenant-owned entities carry a global query filter on the current tenant: with no tenant selected
/// they return nothing. Platform-wide reads (admin pages, a user's own memberships) opt out with
/// IgnoreQueryFilters in the query class named for that purpose.
/// </summary>
public sealed class PlatformDbContext : IdentityDbContext<ApplicationUser, ApplicationRole, Guid>
{
    private readonly ICurrentTenant _currentTenant;

    public PlatformDbContext(DbContextOptions<PlatformDbContext> options, ICurrentTenant currentTenant)
        : base(options)
    {
        _currentTenant = currentTenant;
    }

    public DbSet<Tenant> Tenants => Set<Tenant>();

    public DbSet<TenantMembership> TenantMemberships => Set<TenantMembership>();

    public DbSet<Invitation> Invitations => Set<Invitation>();

    public DbSet<Dataset> Datasets => Set<Dataset>();

    public DbSet<ApiKey> ApiKeys => Set<ApiKey>();

    internal DbSet<DatasetFile> DatasetFiles => Set<DatasetFile>();

    // EF parameterises filters that read a property of the context, so each context instance
    // filters by its own tenant.
    internal Guid? CurrentTenantId => _currentTenant.TenantId;

    internal ICurrentTenant CurrentTenant => _currentTenant;

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);
        builder.ApplyConfigurationsFromAssembly(typeof(PlatformDbContext).Assembly);
        builder.Entity<TenantMembership>().HasQueryFilter(m => m.TenantId == CurrentTenantId);
        builder.Entity<Invitation>().HasQueryFilter(i => i.TenantId == CurrentTenantId);
        builder.Entity<Dataset>().HasQueryFilter(d => d.TenantId == CurrentTenantId);
        builder.Entity<DatasetFile>().HasQueryFilter(f => f.TenantId == CurrentTenantId);
        builder.Entity<ApiKey>().HasQueryFilter(k => k.TenantId == CurrentTenantId);
        SnakeCaseNames.Apply(builder);
    }

    /// <summary>
    /// The Identity schema follows the SQL in 0001_identity.sql (schema version 2: passkeys are not offered),
    /// whatever IdentityOptions.Stores.SchemaVersion the host sets.
    /// </summary>
    protected override Version SchemaVersion => IdentitySchemaVersions.Version2;
}
