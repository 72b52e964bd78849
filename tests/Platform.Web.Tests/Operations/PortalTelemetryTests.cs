using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Platform.Billing.Scheduling;
using Platform.Testing;
using Platform.Web.Tests.Infrastructure;
using Platform.Web.Tests.Jobs;

namespace Platform.Web.Tests.Operations;

/// <summary>
/// The portal's Prometheus scrape and readiness: the scrape needs its token, and its meters move after
/// real actions (requests, a launched job, a scheduler run); readiness names a late scheduler.
/// </summary>
public sealed class PortalTelemetryTests(PortalTelemetryTests.ScrapedPortal fixture) : IClassFixture<PortalTelemetryTests.ScrapedPortal>
{
    private const string Token = "scrape-token-0123456789abcdef";

    private PortalFactory Portal => fixture.Portal;

    /// <summary>A portal with a scrape token and the billing steps on the schedule (no Hangfire server runs them).</summary>
    public sealed class ScrapedPortal : IAsyncLifetime
    {
        public PortalFactory Portal { get; } = new()
        {
            Settings = { ["Telemetry:PrometheusToken"] = Token, ["BillingScheduler:Enabled"] = "true" },
        };

        public Task InitializeAsync() => ((IAsyncLifetime)Portal).InitializeAsync();

        public Task DisposeAsync() => ((IAsyncLifetime)Portal).DisposeAsync();
    }

    [Fact]
    public async Task Scrape_WithoutOrWithWrongToken_Is404()
    {
        using var http = Portal.CreateClient();
        using var wrong = new HttpRequestMessage(HttpMethod.Get, "/metrics") { Headers = { Authorization = new AuthenticationHeaderValue("Bearer", "guess") } };

        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/metrics")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.SendAsync(wrong)).StatusCode);
    }

    [Fact]
    public async Task Scrape_AfterRequestsAndALaunch_CountsTheRequestsAndTheQueuedJob()
    {
        await JobTestKit.EnsureCatalogAsync(Portal);
        var owner = await JobTestKit.OwnerAsync(Portal);
        var before = await ScrapeAsync(_ => true);
        var requestsBefore = PrometheusText.Sum(before, "http_server_request_duration_seconds_count") ?? 0;

        var dataset = await JobTestKit.UploadCsvAsync(owner.Client);
        await JobTestKit.LaunchAsync(Portal, owner, dataset);

        var after = await ScrapeAsync(text => PrometheusText.Sum(text, "platform_jobs_queue_depth", "state=\"Queued\"") >= 1
                                              && PrometheusText.Sum(text, "http_server_request_duration_seconds_count") > requestsBefore);
        Assert.NotNull(PrometheusText.Sum(after, "platform_jobs_queue_depth", "state=\"Running\"", "class=\"free\""));
    }

    [Fact]
    public async Task Ready_SchedulerLate_IsDegradedStill200_AndARunMakesItHealthyAndCountsTheRun()
    {
        var step = BillingScheduler.StepNameFor(BillingStep.CloseDuePeriods);
        await JobTestKit.ExecuteAsync(Portal, $"""
            INSERT INTO scheduler_runs (step, last_started_at, last_succeeded_at) VALUES ('{step}', now() - interval '1 day', now() - interval '1 day')
            ON CONFLICT (step) DO UPDATE SET last_succeeded_at = EXCLUDED.last_succeeded_at
            """);
        using var http = Portal.CreateClient();

        using var late = await http.GetAsync("/readyz");
        var lateBody = await JsonAsync(late);
        await Portal.WithServicesAsync(sp => sp.GetRequiredService<BillingScheduler>().RunStepAsync(BillingStep.CloseDuePeriods));
        using var ran = await http.GetAsync("/readyz");
        var ranBody = await JsonAsync(ran);

        Assert.Equal(HttpStatusCode.OK, late.StatusCode);
        Assert.Equal("Degraded", lateBody.GetProperty("status").GetString());
        var scheduler = lateBody.GetProperty("checks").GetProperty("scheduler");
        Assert.Equal("Degraded", scheduler.GetProperty("status").GetString());
        Assert.Contains(step, scheduler.GetProperty("description").GetString());
        Assert.Equal(HttpStatusCode.OK, ran.StatusCode);
        Assert.Equal("Healthy", ranBody.GetProperty("checks").GetProperty("scheduler").GetProperty("status").GetString());
        await ScrapeAsync(text => PrometheusText.Sum(text, "platform_scheduler_runs_total", $"step=\"{step}\"", "outcome=\"succeeded\"") >= 1);
    }

    [Fact]
    public async Task Healthz_IsLivenessOnly_ReadyzChecksEverything()
    {
        using var http = Portal.CreateClient();

        var live = await JsonAsync(await http.GetAsync("/healthz"));
        var ready = await JsonAsync(await http.GetAsync("/readyz"));

        Assert.Empty(live.GetProperty("checks").EnumerateObject());
        Assert.Equal(["database", "migrations", "scheduler", "storage"],
            ready.GetProperty("checks").EnumerateObject().Select(c => c.Name).Order());
        Assert.Equal("writable and readable", ready.GetProperty("checks").GetProperty("storage").GetProperty("description").GetString());
    }

    /// <summary>Scrapes until <paramref name="done"/> holds: the exporter caches a scrape for a moment.</summary>
    private async Task<string> ScrapeAsync(Func<string, bool> done)
    {
        using var http = Portal.CreateClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            using var response = await http.GetAsync("/metrics");
            var text = await response.Content.ReadAsStringAsync();
            if (response.StatusCode != HttpStatusCode.OK)
                Assert.Fail($"the scrape answered {(int)response.StatusCode}:\n{text}");
            if (done(text))
                return text;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"the scrape never showed what was expected:\n{text}");
            await Task.Delay(200);
        }
    }

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
}
