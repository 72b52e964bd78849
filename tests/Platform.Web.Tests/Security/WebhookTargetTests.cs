using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Platform.Web.Notifications;
using Platform.Web.Tests.Infrastructure;
using Platform.Web.Tests.Jobs;

namespace Platform.Web.Tests.Security;

/// <summary>
/// Webhooks cannot make the portal POST into its own network (decision 0050), with the production
/// default (Webhooks:AllowPrivateTargets off): private and loopback endpoints are refused when registered,
/// through the API and the settings page, and a host that resolves to loopback by the time a delivery is
/// sent is not connected to.
/// </summary>
public sealed class WebhookTargetTests : IClassFixture<PortalFactory>, IDisposable
{
    private readonly PortalFactory _portal;
    private readonly WebhookReceiver _receiver = new();

    public WebhookTargetTests(PortalFactory portal)
    {
        _portal = portal;
        portal.Settings["Webhooks:Sender"] = "false";
    }

    public void Dispose() => _receiver.Dispose();

    [Fact]
    public async Task Api_PrivateLoopbackOrMetadataUrl_Refused400OnUrl()
    {
        var owner = await JobTestKit.OwnerAsync(_portal);
        using var http = await ApiClientAsync(owner);
        string[] inside =
        [
            "http://127.0.0.1:1/", "http://169.254.169.254/latest/meta-data/", "http://localhost/hooks", "http://[::1]/",
            "http://[::ffff:127.0.0.1]/", "http://2130706433/", "http://0x7f.1/", "http://0177.0.0.1/", "https://10.0.0.5/hooks",
            "https://100.64.0.1/", "http://0.0.0.0:8080/", "http://[fd00::1]/", "http://[fe80::1]/", "http://224.0.0.1/",
        ];

        var answers = new List<(string Url, HttpStatusCode Status, JsonElement Problem)>();
        foreach (var url in inside)
        {
            using var response = await http.PostAsJsonAsync("/api/v1/webhooks", new { url });
            answers.Add((url, response.StatusCode, await response.Content.ReadFromJsonAsync<JsonElement>()));
        }
        using var withPassword = await http.PostAsJsonAsync("/api/v1/webhooks", new { url = "https://user:secret@93.184.215.14/hooks" });
        using var unknownHost = await http.PostAsJsonAsync("/api/v1/webhooks", new { url = "https://hooks.example.invalid/" });
        var unknown = await unknownHost.Content.ReadFromJsonAsync<JsonElement>();
        using var publicAddress = await http.PostAsJsonAsync("/api/v1/webhooks", new { url = "https://93.184.215.14/hooks" });
        var list = await http.GetFromJsonAsync<JsonElement>("/api/v1/webhooks");

        Assert.All(answers, a =>
        {
            Assert.True(a.Status == HttpStatusCode.BadRequest, $"{a.Url}: {a.Status}");
            Assert.Equal("url", a.Problem.GetProperty("param").GetString());
            Assert.Contains("private or loopback address", a.Problem.GetProperty("detail").GetString());
        });
        Assert.Equal(HttpStatusCode.BadRequest, withPassword.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, unknownHost.StatusCode);
        Assert.Contains("could not be found", unknown.GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.Created, publicAddress.StatusCode);
        var registered = Assert.Single(list.GetProperty("data").EnumerateArray());
        Assert.Equal("https://93.184.215.14/hooks", registered.GetProperty("url").GetString());
    }

    [Fact]
    public async Task Portal_LoopbackUrl_RefusedWithTheReason()
    {
        var owner = await JobTestKit.OwnerAsync(_portal);

        var refused = await owner.Client.SubmitAsync(await owner.Client.GetAsync("/settings/webhooks"), "#create-webhook-form",
            new Dictionary<string, string> { ["WebhookUrl"] = _receiver.Url });

        Assert.Contains("private or loopback address", refused.Text("#webhook-error"));
        Assert.False(refused.Has("#new-webhook-secret"));
        Assert.False(refused.Has("#webhook-table"));
    }

    [Fact]
    public async Task Send_HostResolvingToLoopback_BlockedAtConnectAndLogged()
    {
        await JobTestKit.EnsureCatalogAsync(_portal);
        var owner = await JobTestKit.OwnerAsync(_portal);
        // As if registered while the name pointed outside (or by a version before the check): DNS answers loopback now.
        await JobTestKit.ExecuteAsync(_portal, $"""
            INSERT INTO webhooks (id, tenant_id, url, secret, created_at)
            VALUES ('{Guid.CreateVersion7()}', '{owner.TenantId}', '{_receiver.LocalhostUrl}', 'whsec_rebound', now())
            """);
        await JobTestKit.SucceedAsync(_portal, await JobTestKit.LaunchAsync(_portal, owner, await JobTestKit.UploadCsvAsync(owner.Client)));

        var delivered = await _portal.WithServicesAsync(sp => sp.GetRequiredService<WebhookSender>().SendDueAsync(CancellationToken.None));
        var log = await JobTestKit.AsTenantAsync(_portal, owner, sp => sp.GetRequiredService<WebhookStore>().DeliveriesAsync());

        Assert.Equal(0, delivered);
        Assert.Empty(_receiver.Requests);
        var delivery = Assert.Single(log);
        Assert.Equal("retrying", delivery.State);
        Assert.Null(delivery.LastStatus);
        Assert.StartsWith("blocked: private address", delivery.LastError);
    }

    private async Task<HttpClient> ApiClientAsync(Owner owner)
    {
        var key = await JobTestKit.AsTenantAsync(_portal, owner, sp => sp.GetRequiredService<Platform.Data.ApiKeys.CreateApiKeyCommand>().ExecuteAsync("hooks"));
        var http = _portal.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key.Value.PlainText);
        return http;
    }
}
