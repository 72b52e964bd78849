using System.Net;
using Platform.Data.Identity;
using Platform.Web.Tests.Infrastructure;

namespace Platform.Web.Tests.Accounts;

public sealed class AreaAccessTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    [Theory]
    [InlineData("/admin/tenants")]
    [InlineData("/finance")]
    public async Task AreaPage_TenantOwner_IsSentToAccessDenied(string url)
    {
        using var client = await SignedInTenantOwnerAsync();

        var page = await client.GetAsync(url);

        Assert.Equal(HttpStatusCode.Redirect, page.Status);
        Assert.StartsWith("http://localhost/account/access-denied", page.Location);
    }

    [Theory]
    [InlineData("/admin/tenants")]
    [InlineData("/finance")]
    [InlineData("/datasets")]
    [InlineData("/members")]
    [InlineData("/models")]
    public async Task ProtectedPage_Anonymous_RedirectsToSignIn(string url)
    {
        using var client = portal.CreatePortalClient();

        var page = await client.GetAsync(url);

        Assert.Equal(HttpStatusCode.Redirect, page.Status);
        Assert.StartsWith("http://localhost/account/sign-in?ReturnUrl=", page.Location);
    }

    [Fact]
    public async Task AdminTenants_PlatformAdmin_ListsEveryTenant()
    {
        var owner = await portal.CreateUserAsync();
        var tenant = await portal.CreateTenantAsync(owner, "Listed Co");
        var admin = await portal.CreateUserAsync(null, PlatformRoles.PlatformAdmin);
        using var client = portal.CreatePortalClient();
        await client.SignInAsync(admin.Email!);

        var page = await client.GetAsync("/admin/tenants");

        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.Contains(page.Document.QuerySelectorAll("#tenant-table a"),
            a => a.TextContent == "Listed Co" && a.GetAttribute("href") == $"/admin/tenants/{tenant.Id}");
    }

    [Fact]
    public async Task Finance_FinanceUser_SeesBillingShellButNotAdminOrWorkspace()
    {
        var finance = await portal.CreateUserAsync(null, PlatformRoles.Finance);
        using var client = portal.CreatePortalClient();
        await client.SignInAsync(finance.Email!);

        var billing = await client.GetAsync("/finance");
        var admin = await client.GetAsync("/admin/tenants");
        var datasets = await client.GetAsync("/datasets");

        Assert.Equal(HttpStatusCode.OK, billing.Status);
        Assert.Equal("Usage", billing.Text("h1"));
        Assert.StartsWith("http://localhost/account/access-denied", admin.Location);
        Assert.StartsWith("http://localhost/account/access-denied", datasets.Location);
    }

    private async Task<PortalClient> SignedInTenantOwnerAsync()
    {
        var owner = await portal.CreateUserAsync();
        await portal.CreateTenantAsync(owner);
        var client = portal.CreatePortalClient();
        await client.SignInAsync(owner.Email!);
        return client;
    }
}
