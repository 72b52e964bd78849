using System.Net;
using Platform.Domain.Tenants;
using Platform.Web.Tests.Infrastructure;

namespace Platform.Web.Tests.Admin;

/// <summary>The admin's tenant page: members, subscription, quota override and job limits.</summary>
public sealed class TenantAdminTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    [Fact]
    public async Task TenantPage_TenantOwner_IsSentToAccessDenied()
    {
        var (client, tenantId) = await AdminTestKit.SignedInOwnerAsync(portal);

        var page = await client.GetAsync($"/admin/tenants/{tenantId}");

        Assert.Equal(HttpStatusCode.Redirect, page.Status);
        Assert.StartsWith("http://localhost/account/access-denied", page.Location);
    }

    [Theory]
    [InlineData("job-limits", "Limits.MaxConcurrent", "50")]
    [InlineData("quota-override", "Quota.ExtraGpuHours", "1000")]
    [InlineData("cancel-subscription", "unused", "")]
    public async Task PostTenantForm_TenantOwnerWithValidToken_IsDeniedAndChangesNothing(string handler, string field, string value)
    {
        var (client, tenantId) = await AdminTestKit.SignedInOwnerAsync(portal);
        var plan = await AdminTestKit.PlanAsync(portal);
        using var admin = await AdminTestKit.SignedInAdminAsync(portal);
        await admin.SubmitAsync(await admin.GetAsync($"/admin/tenants/{tenantId}"), "#assign-plan-form",
            new Dictionary<string, string> { ["AssignPlanId"] = plan.Id.ToString() });

        var posted = await AdminTestKit.PostWithTokenFromAsync(client, "/settings/api-keys", $"/admin/tenants/{tenantId}", handler,
            new Dictionary<string, string> { [field] = value, ["Limits.MaxActive"] = "50", ["Quota.ExtraCpuHours"] = "0" });

        Assert.StartsWith("http://localhost/account/access-denied", posted.Location);
        // The only limits are the plan's, set when the admin assigned it.
        Assert.Equal((plan.MaxConcurrentJobs, 10), (await portal.Database.ScalarAsync<int>($"SELECT max_concurrent FROM tenant_job_limits WHERE tenant_id = '{tenantId}'"),
            await portal.Database.ScalarAsync<int>($"SELECT max_active FROM tenant_job_limits WHERE tenant_id = '{tenantId}'")));
        Assert.Equal(0L, await portal.Database.ScalarAsync<long>($"SELECT count(*) FROM tenant_quota_overrides WHERE tenant_id = '{tenantId}'"));
        Assert.Equal("active", await portal.Database.ScalarAsync<string>($"SELECT status FROM subscriptions WHERE tenant_id = '{tenantId}'"));
    }

    [Fact]
    public async Task TenantPage_Admin_ListsMembersWithRoles()
    {
        var owner = await portal.CreateUserAsync($"owner-{Guid.NewGuid():N}@example.com");
        var tenant = await portal.CreateTenantAsync(owner);
        var member = await portal.CreateUserAsync($"member-{Guid.NewGuid():N}@example.com");
        await portal.AddMemberAsync(tenant.Id, member, TenantRole.Member);
        using var admin = await AdminTestKit.SignedInAdminAsync(portal);

        var page = await admin.GetAsync($"/admin/tenants/{tenant.Id}");

        var rows = page.Document.QuerySelectorAll("#member-table tbody tr").Select(r => r.TextContent).ToList();
        Assert.Equal(2, rows.Count);
        Assert.Contains(owner.Email!, rows[0]);
        Assert.Contains("Owner", rows[0]);
        Assert.Contains(member.Email!, rows[1]);
        Assert.Contains("Member", rows[1]);
        Assert.Contains("UTC", rows[1]);
    }

    [Fact]
    public async Task Subscription_AssignChangeCancel_ShowsEachStepAndTheProrationRule()
    {
        var (_, tenantId) = await AdminTestKit.SignedInOwnerAsync(portal);
        var starter = await AdminTestKit.PlanAsync(portal, "Starter");
        var growth = await AdminTestKit.PlanAsync(portal, "Growth", 400m);
        using var admin = await AdminTestKit.SignedInAdminAsync(portal);
        var url = $"/admin/tenants/{tenantId}";
        // Every organisation is on a plan from sign-up (issue 13, finding 4).
        Assert.False((await admin.GetAsync(url)).Has("#no-subscription"));

        var assigned = await admin.FollowAsync(await admin.SubmitAsync(await admin.GetAsync(url), "#assign-plan-form",
            new Dictionary<string, string> { ["AssignPlanId"] = starter.Id.ToString() }));
        Assert.Equal("Starter", assigned.Text("#current-plan"));
        Assert.Equal("Active", assigned.Text("#subscription-status"));
        Assert.Equal("Changed to the Starter plan from now on.", assigned.Text("#subscription-message"));
        Assert.Contains("pro rata to the second", assigned.Text("#proration-rule"));
        Assert.Contains("decision 0010", assigned.Text("#proration-rule"));

        var changed = await admin.FollowAsync(await admin.SubmitAsync(assigned, "#assign-plan-form",
            new Dictionary<string, string> { ["AssignPlanId"] = growth.Id.ToString() }));
        Assert.Equal("Growth", changed.Text("#current-plan"));
        Assert.Contains("Starter", changed.Text("#plan-history"));

        var canceled = await admin.FollowAsync(await admin.SubmitAsync(changed, "#cancel-subscription-form"));
        Assert.Equal("Canceled", canceled.Text("#subscription-status"));
        Assert.False(canceled.Has("#assign-plan-form"));
        Assert.Equal("canceled", await portal.Database.ScalarAsync<string>($"SELECT status FROM subscriptions WHERE tenant_id = '{tenantId}'"));
    }

    [Fact]
    public async Task Subscription_ChangeToPlanInOtherCurrency_ShowsWhyAndKeepsThePlan()
    {
        var (_, tenantId) = await AdminTestKit.SignedInOwnerAsync(portal);
        var dollars = await AdminTestKit.PlanAsync(portal, "Dollars");
        var euros = await AdminTestKit.PlanAsync(portal, "Euros", currency: "EUR");
        using var admin = await AdminTestKit.SignedInAdminAsync(portal);
        var url = $"/admin/tenants/{tenantId}";
        var assigned = await admin.FollowAsync(await admin.SubmitAsync(await admin.GetAsync(url), "#assign-plan-form",
            new Dictionary<string, string> { ["AssignPlanId"] = dollars.Id.ToString() }));

        var refused = await admin.SubmitAsync(assigned, "#assign-plan-form", new Dictionary<string, string> { ["AssignPlanId"] = euros.Id.ToString() });

        Assert.Equal(HttpStatusCode.OK, refused.Status);
        Assert.Contains("cannot mix currencies", refused.Text("#subscription-message"));
        Assert.Equal("Dollars", refused.Text("#current-plan"));
    }

    [Fact]
    public async Task QuotaOverride_ExtraHoursAndSoftCap_RaiseTheIncludedHoursShown()
    {
        var (_, tenantId) = await AdminTestKit.SignedInOwnerAsync(portal);
        var plan = await AdminTestKit.PlanAsync(portal);
        using var admin = await AdminTestKit.SignedInAdminAsync(portal);
        var url = $"/admin/tenants/{tenantId}";
        var page = await admin.FollowAsync(await admin.SubmitAsync(await admin.GetAsync(url), "#assign-plan-form",
            new Dictionary<string, string> { ["AssignPlanId"] = plan.Id.ToString() }));
        Assert.Equal("0 of 10", page.Text("#quota-gpu"));

        var bad = await admin.SubmitAsync(page, "#quota-form", new Dictionary<string, string> { ["Quota.ExtraGpuHours"] = "lots" });
        Assert.Contains("Enter hours as a number", bad.Text("#extra-gpu ~ .validation-message"));
        Assert.Equal(0L, await portal.Database.ScalarAsync<long>($"SELECT count(*) FROM tenant_quota_overrides WHERE tenant_id = '{tenantId}'"));

        var saved = await admin.SubmitAsync(page, "#quota-form", new Dictionary<string, string>
        {
            ["Quota.ExtraGpuHours"] = "2.5", ["Quota.CapMode"] = "Soft", ["Quota.Note"] = "pilot month",
        });

        Assert.Equal("Quota override saved.", saved.Text("#quota-message"));
        // The page's URL still says ?subscription=assigned; that notice was for the redirect, not this post.
        Assert.False(saved.Has("#subscription-message"));
        Assert.Equal("0 of 12.5", saved.Text("#quota-gpu"));
        Assert.Equal("2.5", saved.Document.QuerySelector("#extra-gpu")!.GetAttribute("value"));
        Assert.Equal("2.5000|Soft|pilot month", await portal.Database.ScalarAsync<string>(
            $"SELECT extra_gpu_hours || '|' || cap_mode || '|' || note FROM tenant_quota_overrides WHERE tenant_id = '{tenantId}'"));
        var reloaded = await admin.GetAsync(url);
        Assert.Equal("Soft", reloaded.Document.QuerySelector("#cap-override option[selected]")?.GetAttribute("value"));
    }

    [Fact]
    public async Task JobLimits_AdminLowersThem_StoredAndBadInputRefused()
    {
        var (_, tenantId) = await AdminTestKit.SignedInOwnerAsync(portal);
        using var admin = await AdminTestKit.SignedInAdminAsync(portal);
        var url = $"/admin/tenants/{tenantId}";
        var page = await admin.GetAsync(url);
        Assert.Equal("0 of 10", page.Text("#jobs-active"));

        var refused = await admin.SubmitAsync(page, "#job-limits-form", new Dictionary<string, string>
        {
            ["Limits.MaxConcurrent"] = "5", ["Limits.MaxActive"] = "2",
        });
        Assert.Contains("cannot exceed active jobs", refused.Text("#job-limits-message"));
        var typo = await admin.SubmitAsync(page, "#job-limits-form", new Dictionary<string, string> { ["Limits.MaxActive"] = "two" });
        Assert.Equal("Enter a whole number, e.g. 10.", typo.Text("#max-active ~ .validation-message"));
        Assert.Equal(0L, await portal.Database.ScalarAsync<long>($"SELECT count(*) FROM tenant_job_limits WHERE tenant_id = '{tenantId}'"));

        var saved = await admin.SubmitAsync(page, "#job-limits-form", new Dictionary<string, string>
        {
            ["Limits.MaxConcurrent"] = "1", ["Limits.MaxActive"] = "3",
        });

        Assert.Equal("Job limits saved.", saved.Text("#job-limits-message"));
        Assert.Equal("0 of 3", saved.Text("#jobs-active"));
        Assert.Equal("1|3", await portal.Database.ScalarAsync<string>(
            $"SELECT max_concurrent || '|' || max_active FROM tenant_job_limits WHERE tenant_id = '{tenantId}'"));
    }
}
