using System.Net;
using System.Security.Claims;
using Hangfire;
using Hangfire.Dashboard;
using Hangfire.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Platform.Billing.Scheduling;
using Platform.Data.Identity;
using Platform.Web.Background;
using Platform.Web.Tests.Infrastructure;

namespace Platform.Web.Tests.Background;

/// <summary>
/// The Hangfire Dashboard over the portal's own sign-in: platform admins only, and its actions
/// ("Trigger now") refused without the portal's antiforgery token. No Hangfire server runs here, so a
/// triggered job stays enqueued where the test can see it.
/// </summary>
public sealed class DashboardTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    private const string Dashboard = BackgroundJobsOptions.DashboardPath;

    [Fact]
    public async Task Dashboard_Anonymous_RedirectsToSignIn()
    {
        using var client = portal.CreatePortalClient();

        var page = await client.GetAsync(Dashboard);

        Assert.Equal(HttpStatusCode.Redirect, page.Status);
        Assert.StartsWith("http://localhost/account/sign-in?ReturnUrl=", page.Location);
    }

    [Theory]
    [InlineData(PlatformRoles.Finance)]
    [InlineData(null)]
    public async Task Dashboard_NotAPlatformAdmin_IsSentToAccessDenied(string? role)
    {
        var user = role is null ? await portal.CreateUserAsync() : await portal.CreateUserAsync(null, role);
        using var client = portal.CreatePortalClient();
        await client.SignInAsync(user.Email!);

        var page = await client.GetAsync($"{Dashboard}/recurring");
        var trigger = await client.Http.PostAsync($"{Dashboard}/recurring/trigger",
            new FormUrlEncodedContent([new("jobs[]", HousekeepingJobs.StoppedWorkersId)]));

        Assert.Equal(HttpStatusCode.Redirect, page.Status);
        Assert.StartsWith("http://localhost/account/access-denied", page.Location);
        Assert.Equal(HttpStatusCode.Redirect, trigger.StatusCode);
    }

    [Fact]
    public async Task Dashboard_PlatformAdmin_ListsTheRecurringJobs()
    {
        Schedule();
        using var admin = await AdminClientAsync();

        var page = await admin.GetAsync($"{Dashboard}/recurring");

        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.Contains(BillingJobs.IngestUsageId, page.Html);
        Assert.Contains(BillingJobs.CloseDuePeriodsId, page.Html);
        Assert.Contains(HousekeepingJobs.UploadSpoolsId, page.Html);
        Assert.Contains(HousekeepingJobs.JobEventsId, page.Html);
    }

    [Fact]
    public async Task TriggerNow_WithoutTheAntiforgeryToken_IsRefused()
    {
        Schedule();
        using var admin = await AdminClientAsync();

        var trigger = await admin.Http.PostAsync($"{Dashboard}/recurring/trigger",
            new FormUrlEncodedContent([new("jobs[]", BillingJobs.CloseDuePeriodsId)]));

        // Hangfire's answer to a post whose token IAntiforgery does not accept.
        Assert.Equal(HttpStatusCode.BadRequest, trigger.StatusCode);
        Assert.Null(RecurringJob(BillingJobs.CloseDuePeriodsId).LastJobId);
    }

    [Fact]
    public async Task TriggerNow_WithTheDashboardsToken_EnqueuesTheJob()
    {
        Schedule();
        using var admin = await AdminClientAsync();
        var page = await admin.GetAsync($"{Dashboard}/recurring");
        var header = page.Document.QuerySelector("meta[name='csrf-header']")!.GetAttribute("content")!;
        var token = page.Document.QuerySelector("meta[name='csrf-token']")!.GetAttribute("content")!;

        using var request = new HttpRequestMessage(HttpMethod.Post, $"{Dashboard}/recurring/trigger")
        {
            Content = new FormUrlEncodedContent([new("jobs[]", BillingJobs.IngestUsageId)]),
        };
        request.Headers.Add(header, token);
        var trigger = await admin.Http.SendAsync(request);

        Assert.True(trigger.IsSuccessStatusCode, $"{(int)trigger.StatusCode}");
        var job = RecurringJob(BillingJobs.IngestUsageId);
        Assert.NotNull(job.LastJobId);
        using var connection = portal.Services.GetRequiredService<JobStorage>().GetConnection();
        Assert.Equal("Enqueued", connection.GetStateData(job.LastJobId)?.Name);
    }

    [Theory]
    [InlineData("00:00:01", "*/1 * * * * *", 1)]
    [InlineData("00:01:00", "*/1 * * * *", 60)]
    public void Schedule_Interval_HangfireRunsTheStepThatOften(string interval, string cron, int seconds)
    {
        var recurring = portal.Services.GetRequiredService<IRecurringJobManager>();
        var options = new BillingSchedulerOptions { Interval = TimeSpan.Parse(interval, System.Globalization.CultureInfo.InvariantCulture) };

        BillingJobs.Schedule(recurring, Microsoft.Extensions.Options.Options.Create(options),
            Microsoft.Extensions.Options.Options.Create(new Platform.Billing.Stripe.StripeOptions()));

        var job = RecurringJob(BillingJobs.CloseDuePeriodsId);
        Assert.Equal(cron, job.Cron);
        Assert.Null(job.Error);
        // Hangfire parsed it (seconds field included): the next run is at most one interval away.
        Assert.NotNull(job.NextExecution);
        Assert.True(job.NextExecution!.Value - DateTime.UtcNow <= TimeSpan.FromSeconds(seconds), $"{job.NextExecution:O}");
    }

    [Theory]
    [InlineData(PlatformRoles.PlatformAdmin, true)]
    [InlineData(PlatformRoles.Finance, false)]
    [InlineData(null, false)]
    public void Filter_Roles_OnlyPlatformAdminsPass(string? role, bool expected)
    {
        var claims = role is null ? [new Claim(ClaimTypes.Name, "someone")] : new[] { new Claim(ClaimTypes.Name, "someone"), new Claim(ClaimTypes.Role, role) };
        var http = new DefaultHttpContext { User = new ClaimsPrincipal(new ClaimsIdentity(claims, "Cookies")), RequestServices = portal.Services };
        var anonymous = new DefaultHttpContext { User = new ClaimsPrincipal(new ClaimsIdentity()), RequestServices = portal.Services };
        var storage = portal.Services.GetRequiredService<JobStorage>();

        var filter = new PlatformAdminDashboardFilter();

        Assert.Equal(expected, filter.Authorize(new AspNetCoreDashboardContext(storage, new DashboardOptions(), http)));
        Assert.False(filter.Authorize(new AspNetCoreDashboardContext(storage, new DashboardOptions(), anonymous)));
    }

    /// <summary>The schedule a portal with a server puts in place at start (this one runs none).</summary>
    private void Schedule()
    {
        var recurring = portal.Services.GetRequiredService<IRecurringJobManager>();
        BillingJobs.Schedule(recurring, Microsoft.Extensions.Options.Options.Create(new BillingSchedulerOptions()),
            Microsoft.Extensions.Options.Options.Create(new Platform.Billing.Stripe.StripeOptions()));
        HousekeepingJobs.Schedule(recurring, new HousekeepingOptions());
    }

    private RecurringJobDto RecurringJob(string id)
    {
        using var connection = portal.Services.GetRequiredService<JobStorage>().GetConnection();
        return connection.GetRecurringJobs([id]).Single();
    }

    private async Task<PortalClient> AdminClientAsync()
    {
        var admin = await portal.CreateUserAsync(null, PlatformRoles.PlatformAdmin);
        var client = portal.CreatePortalClient();
        await client.SignInAsync(admin.Email!);
        return client;
    }
}
