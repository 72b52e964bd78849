using Platform.Data.Tenants;
using Platform.Domain.Common;
using Platform.Domain.Tenants;
using Platform.Testing;

namespace Platform.Data.Tests.Tenants;

public class TenantCommandsTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>
{
    private PostgresDatabase Database => fixture.Database;

    // The admin's own identity does not matter to these commands; the audit entries say "platform".
    private static readonly Platform.Data.Audit.AuditTrail PlatformAudit = new(new TestTenant());

    [Fact]
    public async Task CreateTenantForNewUserCommand_NewUser_CreatesTenantOwnedByUser()
    {
        var user = await Seed.UserAsync(Database);

        await using var db = Database.CreateDbContext();
        var created = await new CreateTenantForNewUserCommand(db, TimeProvider.System).ExecuteAsync(user.Id, "Northwind Traders");

        Assert.True(created.IsSuccess, created.Error);
        var asUser = new TestTenant(created.Value.Id, user.Id);
        await using var check = Database.CreateDbContext(asUser);
        var membership = Assert.Single(await new ListMyTenantsQuery(check, asUser).ExecuteAsync());
        Assert.Equal((created.Value.Id, TenantRole.Owner), (membership.TenantId, membership.Role));
    }

    [Fact]
    public async Task CreateTenantForNewUserCommand_SlugTaken_AddsSuffix()
    {
        var name = $"Same Name {Guid.NewGuid():N}"[..20];
        var first = await Seed.UserAsync(Database);
        var second = await Seed.UserAsync(Database);
        await using var db = Database.CreateDbContext();
        var command = new CreateTenantForNewUserCommand(db, TimeProvider.System);

        var a = await command.ExecuteAsync(first.Id, name);
        var b = await command.ExecuteAsync(second.Id, name);

        Assert.Equal(a.Value.Slug + "-2", b.Value.Slug);
    }

    [Fact]
    public async Task CreateTenantForNewUserCommand_UnknownUser_ReturnsNotFound()
    {
        await using var db = Database.CreateDbContext();

        var result = await new CreateTenantForNewUserCommand(db, TimeProvider.System).ExecuteAsync(Guid.NewGuid(), "Ghost");

        Assert.Equal(ResultStatus.NotFound, result.Status);
    }

    [Fact]
    public async Task SuspendTenantCommand_Active_SuspendsWithReasonAndBlocksCurrentTenantWrites()
    {
        var (tenant, owner) = await Seed.TenantAsync(Database);

        await using (var admin = Database.CreateDbContext())
        {
            Assert.True((await new SuspendTenantCommand(admin, PlatformAudit).ExecuteAsync(tenant.Id, "Payment overdue")).IsSuccess);
        }

        await using var db = Database.CreateDbContext(owner);
        var current = await new GetCurrentTenantQuery(db, owner).ExecuteAsync();
        Assert.Equal(TenantStatus.Suspended, current.Value.Status);
        Assert.Contains("Payment overdue", current.Value.EnsureCanWrite().Error);
    }

    [Fact]
    public async Task ReactivateTenantCommand_Suspended_Reactivates()
    {
        var (tenant, _) = await Seed.TenantAsync(Database);
        await using var admin = Database.CreateDbContext();
        await new SuspendTenantCommand(admin, PlatformAudit).ExecuteAsync(tenant.Id, "Abuse report");

        var result = await new ReactivateTenantCommand(admin, PlatformAudit).ExecuteAsync(tenant.Id);

        Assert.True(result.IsSuccess, result.Error);
        var row = Assert.Single(await new ListTenantsQuery(admin).ExecuteAsync(), t => t.Id == tenant.Id);
        Assert.Equal((TenantStatus.Active, (string?)null), (row.Status, row.SuspensionReason));
    }

    [Fact]
    public async Task SuspendTenantCommand_UnknownTenant_ReturnsNotFound()
    {
        await using var admin = Database.CreateDbContext();

        Assert.Equal(ResultStatus.NotFound, (await new SuspendTenantCommand(admin, PlatformAudit).ExecuteAsync(Guid.NewGuid(), "x")).Status);
    }

    [Fact]
    public async Task ListTenantsQuery_PlatformWide_ListsEveryTenantWithCounts()
    {
        var (tenantA, _) = await Seed.TenantAsync(Database);
        var (tenantB, _) = await Seed.TenantAsync(Database);
        await Seed.MemberAsync(Database, tenantB.Id);

        // The admin has no current tenant: platform-wide queries must not depend on one.
        await using var admin = Database.CreateDbContext();
        var tenants = await new ListTenantsQuery(admin).ExecuteAsync();

        Assert.Equal(1, Assert.Single(tenants, t => t.Id == tenantA.Id).MemberCount);
        Assert.Equal(2, Assert.Single(tenants, t => t.Id == tenantB.Id).MemberCount);
    }

    [Fact]
    public async Task GetCurrentTenantQuery_NoTenant_ReturnsNotFound()
    {
        await using var db = Database.CreateDbContext();

        Assert.Equal(ResultStatus.NotFound, (await new GetCurrentTenantQuery(db, new TestTenant()).ExecuteAsync()).Status);
    }
}
