using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Platform.Data.ApiKeys;
using Platform.Web.Tests.Infrastructure;
using Platform.Web.Tests.Jobs;

namespace Platform.Web.Tests.Security;

/// <summary>
/// Finding 4 and the smaller findings of issue 11, repeated against the portal: state-changing posts
/// without an antiforgery token are refused with 400 and change nothing (a page on a same-site origin
/// could send them with the victim's cookie), and unreadable API requests get a problem+json 400/413,
/// never a 500 or an empty HTML body.
/// </summary>
public sealed class HostileRequestTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    private static readonly FormUrlEncodedContent NoToken = new([]);

    [Fact]
    public async Task CancelJob_WithoutToken_Refused400AndStillQueued()
    {
        await JobTestKit.EnsureCatalogAsync(portal);
        var owner = await JobTestKit.OwnerAsync(portal);
        var jobId = await JobTestKit.LaunchAsync(portal, owner, await JobTestKit.UploadCsvAsync(owner.Client));

        using var response = await owner.Client.Http.PostAsync($"/jobs/{jobId}/cancel", NoToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("Queued", await portal.Database.ScalarAsync<string>($"SELECT state FROM jobs WHERE id = '{jobId}'"));
    }

    [Fact]
    public async Task RevokeKey_WithoutToken_Refused400AndKeyWorks()
    {
        var owner = await JobTestKit.OwnerAsync(portal);
        var key = (await JobTestKit.AsTenantAsync(portal, owner, sp => sp.GetRequiredService<CreateApiKeyCommand>().ExecuteAsync("kept"))).Value;

        using var response = await owner.Client.Http.PostAsync($"/settings/api-keys/{key.Id}/revoke", NoToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var api = ApiClient(key.PlainText);
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/api/v1/jobs")).StatusCode);
    }

    [Fact]
    public async Task SignOut_WithoutToken_Refused400AndStillSignedIn()
    {
        var owner = await JobTestKit.OwnerAsync(portal);

        using var response = await owner.Client.Http.PostAsync("/account/sign-out", NoToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await owner.Client.GetAsync("/")).Status);
    }

    [Theory]
    [InlineData("/tenants/switch")]
    [InlineData("/models/{0}/predict")]
    public async Task FormEndpointReadingItsForm_WithoutToken_Refused400Not500(string path)
    {
        var owner = await JobTestKit.OwnerAsync(portal);
        var fields = new FormUrlEncodedContent(new Dictionary<string, string> { ["tenantId"] = owner.TenantId.ToString(), ["text"] = "hello" });

        using var response = await owner.Client.Http.PostAsync(string.Format(System.Globalization.CultureInfo.InvariantCulture, path, Guid.NewGuid()), fields);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Theory]
    [InlineData("""{"datasetId": 5, "baseModel": "bert-tiny"}""", "datasetId")]
    [InlineData("""{"datasetId": "00000000-0000-0000-0000-000000000001", "baseModel": "bert-tiny", "epochs": 99999999999999999999}""", "epochs")]
    [InlineData("""{"datasetId": "00000000-0000-0000-0000-000000000001", "baseModel": "bert-tiny", "learningRate": "NaN"}""", "learningRate")]
    [InlineData("""{"datasetId": "00000000-0000-0000-0000-000000000001", "baseModel": "bert-tiny", """, "")]
    public async Task Launch_MalformedJson_Problem400SayingWhere(string body, string where)
    {
        using var api = await OwnerApiAsync();

        using var response = await api.PostAsync("/api/v1/jobs", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var detail = await ProblemDetailAsync(response);
        Assert.Contains("not valid JSON", detail);
        Assert.Contains(where, detail);
    }

    [Fact]
    public async Task Launch_DeeplyNestedJson_Problem400()
    {
        using var api = await OwnerApiAsync();
        var nested = """{"datasetId": "00000000-0000-0000-0000-000000000001", "baseModel": "bert-tiny", "name": """ + new string('[', 5000) + new string(']', 5000) + "}";

        using var response = await api.PostAsync("/api/v1/jobs", new StringContent(nested, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("depth", await ProblemDetailAsync(response));
    }

    [Theory]
    [InlineData("""{"datasetId": "00000000-0000-0000-0000-000000000001"}""")]
    [InlineData("""{"datasetId": "00000000-0000-0000-0000-000000000001", "baseModel": null}""")]
    public async Task Launch_MissingBaseModel_Problem400(string body)
    {
        using var api = await OwnerApiAsync();

        using var response = await api.PostAsync("/api/v1/jobs", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("baseModel", await ProblemDetailAsync(response), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Names_WithControlCharacters_RefusedEverywhere()
    {
        await JobTestKit.EnsureCatalogAsync(portal);
        var owner = await JobTestKit.OwnerAsync(portal);
        var datasetId = await JobTestKit.UploadCsvAsync(owner.Client);
        using var api = await OwnerApiAsync(owner);

        using var job = await api.PostAsJsonAsync("/api/v1/jobs", new { datasetId, baseModel = Platform.Jobs.Catalog.DemoBaseModels.BertName, name = "evil\u001b[31mred" });
        var key = await JobTestKit.AsTenantAsync(portal, owner, sp => sp.GetRequiredService<CreateApiKeyCommand>().ExecuteAsync("bell\u0007"));
        var tenant = Platform.Domain.Tenants.Tenant.Create("Org\r\nInjected: yes", "org-injected", DateTimeOffset.UtcNow);

        Assert.Equal(HttpStatusCode.BadRequest, job.StatusCode);
        Assert.Equal("The job name cannot contain control characters.", await ProblemDetailAsync(job));
        Assert.Equal("The key name cannot contain control characters.", key.Error);
        Assert.Equal("The organisation name cannot contain control characters.", tenant.Error);
        Assert.Equal(0L, await portal.Database.ScalarAsync<long>($"SELECT count(*) FROM jobs WHERE tenant_id = '{owner.TenantId}'"));
    }

    [Fact]
    public async Task Predict_BodyPastItsLimit_Problem413()
    {
        await JobTestKit.EnsureCatalogAsync(portal);
        var owner = await JobTestKit.OwnerAsync(portal);
        var jobId = await JobTestKit.LaunchAsync(portal, owner, await JobTestKit.UploadCsvAsync(owner.Client));
        await JobTestKit.SucceedAsync(portal, jobId);
        using var api = await OwnerApiAsync(owner);
        var body = GeneratedContent.Repeating("{\"text\": \""u8.ToArray(), (byte)'a', 40L * 1024 * 1024, "\"}"u8.ToArray());
        body.Headers.ContentType = new MediaTypeHeaderValue("application/json");

        using var response = await api.PostAsync($"/api/v1/models/{jobId}/predict", body);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("larger than this endpoint accepts", await ProblemDetailAsync(response));
    }

    [Fact]
    public async Task Api_UnknownRoute_ProblemJsonNotAPortalPage()
    {
        using var api = await OwnerApiAsync();

        using var response = await api.GetAsync("/api/v1/no-such-thing");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Webhook_ChunkedBodyPastItsLimit_Refused413()
    {
        using var http = portal.CreateClient();
        // No Content-Length: the limit must hold while reading, not only from the header.
        var body = new GeneratedContent(-1, async stream =>
        {
            var chunk = new byte[64 * 1024];
            Array.Fill(chunk, (byte)' ');
            for (var i = 0; i < 400; i++)
                await stream.WriteAsync(chunk);
        }, "application/json");

        using var response = await http.PostAsync("/webhooks/stripe", body);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task Page_Response_CarriesSecurityHeaders()
    {
        using var client = portal.CreatePortalClient();

        using var response = await client.Http.GetAsync("/account/sign-in");

        var csp = string.Join(";", response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("script-src 'self'", csp);
        Assert.Contains("frame-ancestors 'none'", csp);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
        Assert.Equal("same-origin", response.Headers.GetValues("Referrer-Policy").Single());
        // No inline script anywhere on the page: the policy would block it.
        Assert.DoesNotMatch("<script(?![^>]*\\bsrc=)[^>]*>", await response.Content.ReadAsStringAsync());
    }

    private async Task<HttpClient> OwnerApiAsync(Owner? owner = null)
    {
        owner ??= await JobTestKit.OwnerAsync(portal);
        var key = await JobTestKit.AsTenantAsync(portal, owner, sp => sp.GetRequiredService<CreateApiKeyCommand>().ExecuteAsync("hostile"));
        return ApiClient(key.Value.PlainText);
    }

    private HttpClient ApiClient(string key)
    {
        var http = portal.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return http;
    }

    private static async Task<string> ProblemDetailAsync(HttpResponseMessage response)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        return problem.TryGetProperty("detail", out var detail) ? detail.GetString() ?? "" : "";
    }
}
