using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Platform.Data.ApiKeys;
using Platform.Testing;
using Platform.Web.Tests.Infrastructure;
using Platform.Web.Tests.Jobs;

namespace Platform.Web.Tests.Hosting;

/// <summary>
/// Liveness, readiness and outages: the portal reaches its real database through a relay that the test
/// cuts, as a PostgreSQL restart or a network partition would.
/// </summary>
public sealed class HealthTests : IClassFixture<HealthTests.RelayedPortal>
{
    private readonly PortalFactory _portal;

    public HealthTests(RelayedPortal portal) => _portal = portal.Portal;

    /// <summary>One portal per class whose database connection runs through a relay.</summary>
    public sealed class RelayedPortal : IAsyncLifetime
    {
        public PortalFactory Portal { get; } = new() { ThroughRelay = true };

        public Task InitializeAsync() => ((IAsyncLifetime)Portal).InitializeAsync();

        public Task DisposeAsync() => ((IAsyncLifetime)Portal).DisposeAsync();
    }

    [Fact]
    public async Task Ready_EverythingUp_Answers200WithEachCheck()
    {
        using var http = _portal.CreateClient();

        using var ready = await http.GetAsync("/healthz/ready");
        var body = await JsonAsync(ready);

        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("Healthy", body.GetProperty("status").GetString());
        foreach (var check in new[] { "database", "migrations", "storage" })
            Assert.Equal("Healthy", body.GetProperty("checks").GetProperty(check).GetProperty("status").GetString());
        Assert.Null(ready.Headers.RetryAfter);
    }

    [Fact]
    public async Task DatabaseCut_LiveStays200_ReadyPagesAndApiAnswer503WithRetryAfter_ThenRecover()
    {
        var owner = await JobTestKit.OwnerAsync(_portal);
        var key = await JobTestKit.AsTenantAsync(_portal, owner, sp => sp.GetRequiredService<CreateApiKeyCommand>().ExecuteAsync("health"));
        using var api = _portal.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { HandleCookies = false });
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key.Value.PlainText);
        using var http = _portal.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await owner.Client.Http.GetAsync("/jobs")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/api/v1/jobs")).StatusCode);

        _portal.Relay.Cut();
        try
        {
            using var live = await http.GetAsync("/healthz/live");
            using var ready = await http.GetAsync("/healthz/ready");
            using var liveness = await http.GetAsync("/healthz");
            using var readiness = await http.GetAsync("/readyz");
            using var page = await owner.Client.Http.GetAsync("/jobs");
            using var apiJobs = await api.GetAsync("/api/v1/jobs");

            Assert.Equal(HttpStatusCode.OK, live.StatusCode);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            Assert.Equal(TimeSpan.FromSeconds(5), ready.Headers.RetryAfter?.Delta);
            var checks = (await JsonAsync(ready)).GetProperty("checks");
            Assert.Equal("Unhealthy", checks.GetProperty("database").GetProperty("status").GetString());
            Assert.Equal("Healthy", checks.GetProperty("storage").GetProperty("status").GetString());
            Assert.Equal(HttpStatusCode.OK, liveness.StatusCode);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, readiness.StatusCode);

            Assert.Equal(HttpStatusCode.ServiceUnavailable, page.StatusCode);
            Assert.Equal(TimeSpan.FromSeconds(5), page.Headers.RetryAfter?.Delta);
            Assert.Contains("Back in a moment", await page.Content.ReadAsStringAsync());

            Assert.Equal(HttpStatusCode.ServiceUnavailable, apiJobs.StatusCode);
            Assert.Equal(TimeSpan.FromSeconds(5), apiJobs.Headers.RetryAfter?.Delta);
            Assert.Equal("application/problem+json", apiJobs.Content.Headers.ContentType?.MediaType);
        }
        finally
        {
            _portal.Relay.Restore();
        }

        // The pool's broken connections are found out and replaced; no restart of the portal is needed.
        Assert.Equal(HttpStatusCode.OK, (await GetUntilAsync(http, "/healthz/ready", HttpStatusCode.OK)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await GetUntilAsync(owner.Client.Http, "/jobs", HttpStatusCode.OK)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await GetUntilAsync(api, "/api/v1/jobs", HttpStatusCode.OK)).StatusCode);
    }

    [Fact]
    public async Task Ready_PendingMigrationOrStoreRefusingWrites_Answers503NamingTheCheck()
    {
        await using var unmigrated = await PostgresDatabase.CreateAsync(migrate: false);
        var notAFolder = Path.GetTempFileName();
        try
        {
            await using var portal = new UnmigratedPortal(unmigrated.ConnectionString, notAFolder);
            using var http = portal.CreateClient();

            using var ready = await http.GetAsync("/healthz/ready");
            var checks = (await JsonAsync(ready)).GetProperty("checks");

            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            Assert.Equal("Healthy", checks.GetProperty("database").GetProperty("status").GetString());
            Assert.Equal("Unhealthy", checks.GetProperty("migrations").GetProperty("status").GetString());
            Assert.Contains("0001_", checks.GetProperty("migrations").GetProperty("description").GetString());
            Assert.Equal("Unhealthy", checks.GetProperty("storage").GetProperty("status").GetString());
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/healthz/live")).StatusCode);
        }
        finally
        {
            File.Delete(notAFolder);
        }
    }

    /// <summary>The portal on an empty database (never migrated) whose artifact store root is a file.</summary>
    private sealed class UnmigratedPortal(string connectionString, string storageRoot)
        : Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactory<Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseEnvironment("Testing");
            builder.UseSetting("ConnectionStrings:Platform", connectionString);
            builder.UseSetting("Data:Migrations", "None");
            builder.UseSetting("Storage:Root", storageRoot);
            // A configured key: the demo fallback would create a key file under the root, which is a file here.
            builder.UseSetting("Storage:MasterKey", Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)));
            builder.UseSetting("Billing:PdfSharpLicense", "AGPL");
            builder.UseSetting("BillingScheduler:Enabled", "false");
            builder.UseSetting("Catalog:ImportsEnabled", "false");
            builder.UseSetting("BackgroundJobs:Server", "false");
        }
    }

    /// <summary>Until the answer comes (the pool finds its broken connections first); a guard, not a timing assertion.</summary>
    private static async Task<HttpResponseMessage> GetUntilAsync(HttpClient http, string url, HttpStatusCode wanted)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var response = await http.GetAsync(url);
            if (response.StatusCode == wanted || DateTime.UtcNow > deadline)
                return response;
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            response.Dispose();
            await Task.Delay(100);
        }
    }

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
}
