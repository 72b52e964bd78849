using System.Net;
using Platform.Data.Identity;
using Platform.Web.Tests.Infrastructure;

namespace Platform.Web.Tests.Tenants;

public sealed class SuspensionTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    [Fact]
    public async Task Suspend_ByPlatformAdmin_TenantSeesReasonAndUploadFormIsGone()
    {
        var owner = await portal.CreateUserAsync();
        var tenant = await portal.CreateTenantAsync(owner, "Late Payer");
        var admin = await portal.CreateUserAsync(null, PlatformRoles.PlatformAdmin);
        using var adminClient = portal.CreatePortalClient();
        await adminClient.SignInAsync(admin.Email!);

        var detail = await adminClient.GetAsync($"/admin/tenants/{tenant.Id}");
        var suspended = await adminClient.SubmitAsync(detail, "form:has(#reason)", new Dictionary<string, string> { ["Suspend.Reason"] = "Invoice 42 is 60 days overdue" });

        Assert.Equal(HttpStatusCode.OK, suspended.Status);
        Assert.Equal("The tenant is suspended.", suspended.Text("#admin-message"));
        Assert.Equal("Invoice 42 is 60 days overdue", suspended.Text("#suspension-reason"));

        using var ownerClient = portal.CreatePortalClient();
        await ownerClient.SignInAsync(owner.Email!);
        var dashboard = await ownerClient.GetAsync("/");
        var upload = await ownerClient.GetAsync("/datasets/new");

        Assert.Equal(HttpStatusCode.OK, dashboard.Status);
        Assert.Contains("Invoice 42 is 60 days overdue", dashboard.Text(".suspended-banner"));
        Assert.Equal("Suspended", dashboard.Text("#stat-status .stat-value"));
        Assert.False(upload.Has("#upload-form"));
        Assert.Contains("Uploads are disabled", upload.Text("#upload-disabled"));
    }

    [Fact]
    public async Task Reactivate_SuspendedTenant_UploadFormReturns()
    {
        var owner = await portal.CreateUserAsync();
        var tenant = await portal.CreateTenantAsync(owner, "Paid Up");
        var admin = await portal.CreateUserAsync(null, PlatformRoles.PlatformAdmin);
        using var adminClient = portal.CreatePortalClient();
        await adminClient.SignInAsync(admin.Email!);
        await adminClient.SubmitAsync(await adminClient.GetAsync($"/admin/tenants/{tenant.Id}"), "form:has(#reason)",
            new Dictionary<string, string> { ["Suspend.Reason"] = "Chargeback under review" });

        var reactivated = await adminClient.SubmitAsync(await adminClient.GetAsync($"/admin/tenants/{tenant.Id}"), "main form");

        Assert.Equal("The tenant is active again.", reactivated.Text("#admin-message"));
        using var ownerClient = portal.CreatePortalClient();
        await ownerClient.SignInAsync(owner.Email!);
        Assert.True((await ownerClient.GetAsync("/datasets/new")).Has("#upload-form"));
    }

    [Fact]
    public async Task Suspend_EmptyReason_IsRefusedWithMessage()
    {
        var owner = await portal.CreateUserAsync();
        var tenant = await portal.CreateTenantAsync(owner);
        var admin = await portal.CreateUserAsync(null, PlatformRoles.PlatformAdmin);
        using var adminClient = portal.CreatePortalClient();
        await adminClient.SignInAsync(admin.Email!);

        var refused = await adminClient.SubmitAsync(await adminClient.GetAsync($"/admin/tenants/{tenant.Id}"), "form:has(#reason)",
            new Dictionary<string, string> { ["Suspend.Reason"] = "" });

        Assert.Equal("Say why: the tenant sees this reason.", refused.Text(".validation-message"));
        Assert.Equal("Active", await portal.Database.ScalarAsync<string>($"SELECT status FROM tenants WHERE id = '{tenant.Id}'"));
    }
}
