using System.Net;
using Platform.Web.Notifications;
using Platform.Web.Tests.Infrastructure;

namespace Platform.Web.Tests.Security;

/// <summary>
/// The rule for where webhooks may go (decision 0050): public unicast addresses only, IPv4 in IPv6 forms
/// judged by the IPv4 address they carry; and the webhook client's connect step, which applies it to what
/// the host resolves to when a delivery is sent.
/// </summary>
public sealed class WebhookAddressesTests
{
    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("127.255.255.254")]
    [InlineData("0.0.0.0")]
    [InlineData("0.1.2.3")]
    [InlineData("10.1.2.3")]
    [InlineData("172.16.0.1")]
    [InlineData("172.31.255.255")]
    [InlineData("192.168.1.1")]
    [InlineData("169.254.169.254")]
    [InlineData("100.64.0.1")]
    [InlineData("100.127.255.255")]
    [InlineData("224.0.0.1")]
    [InlineData("239.255.255.250")]
    [InlineData("255.255.255.255")]
    [InlineData("::1")]
    [InlineData("::")]
    [InlineData("::127.0.0.1")]
    [InlineData("::ffff:127.0.0.1")]
    [InlineData("::ffff:169.254.169.254")]
    [InlineData("::ffff:10.0.0.1")]
    [InlineData("fc00::1")]
    [InlineData("fd12:3456:789a::1")]
    [InlineData("fe80::1")]
    [InlineData("fe80::1%2")]
    [InlineData("ff02::1")]
    [InlineData("64:ff9b::7f00:1")]
    [InlineData("2002:7f00:1::1")]
    [InlineData("2002:a9fe:a9fe::1")]
    [InlineData("2001:0:4136:e378:8000:63bf:3fff:fdd2")]
    public void IsAllowed_PrivateLoopbackOrSpecial_Refused(string address) =>
        Assert.False(WebhookAddresses.IsAllowed(IPAddress.Parse(address)));

    [Theory]
    [InlineData("8.8.8.8")]
    [InlineData("93.184.215.14")]
    [InlineData("11.0.0.1")]
    [InlineData("172.32.0.1")]
    [InlineData("100.128.0.1")]
    [InlineData("169.255.0.1")]
    [InlineData("223.255.255.254")]
    [InlineData("2606:4700:4700::1111")]
    [InlineData("::ffff:8.8.8.8")]
    [InlineData("64:ff9b::808:808")]
    [InlineData("2002:808:808::1")]
    public void IsAllowed_PublicUnicast_Allowed(string address) =>
        Assert.True(WebhookAddresses.IsAllowed(IPAddress.Parse(address)));

    [Theory]
    [InlineData("http://127.0.0.1:{0}/hooks")]
    [InlineData("http://localhost:{0}/hooks")]
    [InlineData("http://[::1]:{0}/hooks")]
    [InlineData("http://0x7f.1:{0}/hooks")]
    public async Task Connect_PrivateTargetsOff_BlockedBeforeAnyConnection(string url)
    {
        using var receiver = new WebhookReceiver();
        using var client = new HttpClient(new SocketsHttpHandler { ConnectCallback = WebhookTargets.Connect(allowPrivate: false) });

        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => client.PostAsync(string.Format(url, receiver.Port), new StringContent("{}")));

        Assert.StartsWith("blocked: private address", refused.Message);
        Assert.Empty(receiver.Requests);
    }

    [Fact]
    public async Task Connect_PrivateTargetsOn_ReachesTheLoopbackReceiver()
    {
        using var receiver = new WebhookReceiver();
        using var client = new HttpClient(new SocketsHttpHandler { ConnectCallback = WebhookTargets.Connect(allowPrivate: true) });

        using var response = await client.PostAsync(receiver.LocalhostUrl, new StringContent("{}"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Single(receiver.Requests);
    }
}
