using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Platform.Data.Identity;
using Platform.Domain.Common;
using Platform.Web.Hosting;
using Platform.Web.Tests.Infrastructure;

namespace Platform.Web.Tests.Accounts;

public sealed class GrantPlatformRoleTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    [Fact]
    public async Task Migration_CreatesThePlatformRoles()
    {
        var names = await portal.Database.ScalarAsync<string>("SELECT string_agg(name, ',' ORDER BY name) FROM roles");

        Assert.Equal("Finance,PlatformAdmin", names);
    }

    [Fact]
    public async Task Execute_ExistingAccount_GetsTheRoleAndTheAdminArea()
    {
        var user = await portal.CreateUserAsync();

        var granted = await GrantAsync(user.Email!.ToUpperInvariant(), "platformadmin");
        var again = await GrantAsync(user.Email!, "PlatformAdmin");

        Assert.True(granted.IsSuccess, granted.Error);
        Assert.True(again.IsSuccess, "granting twice is not an error");
        using var client = portal.CreatePortalClient();
        await client.SignInAsync(user.Email!);
        Assert.Equal(System.Net.HttpStatusCode.OK, (await client.GetAsync("/admin/tenants")).Status);
    }

    [Fact]
    public async Task Execute_UnknownAccountOrRole_RefusedWithTheReason()
    {
        var user = await portal.CreateUserAsync();

        var noAccount = await GrantAsync("nobody@example.com", "Finance");
        var noRole = await GrantAsync(user.Email!, "Owner");

        Assert.Equal((ResultStatus.NotFound, "No account uses nobody@example.com: sign up in the portal first."), (noAccount.Status, noAccount.Error));
        Assert.Equal((ResultStatus.BadRequest, "Unknown role 'Owner': use PlatformAdmin or Finance."), (noRole.Status, noRole.Error));
        await using var scope = portal.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>();
        Assert.Empty(await users.GetRolesAsync((await users.FindByEmailAsync(user.Email!))!));
    }

    [Fact]
    public void Flags_GrantRole_TakesEmailAndRoleOutOfTheHostArguments()
    {
        var flags = StartupFlags.Parse(["--grant-role", "a@example.com", "Finance", "--urls", "http://x"]);

        Assert.Equal(("a@example.com", "Finance"), flags.GrantRole);
        Assert.Equal(["--urls", "http://x"], flags.HostArgs);
        Assert.Throws<ArgumentException>(() => StartupFlags.Parse(["--grant-role", "a@example.com"]));
    }

    private async Task<Result> GrantAsync(string email, string role)
    {
        await using var scope = portal.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<GrantPlatformRoleCommand>().ExecuteAsync(email, role);
    }
}
