using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Platform.Web.Notifications;
using Platform.Web.Tests.Infrastructure;

namespace Platform.Web.Tests.Jobs;

/// <summary>
/// When a job ends: the bell in the portal, and a signed webhook to a real HTTP receiver on a loopback port,
/// retried with back-off. The portal's own sender loop is off here; the test runs the sender's rounds itself.
/// </summary>
public sealed class NotificationTests : IClassFixture<PortalFactory>, IDisposable
{
    private readonly PortalFactory _portal;
    private readonly WebhookReceiver _receiver = new();

    public NotificationTests(PortalFactory portal)
    {
        _portal = portal;
        portal.Settings["Webhooks:Sender"] = "false";
        portal.Settings["Webhooks:FirstRetryDelay"] = "00:00:10";
        // The receiver is on loopback, which production refuses (WebhookTargetTests).
        portal.Settings["Webhooks:AllowPrivateTargets"] = "true";
    }

    public void Dispose() => _receiver.Dispose();

    [Fact]
    public async Task Webhook_JobSucceeds_SignedEventDeliveredAfterARetryAndLogged()
    {
        await JobTestKit.EnsureCatalogAsync(_portal);
        var owner = await JobTestKit.OwnerAsync(_portal);
        var settings = await owner.Client.GetAsync("/settings/webhooks");
        var created = await owner.Client.SubmitAsync(settings, "#create-webhook-form", new Dictionary<string, string> { ["WebhookUrl"] = _receiver.Url });
        var secret = created.Document.QuerySelector("#new-webhook-secret")!.GetAttribute("value")!;
        var jobId = await JobTestKit.LaunchAsync(_portal, owner, await JobTestKit.UploadCsvAsync(owner.Client));
        var stranger = await JobTestKit.OwnerAsync(_portal);
        var strangersJob = await JobTestKit.LaunchAsync(_portal, stranger, await JobTestKit.UploadCsvAsync(stranger.Client));
        _receiver.Answers.Enqueue(HttpStatusCode.InternalServerError);

        await JobTestKit.SucceedAsync(_portal, jobId);
        await JobTestKit.SucceedAsync(_portal, strangersJob);
        var first = await SendDueAsync();
        var afterFirst = _receiver.Requests.Count;
        var notYetDue = await SendDueAsync();
        var retrying = await owner.Client.GetAsync("/settings/webhooks");
        _portal.Time.Advance(TimeSpan.FromSeconds(11));
        var second = await SendDueAsync();
        var log = await owner.Client.GetAsync("/settings/webhooks");

        Assert.Equal((0, 1), (first, afterFirst));
        Assert.Equal(0, notYetDue);
        Assert.Equal("retrying", retrying.Document.QuerySelector("#delivery-log tr[data-delivery]")!.GetAttribute("data-state"));
        Assert.Contains("HTTP 500", retrying.Text("#delivery-log tbody"));
        Assert.Equal(1, second);
        Assert.Equal(2, _receiver.Requests.Count);
        var (headers, body) = _receiver.Requests.Last();
        Assert.True(WebhookSignature.Verify(secret, headers[WebhookSignature.Header], body, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5)));
        Assert.False(WebhookSignature.Verify(secret, headers[WebhookSignature.Header], body + " ", DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5)));
        Assert.False(WebhookSignature.Verify(secret, headers[WebhookSignature.Header], body, DateTimeOffset.UtcNow.AddMinutes(10), TimeSpan.FromMinutes(5)));
        using var json = JsonDocument.Parse(body);
        Assert.Equal("job.succeeded", json.RootElement.GetProperty("type").GetString());
        Assert.Equal(headers["Platform-Event-Id"], json.RootElement.GetProperty("id").GetString());
        Assert.Equal(jobId, json.RootElement.GetProperty("data").GetProperty("jobId").GetGuid());
        Assert.True(json.RootElement.GetProperty("data").GetProperty("macroF1").GetDouble() > 0);
        Assert.DoesNotContain(_portal.StorageRoot, body);
        Assert.DoesNotContain(strangersJob.ToString(), string.Concat(_receiver.Requests.Select(r => r.Body)));
        var row = log.Document.QuerySelector("#delivery-log tr[data-delivery]")!;
        Assert.Equal("delivered", row.GetAttribute("data-state"));
        Assert.Contains("HTTP 200", row.TextContent);
    }

    [Fact]
    public async Task Webhook_ReceiverRedirects_NotFollowedAndLoggedAsFailed()
    {
        await JobTestKit.EnsureCatalogAsync(_portal);
        var owner = await JobTestKit.OwnerAsync(_portal);
        await owner.Client.SubmitAsync(await owner.Client.GetAsync("/settings/webhooks"), "#create-webhook-form",
            new Dictionary<string, string> { ["WebhookUrl"] = _receiver.Url });
        _receiver.Answers.Enqueue(HttpStatusCode.TemporaryRedirect);
        _receiver.RedirectTo = _receiver.Url + "/moved";
        await JobTestKit.SucceedAsync(_portal, await JobTestKit.LaunchAsync(_portal, owner, await JobTestKit.UploadCsvAsync(owner.Client)));

        var delivered = await SendDueAsync();
        var log = await owner.Client.GetAsync("/settings/webhooks");

        Assert.Equal(0, delivered);
        var (_, body) = Assert.Single(_receiver.Requests);
        Assert.Contains("job.succeeded", body);
        var row = log.Document.QuerySelector("#delivery-log tr[data-delivery]")!;
        Assert.Equal("retrying", row.GetAttribute("data-state"));
        Assert.Contains("HTTP 307", row.TextContent);
        Assert.Contains("redirects are not followed", row.TextContent);
    }

    [Fact]
    public async Task Bell_JobEnds_UnreadUntilMarkedRead()
    {
        await JobTestKit.EnsureCatalogAsync(_portal);
        var owner = await JobTestKit.OwnerAsync(_portal);
        var jobId = await JobTestKit.LaunchAsync(_portal, owner, await JobTestKit.UploadCsvAsync(owner.Client));
        var before = await owner.Client.GetAsync("/");

        await JobTestKit.SucceedAsync(_portal, jobId);
        var after = await owner.Client.GetAsync("/");
        var list = await owner.Client.GetAsync("/notifications");
        var read = await owner.Client.FollowAsync(await owner.Client.SubmitAsync(list, "#mark-read-form"));

        Assert.False(before.Has("#unread-count"));
        Assert.Equal("1", after.Text("#unread-count"));
        var item = list.Document.QuerySelector($"#notification-list a[href='/jobs/{jobId}']")!.ParentElement!.ParentElement!;
        Assert.Equal("true", item.GetAttribute("data-unread"));
        Assert.Contains("succeeded", item.TextContent);
        Assert.Equal("false", read.Document.QuerySelector("#notification-list li")!.GetAttribute("data-unread"));
        Assert.False(read.Has("#unread-count"));
    }

    [Fact]
    public async Task Delay_EachFailure_DoublesUpToTheMaximum()
    {
        var delays = await _portal.WithServicesAsync(sp =>
        {
            var sender = sp.GetRequiredService<WebhookSender>();
            return Task.FromResult(Enumerable.Range(1, 12).Select(sender.Delay).ToList());
        });

        Assert.Equal(TimeSpan.FromSeconds(10), delays[0]);
        Assert.Equal(TimeSpan.FromSeconds(20), delays[1]);
        Assert.Equal(TimeSpan.FromSeconds(40), delays[2]);
        Assert.Equal(TimeSpan.FromHours(1), delays[^1]);
    }

    [Fact]
    public async Task Api_OwnerKey_RegistersListsLogsAndRemovesAWebhook()
    {
        await JobTestKit.EnsureCatalogAsync(_portal);
        var owner = await JobTestKit.OwnerAsync(_portal);
        var key = await JobTestKit.AsTenantAsync(_portal, owner, sp => sp.GetRequiredService<Platform.Data.ApiKeys.CreateApiKeyCommand>().ExecuteAsync("hooks"));
        using var http = _portal.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key.Value.PlainText);

        using var bad = await http.PostAsJsonAsync("/api/v1/webhooks", new { url = "ftp://example.com/x" });
        using var created = await http.PostAsJsonAsync("/api/v1/webhooks", new { url = _receiver.Url });
        var hook = await created.Content.ReadFromJsonAsync<JsonElement>();
        var jobId = await JobTestKit.LaunchAsync(_portal, owner, await JobTestKit.UploadCsvAsync(owner.Client));
        await JobTestKit.SucceedAsync(_portal, jobId);
        await SendDueAsync();
        var list = await http.GetFromJsonAsync<JsonElement>("/api/v1/webhooks");
        var log = await http.GetFromJsonAsync<JsonElement>("/api/v1/webhooks/deliveries");
        using var deleted = await http.DeleteAsync($"/api/v1/webhooks/{hook.GetProperty("id").GetGuid()}");
        var after = await http.GetFromJsonAsync<JsonElement>("/api/v1/webhooks");

        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.StartsWith("whsec_", hook.GetProperty("secret").GetString());
        var listed = Assert.Single(list.GetProperty("data").EnumerateArray());
        Assert.False(listed.TryGetProperty("secret", out _));
        var delivery = Assert.Single(log.GetProperty("data").EnumerateArray());
        Assert.Equal("delivered", delivery.GetProperty("state").GetString());
        Assert.Equal("job.succeeded", delivery.GetProperty("eventType").GetString());
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Empty(after.GetProperty("data").EnumerateArray());
    }

    private Task<int> SendDueAsync() =>
        _portal.WithServicesAsync(sp => sp.GetRequiredService<WebhookSender>().SendDueAsync(CancellationToken.None));
}
