using System.Globalization;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Platform.Billing.Plans;
using Platform.Domain.Tenants;
using Platform.Web.Tests.Infrastructure;
using Platform.Web.Tests.Jobs;

namespace Platform.Web.Tests.Billing;

public sealed class TenantBillingTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    [Fact]
    public async Task Billing_OwnerOnAPlanWithUsage_ShowsPlanMetersAndProjectedCost()
    {
        var owner = await JobTestKit.OwnerAsync(portal);
        await BillingKit.AssignPlanAsync(portal, owner.TenantId);
        await BillingKit.FinishedJobAsync(portal, owner.TenantId, device: "cuda");

        // Not ingested yet: the page counts finished segments the ledger does not hold yet.
        var page = await owner.Client.GetAsync("/billing");

        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.Equal("Starter", page.Text("#plan-name"));
        Assert.Equal("active", page.Document.QuerySelector("#subscription-status")!.GetAttribute("data-status"));
        var gpu = page.Document.QuerySelector("#usage-gpu")!;
        Assert.True(decimal.Parse(gpu.GetAttribute("data-used")!, CultureInfo.InvariantCulture) > 0);
        Assert.Equal("10", gpu.GetAttribute("data-included"));
        Assert.Equal("0", page.Document.QuerySelector("#usage-cpu")!.GetAttribute("data-used"));
        Assert.StartsWith("100.00 USD", page.Text("#projected-cost .stat-value"));
        Assert.Equal("No invoices yet: the first comes when the first billing period ends.", page.Text("#no-invoices"));
        Assert.Contains(page.Document.QuerySelectorAll("nav a"), a => a.GetAttribute("href") == "/billing");
    }

    [Fact]
    public async Task Billing_NewOrganisation_IsOnTheFreePlanFromSignUp()
    {
        // Every organisation is on a plan from sign-up (issue 13): there is no "no plan yet" any more.
        var owner = await JobTestKit.OwnerAsync(portal);

        var page = await owner.Client.GetAsync("/billing");

        Assert.Equal("Free", page.Text("#plan-name"));
    }

    [Fact]
    public async Task Billing_Member_SeesNoBillingAndCannotDownload()
    {
        var owner = await JobTestKit.OwnerAsync(portal);
        var invoiced = await BillingKit.InvoicedTenantAsync(portal, owner.TenantId);
        var member = await portal.CreateUserAsync();
        await portal.AddMemberAsync(owner.TenantId, member, TenantRole.Member);
        using var client = portal.CreatePortalClient();
        await client.SignInAsync(member.Email!);

        var page = await client.GetAsync("/billing");
        var invoice = await client.GetAsync($"/billing/invoices/{invoiced.Invoice.InvoiceId}");
        var pdf = await client.GetAsync($"/billing/invoices/{invoiced.Invoice.InvoiceId}/pdf");

        Assert.Equal("Billing is for owners", page.Text(".empty-state h2"));
        Assert.DoesNotContain(page.Document.QuerySelectorAll("nav a"), a => a.GetAttribute("href") == "/billing");
        Assert.Equal(HttpStatusCode.NotFound, invoice.Status);
        Assert.StartsWith("http://localhost/account/access-denied", pdf.Location);
    }

    [Fact]
    public async Task Invoice_OwnOrganisation_ListedWithHtmlViewAndPdf()
    {
        var owner = await JobTestKit.OwnerAsync(portal);
        var invoiced = await BillingKit.InvoicedTenantAsync(portal, owner.TenantId);

        var billing = await owner.Client.GetAsync("/billing");
        var page = await owner.Client.GetAsync($"/billing/invoices/{invoiced.Invoice.InvoiceId}");
        using var pdf = await owner.Client.Http.GetAsync($"/billing/invoices/{invoiced.Invoice.InvoiceId}/pdf");

        Assert.NotNull(billing.Document.QuerySelector($"#invoice-table tr[data-invoice='{invoiced.Invoice.InvoiceId}']"));
        Assert.Equal($"Invoice {invoiced.Invoice.Number}", page.Text("h1"));
        Assert.Equal("100.00 USD", page.Text("#invoice-due"));
        Assert.False(page.Has("#status-form"));
        Assert.Equal(HttpStatusCode.OK, pdf.StatusCode);
        Assert.Equal("%PDF-"u8.ToArray(), (await pdf.Content.ReadAsByteArrayAsync())[..5]);
    }

    [Fact]
    public async Task Invoice_AnotherOrganisationsId_IsNotFound()
    {
        var victim = await JobTestKit.OwnerAsync(portal);
        var invoiced = await BillingKit.InvoicedTenantAsync(portal, victim.TenantId);
        var stranger = await JobTestKit.OwnerAsync(portal);
        await BillingKit.AssignPlanAsync(portal, stranger.TenantId);

        var page = await stranger.Client.GetAsync($"/billing/invoices/{invoiced.Invoice.InvoiceId}");
        using var pdf = await stranger.Client.Http.GetAsync($"/billing/invoices/{invoiced.Invoice.InvoiceId}/pdf");
        var billing = await stranger.Client.GetAsync("/billing");

        Assert.Equal(HttpStatusCode.NotFound, page.Status);
        Assert.Equal("Page not found", page.Text("h1"));
        Assert.DoesNotContain(invoiced.Invoice.Number, page.Html);
        Assert.Equal(HttpStatusCode.NotFound, pdf.StatusCode);
        Assert.False(billing.Has("#invoice-table"));
    }

    [Fact]
    public async Task Invoice_Draft_IsNotShownToTheTenant()
    {
        var owner = await JobTestKit.OwnerAsync(portal);
        var draft = await BillingKit.InvoicedTenantAsync(portal, owner.TenantId, finalize: false);

        var billing = await owner.Client.GetAsync("/billing");
        var page = await owner.Client.GetAsync($"/billing/invoices/{draft.Invoice.InvoiceId}");

        Assert.False(billing.Has("#invoice-table"));
        Assert.Equal(HttpStatusCode.NotFound, page.Status);
    }

    [Fact]
    public async Task Billing_OwnerOnTheFreePlan_ChoosesAPaidPlanWithATrialOnce()
    {
        var owner = await JobTestKit.OwnerAsync(portal);
        var plan = BillingKit.Starter();
        await portal.WithServicesAsync(async sp => (await sp.GetRequiredService<SavePlanCommand>().ExecuteAsync(plan)).Value);

        var page = await owner.Client.GetAsync("/billing");
        Assert.Equal("Free", page.Text("#plan-name"));
        Assert.True(page.Has($"#plan-options tr[data-plan='{plan.Code}'] input[type=radio]"));
        Assert.True(page.Has("#plan-trial"));
        var chosen = await owner.Client.FollowAsync(await owner.Client.SubmitAsync(page, "#plan-choice-form", new Dictionary<string, string>
        {
            ["ChosenPlanId"] = plan.Id.ToString(), ["StartTrial"] = "true",
        }));

        Assert.Equal("Starter", chosen.Text("#plan-name"));
        Assert.Equal("trialing", chosen.Document.QuerySelector("#subscription-status")!.GetAttribute("data-status"));
        Assert.Contains("You are on the Starter plan", chosen.Text("#plan-choice-message"));
        Assert.False(chosen.Has("#plan-trial"));
        // Fourteen days without the fee, from the change.
        Assert.Equal(14 * 86400L, await portal.Database.ScalarAsync<long>($"""
            SELECT extract(epoch FROM s.trial_ends_at - c.effective_at)::bigint FROM subscriptions s
            JOIN subscription_plan_changes c ON c.tenant_id = s.tenant_id AND c.plan_id = '{plan.Id}' WHERE s.tenant_id = '{owner.TenantId}'
            """));

        // Back to Free and up again: the trial was used, so a forged second one is refused and nothing changes.
        var free = (await owner.Client.GetAsync("/billing")).Document.QuerySelector("#plan-options tr[data-plan='free'] input")!.GetAttribute("value")!;
        var back = await owner.Client.FollowAsync(await owner.Client.SubmitAsync(chosen, "#plan-choice-form",
            new Dictionary<string, string> { ["ChosenPlanId"] = free }));
        Assert.Equal("Free", back.Text("#plan-name"));
        var again = await owner.Client.SubmitAsync(back, "#plan-choice-form", new Dictionary<string, string>
        {
            ["ChosenPlanId"] = plan.Id.ToString(), ["StartTrial"] = "true",
        });
        Assert.Equal("A trial is for the first paid plan, once.", again.Text("#plan-choice-message"));
        Assert.Equal("Free", (await owner.Client.GetAsync("/billing")).Text("#plan-name"));
    }

    [Fact]
    public async Task Billing_SubscriptionKeptInStripe_PlanIsNotChangedHere()
    {
        var owner = await JobTestKit.OwnerAsync(portal);
        await JobTestKit.ExecuteAsync(portal, $"UPDATE subscriptions SET stripe_subscription_id = 'sub_demo' WHERE tenant_id = '{owner.TenantId}'");

        var page = await owner.Client.GetAsync("/billing");

        Assert.Contains("kept in sync with Stripe", page.Text("#plan-choice-locked"));
        Assert.False(page.Has("#plan-choice-form"));
    }

    [Fact]
    public async Task Billing_OrganisationWithoutAPlan_ShowsThisMonthsMeteredUsageAndOffersPlans()
    {
        var owner = await JobTestKit.OwnerAsync(portal);
        await JobTestKit.ExecuteAsync(portal, $"""
            DELETE FROM subscription_plan_changes WHERE tenant_id = '{owner.TenantId}';
            DELETE FROM subscriptions WHERE tenant_id = '{owner.TenantId}';
            """);
        await BillingKit.FinishedJobAsync(portal, owner.TenantId, device: "cpu", seconds: 2);

        var page = await owner.Client.GetAsync("/billing");

        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.False(page.Has("#plan-name"));
        Assert.Contains("No billing plan", page.Text("#no-plan"));
        var cpuHours = decimal.Parse(page.Text("#unplanned-cpu").TrimEnd(' ', 'h'), CultureInfo.InvariantCulture);
        Assert.InRange(cpuHours, 0.0005m, 0.01m);
        Assert.Equal("0 h", page.Text("#unplanned-gpu"));
        Assert.Equal("Choose a plan", page.Text("#plan-choice h2"));
        Assert.False(page.Has("#plan-options tr.table-active"));
    }

    [Fact]
    public async Task LaunchForm_OnAPlan_ShowsTheEstimateInMoneyBeyondTheIncludedHours()
    {
        await JobTestKit.EnsureCatalogAsync(portal);
        var owner = await JobTestKit.OwnerAsync(portal);
        // No CPU hours included: the whole CPU estimate is overage, at 0.10 USD an hour.
        await BillingKit.AssignPlanAsync(portal, owner.TenantId, BillingKit.Starter() with { IncludedCpuHours = 0m });
        var datasetId = await JobTestKit.UploadCsvAsync(owner.Client);

        var page = await owner.Client.GetAsync($"/jobs/new?dataset={datasetId}");

        var cpu = page.Document.QuerySelector("#estimate-cost-cpu")!;
        var hours = decimal.Parse(cpu.GetAttribute("data-hours")!, CultureInfo.InvariantCulture);
        Assert.True(hours > 0);
        Assert.Equal(hours, decimal.Parse(cpu.GetAttribute("data-beyond")!, CultureInfo.InvariantCulture));
        Assert.Equal(Math.Round(hours * 0.10m, 2, MidpointRounding.AwayFromZero), decimal.Parse(cpu.GetAttribute("data-added")!, CultureInfo.InvariantCulture));
        Assert.Contains("USD added to this period's invoice", cpu.TextContent);
        Assert.Contains("Starter plan", page.Text("#estimate-cost"));
        // 10 GPU hours included: a GPU run fits in them and adds nothing.
        var gpu = page.Document.QuerySelector("#estimate-cost-cuda")!;
        Assert.Equal("0", gpu.GetAttribute("data-beyond"));
        Assert.Contains("within the included hours", gpu.TextContent);
    }
}
