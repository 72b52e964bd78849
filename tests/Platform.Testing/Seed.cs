using Platform.Data.Identity;
using Platform.Domain.Tenants;

namespace Platform.Testing;

/// <summary>Rows most tests need: users and tenants written straight through the DbContext.</summary>
public static class Seed
{
    public static async Task<ApplicationUser> UserAsync(PostgresDatabase database, string? email = null)
    {
        email ??= $"{Guid.NewGuid():N}@example.com";
        var user = new ApplicationUser
        {
            Id = Guid.CreateVersion7(),
            UserName = email,
            NormalizedUserName = email.ToUpperInvariant(),
            Email = email,
            NormalizedEmail = email.ToUpperInvariant(),
            SecurityStamp = Guid.NewGuid().ToString("N"),
            CreatedAt = DateTimeOffset.UtcNow,
            // A user who confirmed their email, as every account that launches jobs has (issue 11).
            EmailConfirmed = true,
        };
        await using var db = database.CreateDbContext();
        db.Users.Add(user);
        await db.SaveChangesAsync();
        return user;
    }

    /// <summary>A tenant and its owner; returns the current-tenant view of that owner.</summary>
    public static async Task<(Tenant Tenant, TestTenant Owner)> TenantAsync(PostgresDatabase database, string? name = null)
    {
        var owner = await UserAsync(database);
        name ??= $"Org {Guid.NewGuid():N}"[..20];
        var tenant = Tenant.Create(name, TenantSlug.FromName(name) + "-" + Guid.NewGuid().ToString("N")[..6], DateTimeOffset.UtcNow).Value;
        await using var db = database.CreateDbContext();
        db.Tenants.Add(tenant);
        db.TenantMemberships.Add(new TenantMembership(tenant.Id, owner.Id, TenantRole.Owner, DateTimeOffset.UtcNow));
        await db.SaveChangesAsync();
        return (tenant, new TestTenant(tenant.Id, owner.Id));
    }

    /// <summary>A user with the PlatformAdmin role (the role row exists after migration 0004); as a current tenant with no tenant.</summary>
    public static async Task<TestTenant> PlatformAdminAsync(PostgresDatabase database)
    {
        var user = await UserAsync(database);
        await using var command = database.DataSource.CreateCommand(
            "INSERT INTO user_roles (user_id, role_id) SELECT $1, id FROM roles WHERE normalized_name = 'PLATFORMADMIN'");
        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = user.Id });
        await command.ExecuteNonQueryAsync();
        return new TestTenant(null, user.Id);
    }

    public static async Task<ApplicationUser> MemberAsync(PostgresDatabase database, Guid tenantId, TenantRole role = TenantRole.Member)
    {
        var user = await UserAsync(database);
        await using var db = database.CreateDbContext();
        db.TenantMemberships.Add(new TenantMembership(tenantId, user.Id, role, DateTimeOffset.UtcNow));
        await db.SaveChangesAsync();
        return user;
    }
}
