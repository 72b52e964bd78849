using Platform.Data.Audit;
using Microsoft.Extensions.Options;
using Platform.Data.Tenants;
using Platform.Domain.Common;
using Platform.Domain.Tenants;
using Platform.Testing;

namespace Platform.Data.Tests.Tenants;

public class MembershipQueriesTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>
{
    private PostgresDatabase Database => fixture.Database;

    private static readonly IOptions<DataOptions> Options = Microsoft.Extensions.Options.Options.Create(new DataOptions());

    [Fact]
    public async Task ListMembersQuery_OtherTenant_Invisible()
    {
        var (_, ownerA) = await Seed.TenantAsync(Database);
        var (tenantB, _) = await Seed.TenantAsync(Database);
        var memberB = await Seed.MemberAsync(Database, tenantB.Id);

        await using var db = Database.CreateDbContext(ownerA);
        var members = await new ListMembersQuery(db).ExecuteAsync();

        var only = Assert.Single(members);
        Assert.Equal(ownerA.UserId, only.UserId);
        Assert.Equal(TenantRole.Owner, only.Role);
        Assert.DoesNotContain(members, m => m.UserId == memberB.Id);
    }

    [Fact]
    public async Task ListMembersQuery_NoTenantSelected_ReturnsNothing()
    {
        await Seed.TenantAsync(Database);

        await using var db = Database.CreateDbContext();

        Assert.Empty(await new ListMembersQuery(db).ExecuteAsync());
    }

    [Fact]
    public async Task ListTenantMembersQuery_AsPlatformAdmin_ListsThatTenantsMembersOnly()
    {
        var (tenantA, ownerA) = await Seed.TenantAsync(Database);
        var memberA = await Seed.MemberAsync(Database, tenantA.Id);
        var (tenantB, _) = await Seed.TenantAsync(Database);
        await Seed.MemberAsync(Database, tenantB.Id);

        // No current tenant: the admin's request is platform-wide, and the query picks the tenant itself.
        await using var db = Database.CreateDbContext();
        var members = await new ListTenantMembersQuery(db).ExecuteAsync(tenantA.Id);

        Assert.Equal([(ownerA.UserId!.Value, TenantRole.Owner), (memberA.Id, TenantRole.Member)], members.Select(m => (m.UserId, m.Role)));
        Assert.Equal(memberA.Email, members[1].Email);
    }

    [Fact]
    public async Task ListMyTenantsQuery_UserInTwoTenants_ListsBothAndNoOther()
    {
        var (tenantA, ownerA) = await Seed.TenantAsync(Database, "Alpha");
        var (tenantB, _) = await Seed.TenantAsync(Database, "Beta");
        await Seed.TenantAsync(Database, "Gamma");
        await using (var seed = Database.CreateDbContext())
        {
            seed.TenantMemberships.Add(new TenantMembership(tenantB.Id, ownerA.UserId!.Value, TenantRole.Member, DateTimeOffset.UtcNow));
            await seed.SaveChangesAsync();
        }

        await using var db = Database.CreateDbContext(ownerA);
        var mine = await new ListMyTenantsQuery(db, ownerA).ExecuteAsync();

        Assert.Equal([(tenantA.Id, TenantRole.Owner), (tenantB.Id, TenantRole.Member)], mine.Select(t => (t.TenantId, t.Role)));
    }

    [Fact]
    public async Task InviteMemberCommand_Owner_CreatesInvitationVisibleOnlyToTenant()
    {
        var (_, ownerA) = await Seed.TenantAsync(Database);
        var (_, ownerB) = await Seed.TenantAsync(Database);

        await using var db = Database.CreateDbContext(ownerA);
        var created = await new InviteMemberCommand(db, ownerA, TimeProvider.System, Options, new AuditTrail(ownerA)).ExecuteAsync("new@example.com", TenantRole.Member);

        Assert.True(created.IsSuccess, created.Error);
        var listedA = await new ListInvitationsQuery(db, TimeProvider.System).ExecuteAsync();
        Assert.Equal(created.Value.InvitationId, Assert.Single(listedA).Id);
        await using var dbB = Database.CreateDbContext(ownerB);
        Assert.Empty(await new ListInvitationsQuery(dbB, TimeProvider.System).ExecuteAsync());
    }

    [Fact]
    public async Task InviteMemberCommand_Member_ReturnsForbidden()
    {
        var (tenant, _) = await Seed.TenantAsync(Database);
        var member = await Seed.MemberAsync(Database, tenant.Id);
        var asMember = new TestTenant(tenant.Id, member.Id);

        await using var db = Database.CreateDbContext(asMember);
        var result = await new InviteMemberCommand(db, asMember, TimeProvider.System, Options, new AuditTrail(asMember)).ExecuteAsync("x@example.com", TenantRole.Member);

        Assert.Equal(ResultStatus.Forbidden, result.Status);
    }

    [Fact]
    public async Task InviteMemberCommand_OwnerOfOtherTenant_ReturnsForbidden()
    {
        var (tenantA, _) = await Seed.TenantAsync(Database);
        var (_, ownerB) = await Seed.TenantAsync(Database);
        // Owner of B pretends tenant A is current: the membership check is scoped to A.
        var forged = new TestTenant(tenantA.Id, ownerB.UserId);

        await using var db = Database.CreateDbContext(forged);
        var result = await new InviteMemberCommand(db, forged, TimeProvider.System, Options, new AuditTrail(forged)).ExecuteAsync("x@example.com", TenantRole.Owner);

        Assert.Equal(ResultStatus.Forbidden, result.Status);
    }

    [Fact]
    public async Task AcceptInvitationCommand_ValidToken_AddsMembership()
    {
        var (tenant, owner) = await Seed.TenantAsync(Database);
        var invitee = await Seed.UserAsync(Database);
        string token;
        await using (var db = Database.CreateDbContext(owner))
        {
            token = (await new InviteMemberCommand(db, owner, TimeProvider.System, Options, new AuditTrail(owner)).ExecuteAsync("i@example.com", TenantRole.Member)).Value.Token;
        }
        var asInvitee = new TestTenant(null, invitee.Id);

        await using (var db = Database.CreateDbContext(asInvitee))
        {
            var joined = await new AcceptInvitationCommand(db, asInvitee, TimeProvider.System, new AuditTrail(asInvitee)).ExecuteAsync(token);
            Assert.Equal(tenant.Id, joined.Value);
        }

        await using var check = Database.CreateDbContext(owner);
        Assert.Contains(await new ListMembersQuery(check).ExecuteAsync(), m => m.UserId == invitee.Id && m.Role == TenantRole.Member);
        Assert.Empty(await new ListInvitationsQuery(check, TimeProvider.System).ExecuteAsync());
    }

    [Fact]
    public async Task AcceptInvitationCommand_Expired_ReturnsBadRequestAndAddsNobody()
    {
        var (_, owner) = await Seed.TenantAsync(Database);
        var invitee = await Seed.UserAsync(Database);
        var clock = new TestClock(DateTimeOffset.UtcNow);
        string token;
        await using (var db = Database.CreateDbContext(owner))
        {
            token = (await new InviteMemberCommand(db, owner, clock, Options, new AuditTrail(owner)).ExecuteAsync("i@example.com", TenantRole.Member)).Value.Token;
        }
        clock.Now += new DataOptions().InvitationLifetime;
        var asInvitee = new TestTenant(null, invitee.Id);

        await using var accept = Database.CreateDbContext(asInvitee);
        var result = await new AcceptInvitationCommand(accept, asInvitee, clock, new AuditTrail(asInvitee)).ExecuteAsync(token);

        Assert.Equal(ResultStatus.BadRequest, result.Status);
        await using var check = Database.CreateDbContext(owner);
        Assert.Single(await new ListMembersQuery(check).ExecuteAsync());
    }

    [Fact]
    public async Task AcceptInvitationCommand_UsedTwice_ReturnsConflict()
    {
        var (_, owner) = await Seed.TenantAsync(Database);
        string token;
        await using (var db = Database.CreateDbContext(owner))
        {
            token = (await new InviteMemberCommand(db, owner, TimeProvider.System, Options, new AuditTrail(owner)).ExecuteAsync("i@example.com", TenantRole.Member)).Value.Token;
        }
        var first = new TestTenant(null, (await Seed.UserAsync(Database)).Id);
        var second = new TestTenant(null, (await Seed.UserAsync(Database)).Id);
        await using (var db = Database.CreateDbContext(first))
        {
            Assert.True((await new AcceptInvitationCommand(db, first, TimeProvider.System, new AuditTrail(first)).ExecuteAsync(token)).IsSuccess);
        }

        await using var again = Database.CreateDbContext(second);
        var result = await new AcceptInvitationCommand(again, second, TimeProvider.System, new AuditTrail(second)).ExecuteAsync(token);

        Assert.Equal(ResultStatus.Conflict, result.Status);
    }

    [Fact]
    public async Task AcceptInvitationCommand_UnknownToken_ReturnsNotFound()
    {
        var user = new TestTenant(null, (await Seed.UserAsync(Database)).Id);

        await using var db = Database.CreateDbContext(user);
        var result = await new AcceptInvitationCommand(db, user, TimeProvider.System, new AuditTrail(user)).ExecuteAsync("not-a-token");

        Assert.Equal(ResultStatus.NotFound, result.Status);
    }

    [Fact]
    public async Task RemoveMemberCommand_Member_RemovesIt()
    {
        var (tenant, owner) = await Seed.TenantAsync(Database);
        var member = await Seed.MemberAsync(Database, tenant.Id);

        await using var db = Database.CreateDbContext(owner);
        var result = await new RemoveMemberCommand(db, owner, TimeProvider.System, new AuditTrail(owner)).ExecuteAsync(member.Id);

        Assert.True(result.IsSuccess, result.Error);
        Assert.DoesNotContain(await new ListMembersQuery(db).ExecuteAsync(), m => m.UserId == member.Id);
    }

    [Fact]
    public async Task RemoveMemberCommand_MemberOfOtherTenant_ReturnsNotFoundAndKeepsIt()
    {
        var (_, ownerA) = await Seed.TenantAsync(Database);
        var (tenantB, ownerB) = await Seed.TenantAsync(Database);
        var memberB = await Seed.MemberAsync(Database, tenantB.Id);

        await using (var db = Database.CreateDbContext(ownerA))
        {
            Assert.Equal(ResultStatus.NotFound, (await new RemoveMemberCommand(db, ownerA, TimeProvider.System, new AuditTrail(ownerA)).ExecuteAsync(memberB.Id)).Status);
        }

        await using var check = Database.CreateDbContext(ownerB);
        Assert.Contains(await new ListMembersQuery(check).ExecuteAsync(), m => m.UserId == memberB.Id);
    }

    [Fact]
    public async Task RemoveMemberCommand_LastOwner_ReturnsConflict()
    {
        var (_, owner) = await Seed.TenantAsync(Database);

        await using var db = Database.CreateDbContext(owner);
        var result = await new RemoveMemberCommand(db, owner, TimeProvider.System, new AuditTrail(owner)).ExecuteAsync(owner.UserId!.Value);

        Assert.Equal(ResultStatus.Conflict, result.Status);
    }
}
