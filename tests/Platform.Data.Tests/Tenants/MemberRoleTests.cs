using Microsoft.Extensions.Options;
using Platform.Data.Audit;
using Platform.Data.Tenants;
using Platform.Domain.Common;
using Platform.Domain.Tenants;
using Platform.Testing;

namespace Platform.Data.Tests.Tenants;

/// <summary>Role changes and withdrawn invitations against a real database; the last owner always stays.</summary>
public class MemberRoleTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>
{
    private PostgresDatabase Database => fixture.Database;

    private async Task<Result> ChangeAsync(TestTenant actor, Guid userId, TenantRole role)
    {
        await using var db = Database.CreateDbContext(actor);
        return await new ChangeMemberRoleCommand(db, actor, new AuditTrail(actor)).ExecuteAsync(userId, role);
    }

    private async Task<TenantRole?> RoleAsync(TestTenant owner, Guid userId)
    {
        await using var db = Database.CreateDbContext(owner);
        return (await new ListMembersQuery(db).ExecuteAsync()).SingleOrDefault(m => m.UserId == userId)?.Role;
    }

    private Task<string?> AuditAsync(Guid tenantId, string action, string field) =>
        Database.ScalarAsync<string?>($"""
            SELECT coalesce({field}::text, '') FROM audit_log WHERE tenant_id = '{tenantId}' AND action = '{action}' ORDER BY id DESC LIMIT 1
            """);

    [Fact]
    public async Task ChangeMemberRoleCommand_MemberToOwner_ChangesAndAuditsBeforeAndAfter()
    {
        var (tenant, owner) = await Seed.TenantAsync(Database);
        var member = await Seed.MemberAsync(Database, tenant.Id);

        var result = await ChangeAsync(owner, member.Id, TenantRole.Owner);

        Assert.True(result.IsSuccess, result.Error);
        Assert.Equal(TenantRole.Owner, await RoleAsync(owner, member.Id));
        Assert.Contains("\"role\": \"Member\"", await AuditAsync(tenant.Id, AuditActions.MemberRoleChange, "before"));
        Assert.Contains("\"role\": \"Owner\"", await AuditAsync(tenant.Id, AuditActions.MemberRoleChange, "after"));
        Assert.Equal(member.Id.ToString(), await AuditAsync(tenant.Id, AuditActions.MemberRoleChange, "target"));
        Assert.Equal(owner.UserId.ToString(), await AuditAsync(tenant.Id, AuditActions.MemberRoleChange, "actor_user_id"));
    }

    [Fact]
    public async Task ChangeMemberRoleCommand_LastOwnerToMember_ReturnsConflictAndKeepsOwner()
    {
        var (tenant, owner) = await Seed.TenantAsync(Database);
        await Seed.MemberAsync(Database, tenant.Id);

        var result = await ChangeAsync(owner, owner.UserId!.Value, TenantRole.Member);

        Assert.Equal(ResultStatus.Conflict, result.Status);
        Assert.Equal(TenantRole.Owner, await RoleAsync(owner, owner.UserId!.Value));
        Assert.Equal(0L, await Database.ScalarAsync<long>(
            $"SELECT count(*) FROM audit_log WHERE tenant_id = '{tenant.Id}' AND action = '{AuditActions.MemberRoleChange}'"));
    }

    [Fact]
    public async Task ChangeMemberRoleCommand_OneOfTwoOwnersStepsDown_Changes()
    {
        var (tenant, owner) = await Seed.TenantAsync(Database);
        await Seed.MemberAsync(Database, tenant.Id, TenantRole.Owner);

        Assert.True((await ChangeAsync(owner, owner.UserId!.Value, TenantRole.Member)).IsSuccess);
        Assert.Equal(TenantRole.Member, await RoleAsync(owner, owner.UserId!.Value));
    }

    [Fact]
    public async Task ChangeMemberRoleCommand_TwoOwnersDemoteEachOtherAtOnce_OneOwnerRemains()
    {
        var (tenant, first) = await Seed.TenantAsync(Database);
        var secondUser = await Seed.MemberAsync(Database, tenant.Id, TenantRole.Owner);
        var second = new TestTenant(tenant.Id, secondUser.Id);

        // Each owner demotes the other; the memberships' lock makes the second wait and then count one owner.
        var results = await Task.WhenAll(
            Task.Run(() => ChangeAsync(first, secondUser.Id, TenantRole.Member)),
            Task.Run(() => ChangeAsync(second, first.UserId!.Value, TenantRole.Member)));

        Assert.Single(results, r => r.IsSuccess);
        var owners = await Database.ScalarAsync<long>($"SELECT count(*) FROM tenant_memberships WHERE tenant_id = '{tenant.Id}' AND role = 'Owner'");
        Assert.Equal(1L, owners);
    }

    [Fact]
    public async Task ChangeMemberRoleCommand_ByMember_ReturnsForbiddenAndChangesNothing()
    {
        var (tenant, owner) = await Seed.TenantAsync(Database);
        var member = await Seed.MemberAsync(Database, tenant.Id);
        var asMember = new TestTenant(tenant.Id, member.Id);

        var result = await ChangeAsync(asMember, member.Id, TenantRole.Owner);

        Assert.Equal(ResultStatus.Forbidden, result.Status);
        Assert.Equal(TenantRole.Member, await RoleAsync(owner, member.Id));
    }

    [Fact]
    public async Task ChangeMemberRoleCommand_MemberOfOtherTenant_ReturnsNotFound()
    {
        var (_, ownerA) = await Seed.TenantAsync(Database);
        var (tenantB, ownerB) = await Seed.TenantAsync(Database);
        var memberB = await Seed.MemberAsync(Database, tenantB.Id);

        Assert.Equal(ResultStatus.NotFound, (await ChangeAsync(ownerA, memberB.Id, TenantRole.Owner)).Status);
        Assert.Equal(TenantRole.Member, await RoleAsync(ownerB, memberB.Id));
    }

    [Fact]
    public async Task RemoveMemberCommand_OwnerWhenAnotherOwnerRemains_RemovesIt()
    {
        var (tenant, owner) = await Seed.TenantAsync(Database);
        var other = await Seed.MemberAsync(Database, tenant.Id, TenantRole.Owner);

        await using var db = Database.CreateDbContext(owner);
        var result = await new RemoveMemberCommand(db, owner, TimeProvider.System, new AuditTrail(owner)).ExecuteAsync(other.Id);

        Assert.True(result.IsSuccess, result.Error);
        Assert.Null(await RoleAsync(owner, other.Id));
    }

    [Fact]
    public async Task RevokeInvitationCommand_Pending_RemovesItAuditsAndTheLinkNoLongerWorks()
    {
        var (tenant, owner) = await Seed.TenantAsync(Database);
        var invitee = await Seed.UserAsync(Database);
        string token;
        Guid invitationId;
        await using (var db = Database.CreateDbContext(owner))
        {
            var options = Options.Create(new DataOptions());
            token = (await new InviteMemberCommand(db, owner, TimeProvider.System, options, new AuditTrail(owner))
                .ExecuteAsync("withdrawn@example.com", TenantRole.Owner)).Value.Token;
            invitationId = Assert.Single(await new ListInvitationsQuery(db, TimeProvider.System).ExecuteAsync()).Id;
        }

        await using (var db = Database.CreateDbContext(owner))
        {
            var result = await new RevokeInvitationCommand(db, owner, new AuditTrail(owner)).ExecuteAsync(invitationId);
            Assert.True(result.IsSuccess, result.Error);
            Assert.Empty(await new ListInvitationsQuery(db, TimeProvider.System).ExecuteAsync());
            Assert.Equal(ResultStatus.NotFound, (await new RevokeInvitationCommand(db, owner, new AuditTrail(owner)).ExecuteAsync(invitationId)).Status);
        }

        Assert.Contains("withdrawn@example.com", await AuditAsync(tenant.Id, AuditActions.InvitationRevoke, "before"));
        var asInvitee = new TestTenant(null, invitee.Id);
        await using var join = Database.CreateDbContext(asInvitee);
        var joined = await new AcceptInvitationCommand(join, asInvitee, TimeProvider.System, new AuditTrail(asInvitee)).ExecuteAsync(token);
        Assert.Equal(ResultStatus.NotFound, joined.Status);
    }

    [Fact]
    public async Task RevokeInvitationCommand_OtherTenantsInvitation_ReturnsNotFoundAndKeepsIt()
    {
        var (_, ownerA) = await Seed.TenantAsync(Database);
        var (_, ownerB) = await Seed.TenantAsync(Database);
        Guid invitationId;
        await using (var db = Database.CreateDbContext(ownerB))
        {
            await new InviteMemberCommand(db, ownerB, TimeProvider.System, Options.Create(new DataOptions()), new AuditTrail(ownerB))
                .ExecuteAsync("keep@example.com", TenantRole.Member);
            invitationId = Assert.Single(await new ListInvitationsQuery(db, TimeProvider.System).ExecuteAsync()).Id;
        }

        await using (var db = Database.CreateDbContext(ownerA))
        {
            Assert.Equal(ResultStatus.NotFound, (await new RevokeInvitationCommand(db, ownerA, new AuditTrail(ownerA)).ExecuteAsync(invitationId)).Status);
        }

        await using var check = Database.CreateDbContext(ownerB);
        Assert.Single(await new ListInvitationsQuery(check, TimeProvider.System).ExecuteAsync());
    }
}
