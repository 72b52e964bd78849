using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Platform.Web.Notifications;
using Platform.Web.Tests.Infrastructure;

namespace Platform.Web.Tests.Jobs;

/// <summary>
/// Webhook signing secrets at rest (decision 0045): sealed with the tenant's data key, never shown after
/// creation, replaced by a rotation, and rows an earlier version stored in the clear sealed by the start-up
/// pass while still signing meanwhile. Deliveries go to a real HTTP receiver on a loopback port.
/// </summary>
public sealed class WebhookSecretTests : IClassFixture<PortalFactory>, IDisposable
{
    private readonly PortalFactory _portal;
    private readonly WebhookReceiver _receiver = new();

    public WebhookSecretTests(PortalFactory portal)
    {
        _portal = portal;
        portal.Settings["Webhooks:Sender"] = "false";
        // The receiver is on loopback, which production refuses (WebhookTargetTests).
        portal.Settings["Webhooks:AllowPrivateTargets"] = "true";
    }

    public void Dispose() => _receiver.Dispose();

    [Fact]
    public async Task Create_SecretStoredSealed_NeverShownAgainAndRotationSignsWithTheNewOne()
    {
        await JobTestKit.EnsureCatalogAsync(_portal);
        var owner = await JobTestKit.OwnerAsync(_portal);
        var created = await owner.Client.SubmitAsync(await owner.Client.GetAsync("/settings/webhooks"), "#create-webhook-form",
            new Dictionary<string, string> { ["WebhookUrl"] = _receiver.Url });
        var secret = created.Document.QuerySelector("#new-webhook-secret")!.GetAttribute("value")!;
        var (plainColumn, sealedColumn) = await RowAsync(owner.TenantId);
        var later = await owner.Client.GetAsync("/settings/webhooks");
        var rotated = await owner.Client.SubmitAsync(later, ".rotate-webhook-form");
        var newSecret = rotated.Document.QuerySelector("#new-webhook-secret")!.GetAttribute("value")!;
        var afterRotation = await owner.Client.GetAsync("/settings/webhooks");
        await JobTestKit.SucceedAsync(_portal, await JobTestKit.LaunchAsync(_portal, owner, await JobTestKit.UploadCsvAsync(owner.Client)));
        await SendDueAsync();

        Assert.StartsWith("whsec_", secret);
        Assert.Null(plainColumn);
        Assert.NotNull(sealedColumn);
        Assert.DoesNotContain(secret, Encoding.UTF8.GetString(sealedColumn));
        Assert.DoesNotContain(secret, later.Html);
        Assert.False(later.Has("#new-webhook-secret"));
        Assert.StartsWith("whsec_", newSecret);
        Assert.NotEqual(secret, newSecret);
        Assert.Contains("New signing secret", rotated.Text("#new-webhook"));
        Assert.DoesNotContain(newSecret, afterRotation.Html);
        var (headers, body) = Assert.Single(_receiver.Requests);
        Assert.True(WebhookSignature.Verify(newSecret, headers[WebhookSignature.Header], body, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5)));
        Assert.False(WebhookSignature.Verify(secret, headers[WebhookSignature.Header], body, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5)));
    }

    [Fact]
    public async Task SealPlaintext_RowFromAnEarlierVersion_SignsBeforeAndAfterAndIsSealedOnce()
    {
        await JobTestKit.EnsureCatalogAsync(_portal);
        var owner = await JobTestKit.OwnerAsync(_portal);
        var webhookId = Guid.CreateVersion7();
        const string legacySecret = "whsec_written-in-the-clear-by-an-earlier-version";
        await JobTestKit.ExecuteAsync(_portal, $"""
            INSERT INTO webhooks (id, tenant_id, url, secret, created_at)
            VALUES ('{webhookId}', '{owner.TenantId}', '{_receiver.Url}', '{legacySecret}', now())
            """);
        await JobTestKit.SucceedAsync(_portal, await JobTestKit.LaunchAsync(_portal, owner, await JobTestKit.UploadCsvAsync(owner.Client)));
        await SendDueAsync();

        var sealedRows = await _portal.WithServicesAsync(sp => sp.GetRequiredService<WebhookSecrets>().SealPlaintextAsync(CancellationToken.None));
        var again = await _portal.WithServicesAsync(sp => sp.GetRequiredService<WebhookSecrets>().SealPlaintextAsync(CancellationToken.None));
        var (plainColumn, sealedColumn) = await RowAsync(owner.TenantId);
        await JobTestKit.SucceedAsync(_portal, await JobTestKit.LaunchAsync(_portal, owner, await JobTestKit.UploadCsvAsync(owner.Client, "second")));
        await SendDueAsync();

        Assert.Equal(1, sealedRows);
        Assert.Equal(0, again);
        Assert.Null(plainColumn);
        Assert.NotNull(sealedColumn);
        Assert.Equal(2, _receiver.Requests.Count);
        Assert.All(_receiver.Requests, r =>
            Assert.True(WebhookSignature.Verify(legacySecret, r.Headers[WebhookSignature.Header], r.Body, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5))));
    }

    [Fact]
    public async Task Open_SealedSecretMovedToAnotherRowOrTenant_Refused()
    {
        var owner = await JobTestKit.OwnerAsync(_portal);
        var stranger = await JobTestKit.OwnerAsync(_portal);
        var (hook, other) = (Guid.CreateVersion7(), Guid.CreateVersion7());

        await _portal.WithServicesAsync(async sp =>
        {
            var secrets = sp.GetRequiredService<WebhookSecrets>();
            var sealedSecret = await secrets.SealAsync(owner.TenantId, hook, "whsec_x", CancellationToken.None);
            Assert.Equal("whsec_x", await secrets.ReadAsync(owner.TenantId, hook, sealedSecret, null, CancellationToken.None));
            await Assert.ThrowsAnyAsync<CryptographicException>(() => secrets.ReadAsync(owner.TenantId, other, sealedSecret, null, CancellationToken.None));
            await Assert.ThrowsAnyAsync<Exception>(() => secrets.ReadAsync(stranger.TenantId, hook, sealedSecret, null, CancellationToken.None));
            return 0;
        });
    }

    [Fact]
    public async Task Api_RotateSecret_OwnerGetsANewSecretOnce()
    {
        var owner = await JobTestKit.OwnerAsync(_portal);
        var key = await JobTestKit.AsTenantAsync(_portal, owner, sp => sp.GetRequiredService<Platform.Data.ApiKeys.CreateApiKeyCommand>().ExecuteAsync("hooks"));
        using var http = _portal.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key.Value.PlainText);

        using var created = await http.PostAsJsonAsync("/api/v1/webhooks", new { url = _receiver.Url });
        var hook = await created.Content.ReadFromJsonAsync<JsonElement>();
        var id = hook.GetProperty("id").GetGuid();
        using var rotated = await http.PostAsync($"/api/v1/webhooks/{id}/rotate-secret", null);
        var answer = await rotated.Content.ReadFromJsonAsync<JsonElement>();
        using var missing = await http.PostAsync($"/api/v1/webhooks/{Guid.CreateVersion7()}/rotate-secret", null);
        var list = await http.GetStringAsync("/api/v1/webhooks");

        Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
        Assert.Equal(id, answer.GetProperty("id").GetGuid());
        Assert.StartsWith("whsec_", answer.GetProperty("secret").GetString());
        Assert.NotEqual(hook.GetProperty("secret").GetString(), answer.GetProperty("secret").GetString());
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.DoesNotContain("whsec_", list);
    }

    private async Task<(string? Plain, byte[]? Sealed)> RowAsync(Guid tenantId)
    {
        await using var command = _portal.Database.DataSource.CreateCommand("SELECT secret, secret_sealed FROM webhooks WHERE tenant_id = $1");
        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = tenantId });
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        return (reader.IsDBNull(0) ? null : reader.GetString(0), reader.IsDBNull(1) ? null : (byte[])reader[1]);
    }

    private Task<int> SendDueAsync() =>
        _portal.WithServicesAsync(sp => sp.GetRequiredService<WebhookSender>().SendDueAsync(CancellationToken.None));
}
