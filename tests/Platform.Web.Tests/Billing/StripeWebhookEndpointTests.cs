using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Hosting;
using Platform.Web.Tests.Infrastructure;

namespace Platform.Web.Tests.Billing;

public sealed class StripeWebhookEndpointTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    private const string Secret = "whsec_test_secret";
    private const string Body = """{"id":"evt_web_1","object":"event","type":"customer.created","created":1700000000,"data":{"object":{"id":"cus_1","object":"customer"}}}""";

    private static async Task<HttpResponseMessage> PostAsync(HttpClient client, string? signature)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/stripe")
        {
            Content = new StringContent(Body, Encoding.UTF8, "application/json"),
        };
        if (signature is not null)
            request.Headers.TryAddWithoutValidation("Stripe-Signature", signature);
        return await client.SendAsync(request);
    }

    private static string Sign(string secret, long timestamp) =>
        $"t={timestamp},v1={Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{timestamp}.{Body}")))}";

    private HttpClient ClientWithSecret() =>
        portal.WithWebHostBuilder(b => b.UseSetting("Stripe:WebhookSecret", Secret)).CreateClient();

    [Fact]
    public async Task Post_NoWebhookSecretConfigured_IsUnavailable()
    {
        using var response = await PostAsync(portal.CreateClient(), Sign(Secret, DateTimeOffset.UtcNow.ToUnixTimeSeconds()));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
    }

    [Fact]
    public async Task Post_SignedWithAnotherSecret_IsRejected()
    {
        using var response = await PostAsync(ClientWithSecret(), Sign("whsec_wrong", DateTimeOffset.UtcNow.ToUnixTimeSeconds()));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Post_ValidSignature_IsAcknowledgedOnceAndAgainAsDuplicate()
    {
        var client = ClientWithSecret();
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

        using var first = await PostAsync(client, Sign(Secret, now));
        using var again = await PostAsync(client, Sign(Secret, now));

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Contains("Duplicate", await again.Content.ReadAsStringAsync());
    }
}
