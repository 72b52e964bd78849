using Bunit;
using Microsoft.Extensions.DependencyInjection;
using Platform.Data;
using Platform.Data.Audit;
using Platform.Data.Identity;
using Platform.Data.Tenants;
using Platform.Domain.Tenants;
using Platform.Web.Components.Pages.Members;
using Platform.Web.Tests.Infrastructure;
using static Platform.Web.Tests.Infrastructure.Circuit;

namespace Platform.Web.Tests.Tenants;

/// <summary>
/// The members grid on a circuit over the real database: owners change roles, remove members and
/// withdraw invitations, each after a confirmation dialog and with a snackbar; the last owner stays.
/// </summary>
public sealed class MemberGridTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    private static readonly Type[] Commands =
    [
        typeof(ListMembersQuery), typeof(ListInvitationsQuery), typeof(ChangeMemberRoleCommand), typeof(RemoveMemberCommand),
        typeof(RevokeInvitationCommand),
    ];

    private async Task<(Guid TenantId, ApplicationUser Owner, ApplicationUser Member)> TeamAsync()
    {
        var owner = await portal.CreateUserAsync();
        var tenant = await portal.CreateTenantAsync(owner);
        var member = await portal.CreateUserAsync();
        await portal.AddMemberAsync(tenant.Id, member);
        return (tenant.Id, owner, member);
    }

    private static IRenderedComponent<MemberGrid> Render(BunitContext circuit, Guid tenantId, ApplicationUser user, bool isOwner) =>
        circuit.Render<MemberGrid>(p => p.Add(g => g.TenantId, tenantId).Add(g => g.UserId, user.Id).Add(g => g.IsOwner, isOwner));

    private async Task<string?> RoleAsync(Guid tenantId, Guid userId) =>
        await portal.Database.ScalarAsync<string?>($"SELECT coalesce(max(role), '') FROM tenant_memberships WHERE tenant_id = '{tenantId}' AND user_id = '{userId}'");

    [Fact]
    public async Task Render_AsOwner_ShowsRolesAndOffersActionsButNotOnTheLastOwner()
    {
        var (tenantId, owner, member) = await TeamAsync();
        await using var scope = portal.Services.CreateAsyncScope();
        await using var circuit = Start(scope.ServiceProvider, owner.Id, Commands);

        var grid = Render(circuit, tenantId, owner, isOwner: true);

        await EventuallyAsync(() => Assert.Equal(2, grid.FindAll("#member-table tbody .member-email").Count));
        var ownerRow = grid.Find($".member-email[data-user='{owner.Id}']").Closest("tr")!;
        Assert.Contains("you", ownerRow.TextContent);
        Assert.Contains("Owner", ownerRow.QuerySelector(".member-role")!.TextContent);
        // The only owner can neither step down nor be removed (and is never offered their own removal).
        Assert.True(grid.Find($".member-role-change[data-user='{owner.Id}']").HasAttribute("disabled"));
        Assert.Empty(grid.FindAll($".member-remove[data-user='{owner.Id}']"));
        Assert.False(grid.Find($".member-role-change[data-user='{member.Id}']").HasAttribute("disabled"));
        Assert.Equal("Make owner", grid.Find($".member-role-change[data-user='{member.Id}']").TextContent.Trim());
    }

    [Fact]
    public async Task Render_AsMember_OffersNoActionsNorInvitations()
    {
        var (tenantId, _, member) = await TeamAsync();
        await using var scope = portal.Services.CreateAsyncScope();
        await using var circuit = Start(scope.ServiceProvider, member.Id, Commands);

        var grid = Render(circuit, tenantId, member, isOwner: false);

        await EventuallyAsync(() => Assert.Equal(2, grid.FindAll("#member-table tbody .member-email").Count));
        Assert.Empty(grid.FindAll(".member-role-change"));
        Assert.Empty(grid.FindAll(".member-remove"));
        Assert.Empty(grid.FindAll("#pending-invitations"));
    }

    [Fact]
    public async Task ChangeRole_AskedThenConfirmed_MakesOwnerAuditsAndSaysSo()
    {
        var (tenantId, owner, member) = await TeamAsync();
        await using var scope = portal.Services.CreateAsyncScope();
        await using var circuit = Start(scope.ServiceProvider, owner.Id, Commands);
        var grid = Render(circuit, tenantId, owner, isOwner: true);
        await EventuallyAsync(() => grid.Find($".member-role-change[data-user='{member.Id}']"));
        var question = $"Make {member.Email} an owner?";

        var asking = await ClickAsync(grid, () => grid.Find($".member-role-change[data-user='{member.Id}']"));
        await AnswerAsync(circuit, grid, asking, "Keep the role", question: question);
        Assert.Equal("Member", await RoleAsync(tenantId, member.Id));

        var changing = await ClickAsync(grid, () => grid.Find($".member-role-change[data-user='{member.Id}']"));
        await AnswerAsync(circuit, grid, changing, "Make owner", question: question);

        Assert.Equal("Owner", await RoleAsync(tenantId, member.Id));
        await EventuallyAsync(() => Assert.Contains($"{member.Email} is now an owner.", grid.Markup));
        // Two owners now: the signed-in one may step down.
        await EventuallyAsync(() => Assert.False(grid.Find($".member-role-change[data-user='{owner.Id}']").HasAttribute("disabled")));
        Assert.Equal(1L, await portal.Database.ScalarAsync<long>(
            $"SELECT count(*) FROM audit_log WHERE tenant_id = '{tenantId}' AND action = '{AuditActions.MemberRoleChange}' AND target = '{member.Id}'"));
    }

    [Fact]
    public async Task StepDown_OtherOwnerRemovedMeanwhile_RefusedAsLastOwner()
    {
        var (tenantId, owner, member) = await TeamAsync();
        var otherOwner = await portal.CreateUserAsync();
        await portal.AddMemberAsync(tenantId, otherOwner, TenantRole.Owner);
        await using var scope = portal.Services.CreateAsyncScope();
        await using var circuit = Start(scope.ServiceProvider, owner.Id, Commands);
        var grid = Render(circuit, tenantId, owner, isOwner: true);
        await EventuallyAsync(() => Assert.False(grid.Find($".member-role-change[data-user='{owner.Id}']").HasAttribute("disabled")));

        // The grid still shows two owners; the database has one.
        await using (var command = portal.Database.DataSource.CreateCommand(
            $"DELETE FROM tenant_memberships WHERE tenant_id = '{tenantId}' AND user_id = '{otherOwner.Id}'"))
        {
            await command.ExecuteNonQueryAsync();
        }
        var asking = await ClickAsync(grid, () => grid.Find($".member-role-change[data-user='{owner.Id}']"));
        await AnswerAsync(circuit, grid, asking, "Make member", question: "Step down to member?");

        Assert.Equal("Owner", await RoleAsync(tenantId, owner.Id));
        await EventuallyAsync(() => Assert.Contains("The last owner cannot be made a member", grid.Markup));
        await EventuallyAsync(() => Assert.True(grid.Find($".member-role-change[data-user='{owner.Id}']").HasAttribute("disabled")));
        Assert.Equal("Member", await RoleAsync(tenantId, member.Id));
    }

    [Fact]
    public async Task Remove_AskedThenConfirmed_RemovesAndSaysSo()
    {
        var (tenantId, owner, member) = await TeamAsync();
        await using var scope = portal.Services.CreateAsyncScope();
        await using var circuit = Start(scope.ServiceProvider, owner.Id, Commands);
        var grid = Render(circuit, tenantId, owner, isOwner: true);
        await EventuallyAsync(() => grid.Find($".member-remove[data-user='{member.Id}']"));

        var asking = await ClickAsync(grid, () => grid.Find($".member-remove[data-user='{member.Id}']"));
        await AnswerAsync(circuit, grid, asking, "Keep them", question: $"Remove {member.Email}?");
        Assert.Equal("Member", await RoleAsync(tenantId, member.Id));

        var removing = await ClickAsync(grid, () => grid.Find($".member-remove[data-user='{member.Id}']"));
        await AnswerAsync(circuit, grid, removing, "Remove member", question: $"Remove {member.Email}?");

        Assert.Equal("", await RoleAsync(tenantId, member.Id));
        await EventuallyAsync(() => Assert.Contains($"{member.Email} was removed.", grid.Markup));
        await EventuallyAsync(() => Assert.Empty(grid.FindAll($".member-email[data-user='{member.Id}']")));
    }

    [Fact]
    public async Task WithdrawInvitation_AskedThenConfirmed_RemovesItAndSaysSo()
    {
        var (tenantId, owner, _) = await TeamAsync();
        var invited = await portal.WithServicesAsync(async sp =>
        {
            sp.GetRequiredService<CurrentTenant>().Set(tenantId, owner.Id);
            await sp.GetRequiredService<InviteMemberCommand>().ExecuteAsync("later@example.com", TenantRole.Member);
            return Assert.Single(await sp.GetRequiredService<ListInvitationsQuery>().ExecuteAsync()).Id;
        });
        await using var scope = portal.Services.CreateAsyncScope();
        await using var circuit = Start(scope.ServiceProvider, owner.Id, Commands);
        var grid = Render(circuit, tenantId, owner, isOwner: true);
        await EventuallyAsync(() => Assert.Contains("later@example.com", grid.Find("#pending-invitations").TextContent));

        var asking = await ClickAsync(grid, () => grid.Find($".invitation-revoke[data-invitation='{invited}']"));
        await AnswerAsync(circuit, grid, asking, "Withdraw invitation", question: "Withdraw the invitation to later@example.com?");

        await EventuallyAsync(() => Assert.Contains("The invitation to later@example.com is withdrawn.", grid.Markup));
        await EventuallyAsync(() => Assert.Empty(grid.FindAll("#pending-invitations")));
        Assert.Equal(0L, await portal.Database.ScalarAsync<long>($"SELECT count(*) FROM invitations WHERE id = '{invited}'"));
    }
}
