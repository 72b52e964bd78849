using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Platform.Data.ApiKeys;
using Platform.Web.Tests.Datasets;
using Platform.Web.Tests.Infrastructure;

namespace Platform.Web.Tests.Jobs;

public sealed class ApiTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    [Fact]
    public async Task Api_NoKey_Returns401Problem()
    {
        using var http = portal.CreateClient();

        using var response = await http.GetAsync("/api/v1/jobs");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("Bearer", response.Headers.WwwAuthenticate.ToString());
    }

    [Fact]
    public async Task Api_PortalCookieWithoutKey_Returns401()
    {
        var owner = await JobTestKit.OwnerAsync(portal);

        using var response = await owner.Client.Http.GetAsync("/api/v1/datasets");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Api_RevokedKey_Returns401()
    {
        var owner = await JobTestKit.OwnerAsync(portal);
        var key = await CreateKeyAsync(owner);
        using var http = ApiClient(key.PlainText);
        using (var before = await http.GetAsync("/api/v1/jobs"))
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        var revoked = await JobTestKit.AsTenantAsync(portal, owner, sp => sp.GetRequiredService<RevokeApiKeyCommand>().ExecuteAsync(key.Id));
        Assert.True(revoked.IsSuccess);

        using var after = await http.GetAsync("/api/v1/jobs");

        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
    }

    [Fact]
    public async Task Api_KeyOfRemovedMember_Returns401AndIsListedRevoked()
    {
        // Finding 5 of issue 11: a removed member's key kept reading, launching, predicting and cancelling.
        var owner = await JobTestKit.OwnerAsync(portal);
        var leaver = await portal.CreateUserAsync();
        await portal.AddMemberAsync(owner.TenantId, leaver, Platform.Domain.Tenants.TenantRole.Owner);
        var key = await CreateKeyAsync(owner with { UserId = leaver.Id });
        using var http = ApiClient(key.PlainText);
        using (var before = await http.GetAsync("/api/v1/jobs"))
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);

        var removed = await JobTestKit.AsTenantAsync(portal, owner, sp => sp.GetRequiredService<Platform.Data.Tenants.RemoveMemberCommand>().ExecuteAsync(leaver.Id));
        Assert.True(removed.IsSuccess, removed.ToString());

        using var after = await http.GetAsync("/api/v1/jobs");
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
        using var launch = await http.PostAsJsonAsync("/api/v1/jobs", new { datasetId = Guid.NewGuid(), baseModel = "x" });
        Assert.Equal(HttpStatusCode.Unauthorized, launch.StatusCode);
        var keys = await JobTestKit.AsTenantAsync(portal, owner, sp => sp.GetRequiredService<ListApiKeysQuery>().ExecuteAsync());
        Assert.NotNull(Assert.Single(keys, k => k.Id == key.Id).RevokedAt);
    }

    [Fact]
    public async Task Api_KeyOfOwnerNoLongerOwner_Returns401()
    {
        var owner = await JobTestKit.OwnerAsync(portal);
        var demoted = await portal.CreateUserAsync();
        await portal.AddMemberAsync(owner.TenantId, demoted, Platform.Domain.Tenants.TenantRole.Owner);
        var key = await CreateKeyAsync(owner with { UserId = demoted.Id });
        using var http = ApiClient(key.PlainText);
        using (var before = await http.GetAsync("/api/v1/jobs"))
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);

        await using (var demote = portal.Database.DataSource.CreateCommand($"UPDATE tenant_memberships SET role = 'Member' WHERE user_id = '{demoted.Id}'"))
            Assert.Equal(1, await demote.ExecuteNonQueryAsync());

        using var after = await http.GetAsync("/api/v1/jobs");
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
    }

    [Fact]
    public async Task Api_WrongSecret_Returns401()
    {
        var owner = await JobTestKit.OwnerAsync(portal);
        var key = await CreateKeyAsync(owner);
        var tampered = key.PlainText[..^4] + (key.PlainText.EndsWith("aaaa", StringComparison.Ordinal) ? "bbbb" : "aaaa");
        using var http = ApiClient(tampered);

        using var response = await http.GetAsync("/api/v1/jobs");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Api_OtherTenantsKey_CannotSeeOrTouchTheJob()
    {
        await JobTestKit.EnsureCatalogAsync(portal);
        var owner = await JobTestKit.OwnerAsync(portal);
        var jobId = await JobTestKit.LaunchAsync(portal, owner, await JobTestKit.UploadCsvAsync(owner.Client));
        await JobTestKit.SucceedAsync(portal, jobId);
        var stranger = await JobTestKit.OwnerAsync(portal);
        using var http = ApiClient((await CreateKeyAsync(stranger)).PlainText);

        using var job = await http.GetAsync($"/api/v1/jobs/{jobId}");
        using var events = await http.GetAsync($"/api/v1/jobs/{jobId}/events");
        using var cancel = await http.PostAsync($"/api/v1/jobs/{jobId}/cancel", null);
        using var metrics = await http.GetAsync($"/api/v1/models/{jobId}/metrics");
        using var predict = await http.PostAsJsonAsync($"/api/v1/models/{jobId}/predict", new { text = "hello" });
        using var list = await http.GetAsync("/api/v1/jobs");

        Assert.All([job, events, cancel, metrics, predict], r => Assert.Equal(HttpStatusCode.NotFound, r.StatusCode));
        Assert.Equal("application/problem+json", job.Content.Headers.ContentType?.MediaType);
        var page = await list.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(0, page.GetProperty("data").GetArrayLength());
        Assert.False(page.GetProperty("hasMore").GetBoolean());
    }

    [Fact]
    public async Task Api_UploadLaunchGetCancel_RoundTrip()
    {
        await JobTestKit.EnsureCatalogAsync(portal);
        var owner = await JobTestKit.OwnerAsync(portal);
        using var http = ApiClient((await CreateKeyAsync(owner)).PlainText);
        using var upload = new MultipartFormDataContent
        {
            { new StringContent("api-tickets"), "name" },
            { new ByteArrayContent(TestFiles.GoodCsv()), "file", "tickets.csv" },
        };

        using var uploaded = await http.PostAsync("/api/v1/datasets", upload);
        Assert.Equal(HttpStatusCode.Created, uploaded.StatusCode);
        var dataset = await uploaded.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("text", dataset.GetProperty("kind").GetString());
        Assert.Equal(13, dataset.GetProperty("rows").GetInt32());
        var datasetId = dataset.GetProperty("id").GetGuid();

        using var launched = await http.PostAsJsonAsync("/api/v1/jobs", new { datasetId, baseModel = "bert-mini-random", preset = "fast" });
        Assert.Equal(HttpStatusCode.Created, launched.StatusCode);
        var launchedJob = await launched.Content.ReadFromJsonAsync<JsonElement>();
        var jobId = launchedJob.GetProperty("id").GetGuid();
        Assert.Equal($"/api/v1/jobs/{jobId}", launched.Headers.Location?.ToString());
        Assert.Equal(datasetId, launchedJob.GetProperty("datasetId").GetGuid());
        Assert.Equal("bert-mini-random", launchedJob.GetProperty("baseModel").GetString());

        var job = await http.GetFromJsonAsync<JsonElement>($"/api/v1/jobs/{jobId}");
        Assert.Equal("Queued", job.GetProperty("state").GetString());
        var listed = await http.GetFromJsonAsync<JsonElement>("/api/v1/jobs?state=Queued");
        Assert.Equal([jobId], listed.GetProperty("data").EnumerateArray().Select(j => j.GetProperty("id").GetGuid()));

        using var cancelled = await http.PostAsync($"/api/v1/jobs/{jobId}/cancel", null);
        Assert.Equal(HttpStatusCode.OK, cancelled.StatusCode);
        Assert.Equal("Cancelled", (await cancelled.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("state").GetString());
        // Idempotent: the second cancel answers the cancelled job and logs nothing new.
        using var again = await http.PostAsync($"/api/v1/jobs/{jobId}/cancel", null);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal("Cancelled", (await again.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("state").GetString());

        var stream = await http.GetStringAsync($"/api/v1/jobs/{jobId}/events");
        Assert.Contains("event: queued", stream);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(stream, "event: cancelled"));
        Assert.Contains("event: end", stream);
    }

    [Fact]
    public async Task Api_LaunchFailures_MapToProblemStatuses()
    {
        await JobTestKit.EnsureCatalogAsync(portal);
        var owner = await JobTestKit.OwnerAsync(portal);
        var datasetId = await JobTestKit.UploadCsvAsync(owner.Client);
        using var http = ApiClient((await CreateKeyAsync(owner)).PlainText);

        using var unknownModel = await http.PostAsJsonAsync("/api/v1/jobs", new { datasetId, baseModel = "no-such-model", preset = "fast" });
        using var wrongKind = await http.PostAsJsonAsync("/api/v1/jobs", new { datasetId, baseModel = "cnn-28-grey", preset = "fast" });
        using var missingDataset = await http.PostAsJsonAsync("/api/v1/jobs", new { datasetId = Guid.NewGuid(), baseModel = "bert-mini-random", preset = "fast" });
        await JobTestKit.ExecuteAsync(portal, $"INSERT INTO tenant_job_limits (tenant_id, max_active) VALUES ('{owner.TenantId}', 0) ON CONFLICT (tenant_id) DO UPDATE SET max_active = 0");
        using var overCap = await http.PostAsJsonAsync("/api/v1/jobs", new { datasetId, baseModel = "bert-mini-random", preset = "fast" });

        Assert.Equal(HttpStatusCode.BadRequest, unknownModel.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, wrongKind.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, missingDataset.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, overCap.StatusCode);
        var problem = await overCap.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(409, problem.GetProperty("status").GetInt32());
        Assert.Contains("limit", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Api_MetricsAndPredict_SucceededJob()
    {
        await JobTestKit.EnsureCatalogAsync(portal);
        var owner = await JobTestKit.OwnerAsync(portal);
        var jobId = await JobTestKit.LaunchAsync(portal, owner, await JobTestKit.UploadCsvAsync(owner.Client));
        await JobTestKit.SucceedAsync(portal, jobId);
        using var http = ApiClient((await CreateKeyAsync(owner)).PlainText);

        var metrics = await http.GetFromJsonAsync<JsonElement>($"/api/v1/models/{jobId}/metrics");
        using var predicted = await http.PostAsJsonAsync($"/api/v1/models/{jobId}/predict", new { text = "click now to win" });
        using var empty = await http.PostAsJsonAsync($"/api/v1/models/{jobId}/predict", new { text = "" });

        Assert.Equal(0.8, metrics.GetProperty("evaluation").GetProperty("accuracy").GetDouble(), 6);
        Assert.Equal(HttpStatusCode.OK, predicted.StatusCode);
        var prediction = await predicted.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains(prediction.GetProperty("label").GetString(), JobTestKit.Labels);
        Assert.Equal(3, prediction.GetProperty("scores").EnumerateObject().Count());
        Assert.Equal(HttpStatusCode.BadRequest, empty.StatusCode);
    }

    [Fact]
    public async Task OpenApi_Document_ListsApiPathsOnly()
    {
        using var http = portal.CreateClient();

        var document = await http.GetFromJsonAsync<JsonElement>("/openapi/v1.json");

        var paths = document.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();
        Assert.Contains("/api/v1/jobs", paths);
        Assert.Contains("/api/v1/jobs/{id}/events", paths);
        Assert.Contains("/api/v1/models/{id}/predict", paths);
        Assert.Contains("/api/v1/datasets", paths);
        Assert.All(paths, p => Assert.StartsWith("/api/v1/", p));
        var scheme = document.GetProperty("components").GetProperty("securitySchemes").GetProperty("ApiKey");
        Assert.Equal(("http", "bearer"), (scheme.GetProperty("type").GetString(), scheme.GetProperty("scheme").GetString()));
        Assert.True(document.GetProperty("security")[0].TryGetProperty("ApiKey", out _), "the whole API requires the key");
    }

    [Fact]
    public async Task Api_LossCurve_ReturnsThePointsOfOwnJobOnly()
    {
        await JobTestKit.EnsureCatalogAsync(portal);
        var owner = await JobTestKit.OwnerAsync(portal);
        var jobId = await JobTestKit.LaunchAsync(portal, owner, await JobTestKit.UploadCsvAsync(owner.Client));
        await JobTestKit.AddLossPointsAsync(portal, jobId, totalSteps: 100, (10, 2.0), (20, 1.0));
        using var http = ApiClient((await CreateKeyAsync(owner)).PlainText);
        using var stranger = ApiClient((await CreateKeyAsync(await JobTestKit.OwnerAsync(portal))).PlainText);

        var curve = await http.GetFromJsonAsync<JsonElement>($"/api/v1/jobs/{jobId}/loss");
        using var theirs = await stranger.GetAsync($"/api/v1/jobs/{jobId}/loss");

        Assert.Equal([(10L, 2.0), (20L, 1.0)], curve.EnumerateArray().Select(p => (p.GetProperty("step").GetInt64(), p.GetProperty("loss").GetDouble())));
        Assert.Equal(HttpStatusCode.NotFound, theirs.StatusCode);
    }

    private async Task<CreatedApiKey> CreateKeyAsync(Owner owner)
    {
        var created = await JobTestKit.AsTenantAsync(portal, owner, sp => sp.GetRequiredService<CreateApiKeyCommand>().ExecuteAsync("tests"));
        Assert.True(created.IsSuccess, created.ToString());
        return created.Value;
    }

    private HttpClient ApiClient(string key)
    {
        var http = portal.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return http;
    }
}
