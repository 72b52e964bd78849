using System.Net;
using Platform.Web.Tests.Infrastructure;

namespace Platform.Web.Tests.Admin;

public sealed class PlanPagesTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    private static Dictionary<string, string> GoodPlan(string code) => new()
    {
        ["Input.Name"] = "Growth", ["Input.Code"] = code, ["Input.Currency"] = "usd", ["Input.MonthlyFee"] = "1,249.99",
        ["Input.IncludedGpuHours"] = "50", ["Input.IncludedCpuHours"] = "100.5", ["Input.GpuOveragePerHour"] = "2.125",
        ["Input.CpuOveragePerHour"] = "0.000125", ["Input.MaxConcurrentJobs"] = "8", ["Input.MaxDatasetGb"] = "2.5",
        ["Input.MaxStorageGb"] = "100", ["Input.CapMode"] = "Soft", ["Input.StripePriceId"] = " price_growth ",
        ["Input.StripeGpuPriceId"] = "", ["Input.StripeCpuPriceId"] = "",
    };

    private Task<long> PlanCountAsync() => portal.Database.ScalarAsync<long>("SELECT count(*) FROM billing_plans");

    [Theory]
    [InlineData("/admin/plans")]
    [InlineData("/admin/plans/new")]
    [InlineData("/admin/plans/0196a3c4-0000-7000-8000-000000000001")]
    public async Task PlanPage_TenantOwner_IsSentToAccessDenied(string url)
    {
        var (client, _) = await AdminTestKit.SignedInOwnerAsync(portal);

        var page = await client.GetAsync(url);

        Assert.Equal(HttpStatusCode.Redirect, page.Status);
        Assert.StartsWith("http://localhost/account/access-denied", page.Location);
    }

    [Fact]
    public async Task PlanPage_Anonymous_RedirectsToSignIn()
    {
        using var client = portal.CreatePortalClient();

        var page = await client.GetAsync("/admin/plans/new");

        Assert.Equal(HttpStatusCode.Redirect, page.Status);
        Assert.StartsWith("http://localhost/account/sign-in?ReturnUrl=", page.Location);
    }

    [Fact]
    public async Task PostPlan_TenantOwnerWithValidToken_IsDeniedAndSavesNothing()
    {
        var (client, _) = await AdminTestKit.SignedInOwnerAsync(portal);
        var before = await PlanCountAsync();

        var posted = await AdminTestKit.PostWithTokenFromAsync(client, "/settings/api-keys", "/admin/plans/new", "plan", GoodPlan("sneaky"));

        Assert.NotEqual(HttpStatusCode.OK, posted.Status);
        Assert.StartsWith("http://localhost/account/access-denied", posted.Location);
        Assert.Equal(before, await PlanCountAsync());
    }

    [Fact]
    public async Task CreatePlan_NegativePriceEmptyNameAndTypo_ShowsEachFieldErrorAndSavesNothing()
    {
        using var admin = await AdminTestKit.SignedInAdminAsync(portal);
        var before = await PlanCountAsync();
        var form = await admin.GetAsync("/admin/plans/new");
        var fields = GoodPlan("bad-input");
        fields["Input.Name"] = "";
        fields["Input.GpuOveragePerHour"] = "-2.50";
        fields["Input.MonthlyFee"] = "12,5.0";
        fields["Input.MaxDatasetGb"] = "-1";

        var page = await admin.SubmitAsync(form, "#plan-form", fields);

        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.Equal("4 fields need a change.", page.Text("#plan-error").Replace("Not saved.", "").Trim());
        Assert.Equal("A plan needs a name.", FieldError(page, "plan-name"));
        Assert.Equal("The GPU overage price cannot be negative.", FieldError(page, "plan-gpu-price"));
        Assert.Equal("Enter the monthly fee as a number with a dot for decimals, e.g. 49.00.", FieldError(page, "plan-fee"));
        Assert.Equal("The dataset size limit is between 0 and 1,000,000 GB.", FieldError(page, "plan-dataset"));
        Assert.Contains("is-invalid", page.Document.QuerySelector("#plan-gpu-price")!.ClassName);
        Assert.DoesNotContain("is-invalid", page.Document.QuerySelector("#plan-code")!.ClassName);
        // What was typed stays in the form to be corrected.
        Assert.Equal("-2.50", page.Document.QuerySelector("#plan-gpu-price")!.GetAttribute("value"));
        Assert.Equal(before, await PlanCountAsync());
    }

    [Fact]
    public async Task CreatePlan_ValidInput_IsListedStoredExactlyAndEditable()
    {
        using var admin = await AdminTestKit.SignedInAdminAsync(portal);
        var code = $"growth-{Guid.NewGuid():N}"[..16];

        var created = await admin.SubmitAsync(await admin.GetAsync("/admin/plans/new"), "#plan-form", GoodPlan(code));

        Assert.Equal(HttpStatusCode.Redirect, created.Status);
        var list = await admin.FollowAsync(created);
        Assert.Contains("Growth", list.Text("#plan-saved"));
        var row = list.Document.QuerySelector($"#plan-table a[data-plan='{code}']")!.Closest("tr")!;
        Assert.Contains("1,249.99 USD", row.TextContent);
        Assert.Contains("Soft cap", row.TextContent);
        Assert.Equal("1249.9900|100.5000|2.125000|0.000125|USD|price_growth|2684354560", await portal.Database.ScalarAsync<string>($"""
            SELECT monthly_fee || '|' || included_cpu_hours || '|' || gpu_overage_per_hour || '|' || cpu_overage_per_hour || '|' || currency
                   || '|' || stripe_price_id || '|' || max_dataset_bytes
            FROM billing_plans WHERE code = '{code}' AND stripe_gpu_price_id IS NULL
            """));

        var edit = await admin.GetAsync(row.QuerySelector("a")!.GetAttribute("href")!);
        Assert.Equal("1249.99", edit.Document.QuerySelector("#plan-fee")!.GetAttribute("value"));
        Assert.Equal("2.5", edit.Document.QuerySelector("#plan-dataset")!.GetAttribute("value"));
        var saved = await admin.SubmitAsync(edit, "#plan-form", new Dictionary<string, string> { ["Input.MonthlyFee"] = "1300" });

        Assert.Equal(HttpStatusCode.Redirect, saved.Status);
        Assert.Equal(1300m, await portal.Database.ScalarAsync<decimal>($"SELECT monthly_fee FROM billing_plans WHERE code = '{code}'"));
        Assert.Equal(1L, await portal.Database.ScalarAsync<long>($"SELECT count(*) FROM billing_plans WHERE code = '{code}'"));
    }

    [Fact]
    public async Task CreatePlan_CodeOfAnotherPlan_ShowsTheErrorOnTheCode()
    {
        using var admin = await AdminTestKit.SignedInAdminAsync(portal);
        var existing = await AdminTestKit.PlanAsync(portal);
        var before = await PlanCountAsync();

        var page = await admin.SubmitAsync(await admin.GetAsync("/admin/plans/new"), "#plan-form", GoodPlan(existing.Code));

        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.Equal($"Another plan already has the code '{existing.Code}'.", FieldError(page, "plan-code"));
        Assert.Equal(before, await PlanCountAsync());
    }

    [Fact]
    public async Task EditPlan_UnknownId_SaysNotFound()
    {
        using var admin = await AdminTestKit.SignedInAdminAsync(portal);

        var page = await admin.GetAsync($"/admin/plans/{Guid.NewGuid()}");

        Assert.Contains("Plan not found", page.Html);
        Assert.False(page.Has("#plan-form"));
    }

    /// <summary>The validation message rendered right after the input with this id.</summary>
    [Fact]
    public async Task CreatePlan_RetentionDays_RefusedOutOfRangeOrNotWholeThenStoredAndShownOnEdit()
    {
        using var admin = await AdminTestKit.SignedInAdminAsync(portal);
        var code = $"keep-{Guid.NewGuid():N}"[..16];
        var before = await PlanCountAsync();
        var fields = GoodPlan(code);
        fields["Input.CheckpointRetentionDays"] = "0";
        fields["Input.EventRetentionDays"] = "ten";

        var refused = await admin.SubmitAsync(await admin.GetAsync("/admin/plans/new"), "#plan-form", fields);

        Assert.Equal(HttpStatusCode.OK, refused.Status);
        Assert.Equal("Checkpoints are kept from 1 to 36,500 days after a job finishes.", FieldError(refused, "plan-checkpoint-days"));
        Assert.Equal("Enter how many days job events are kept as a whole number, e.g. 90.", FieldError(refused, "plan-event-days"));
        Assert.Equal(before, await PlanCountAsync());

        fields["Input.CheckpointRetentionDays"] = "7";
        fields["Input.EventRetentionDays"] = "36501";
        refused = await admin.SubmitAsync(refused, "#plan-form", fields);
        Assert.Equal("Job events are kept from 1 to 36,500 days.", FieldError(refused, "plan-event-days"));

        fields["Input.EventRetentionDays"] = "400";
        var created = await admin.SubmitAsync(refused, "#plan-form", fields);

        Assert.Equal(HttpStatusCode.Redirect, created.Status);
        Assert.Equal("7|400", await portal.Database.ScalarAsync<string>(
            $"SELECT checkpoint_retention_days || '|' || event_retention_days FROM billing_plans WHERE code = '{code}'"));
        var list = await admin.FollowAsync(created);
        var edit = await admin.GetAsync(list.Document.QuerySelector($"#plan-table a[data-plan='{code}']")!.GetAttribute("href")!);
        Assert.Equal("7", edit.Document.QuerySelector("#plan-checkpoint-days")!.GetAttribute("value"));
        Assert.Equal("400", edit.Document.QuerySelector("#plan-event-days")!.GetAttribute("value"));
    }

    [Fact]
    public async Task CreatePlan_RuntimeCapHours_RefusedWhenNotPositiveThenStoredInSecondsAndShownOnEdit()
    {
        using var admin = await AdminTestKit.SignedInAdminAsync(portal);
        var code = $"cap-{Guid.NewGuid():N}"[..16];
        var fields = GoodPlan(code);
        fields["Input.MaxJobRuntimeHours"] = "-1";

        var refused = await admin.SubmitAsync(await admin.GetAsync("/admin/plans/new"), "#plan-form", fields);

        Assert.Equal(HttpStatusCode.OK, refused.Status);
        Assert.Equal("Enter a job's runtime cap in hours, from 0.001 to 8,760 (e.g. 2), or leave it blank for none.", FieldError(refused, "plan-runtime-cap"));

        fields["Input.MaxJobRuntimeHours"] = "1.5";
        var created = await admin.SubmitAsync(refused, "#plan-form", fields);

        Assert.Equal(HttpStatusCode.Redirect, created.Status);
        Assert.Equal(5400, await portal.Database.ScalarAsync<int>($"SELECT max_job_runtime_seconds FROM billing_plans WHERE code = '{code}'"));
        var list = await admin.FollowAsync(created);
        var editUrl = list.Document.QuerySelector($"#plan-table a[data-plan='{code}']")!.GetAttribute("href")!;
        var edit = await admin.GetAsync(editUrl);
        Assert.Equal("1.5", edit.Document.QuerySelector("#plan-runtime-cap")!.GetAttribute("value"));

        // Cleared: the plan sets no cap any more.
        fields["Input.MaxJobRuntimeHours"] = "";
        var saved = await admin.SubmitAsync(edit, "#plan-form", fields);
        Assert.Equal(HttpStatusCode.Redirect, saved.Status);
        Assert.Equal(0L, await portal.Database.ScalarAsync<long>($"SELECT count(max_job_runtime_seconds) FROM billing_plans WHERE code = '{code}'"));
    }

    private static string FieldError(Page page, string inputId) =>
        page.Document.QuerySelector($"#{inputId} ~ .validation-message")?.TextContent.Trim()
        ?? throw new InvalidOperationException($"No message beside #{inputId}:\n{page.Html}");
}
