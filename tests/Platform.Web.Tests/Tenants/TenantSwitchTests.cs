using System.Net;
using Platform.Web.Tests.Infrastructure;

namespace Platform.Web.Tests.Tenants;

public sealed class TenantSwitchTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    [Fact]
    public async Task Switch_MemberOfTwoTenants_ShowsTheChosenTenant()
    {
        var user = await portal.CreateUserAsync();
        var first = await portal.CreateTenantAsync(user, "Alpha Labs");
        var otherOwner = await portal.CreateUserAsync();
        var second = await portal.CreateTenantAsync(otherOwner, "Beta Works");
        await portal.AddMemberAsync(second.Id, user);
        using var client = portal.CreatePortalClient();
        await client.SignInAsync(user.Email!);
        var dashboard = await client.GetAsync("/");
        Assert.Equal("Alpha Labs", dashboard.Text("h1"));
        Assert.Equal(["Alpha Labs", "Beta Works"], dashboard.Document.QuerySelectorAll("#tenant-switch option").Select(o => o.TextContent));

        var switched = await client.SubmitAsync(dashboard, "form.tenant-switcher", new Dictionary<string, string> { ["tenantId"] = second.Id.ToString() });
        var after = await client.FollowAsync(switched);

        Assert.Equal(HttpStatusCode.Redirect, switched.Status);
        Assert.Equal("Beta Works", after.Text("h1"));
        Assert.Contains("member", after.Text("h1 + p"));
        Assert.NotEqual(first.Id, second.Id);
    }

    [Fact]
    public async Task Switch_TenantUserDoesNotBelongTo_IsForbiddenAndChangesNothing()
    {
        var user = await portal.CreateUserAsync();
        await portal.CreateTenantAsync(user, "Mine Inc");
        var stranger = await portal.CreateUserAsync();
        var foreign = await portal.CreateTenantAsync(stranger, "Not Yours");
        var mine = await portal.CreateTenantAsync(user, "Mine Two");
        using var client = portal.CreatePortalClient();
        await client.SignInAsync(user.Email!);
        var dashboard = await client.GetAsync("/");

        var switched = await client.SubmitAsync(dashboard, "form.tenant-switcher", new Dictionary<string, string> { ["tenantId"] = foreign.Id.ToString() });

        Assert.Equal(HttpStatusCode.Redirect, switched.Status);
        Assert.StartsWith("http://localhost/account/access-denied", switched.Location);
        Assert.Equal("Mine Inc", (await client.GetAsync("/")).Text("h1"));
        Assert.NotEqual(mine.Id, foreign.Id);
    }

    [Fact]
    public async Task Request_RemovedFromChosenTenant_FallsBackToRemainingTenant()
    {
        var user = await portal.CreateUserAsync();
        await portal.CreateTenantAsync(user, "Home Base");
        var otherOwner = await portal.CreateUserAsync();
        var other = await portal.CreateTenantAsync(otherOwner, "Former Team");
        await portal.AddMemberAsync(other.Id, user);
        using var client = portal.CreatePortalClient();
        await client.SignInAsync(user.Email!);
        await client.SubmitAsync(await client.GetAsync("/"), "form.tenant-switcher", new Dictionary<string, string> { ["tenantId"] = other.Id.ToString() });
        Assert.Equal("Former Team", (await client.GetAsync("/")).Text("h1"));

        await using (var db = portal.Database.CreateDbContext(other.Id, otherOwner.Id))
        {
            db.TenantMemberships.RemoveRange(db.TenantMemberships.Where(m => m.UserId == user.Id));
            await db.SaveChangesAsync();
        }
        var page = await client.GetAsync("/");

        Assert.Equal("Home Base", page.Text("h1"));
        Assert.False(page.Has("#tenant-switch"));
    }
}
