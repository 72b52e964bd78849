using System.Net;
using System.Net.Sockets;

namespace Platform.Web.Notifications;

/// <summary>
/// Keeps webhooks off private addresses (<see cref="WebhookAddresses"/>) twice: when one is registered, its
/// host must resolve to public addresses only; when a delivery connects, the host is resolved again and
/// only a public address is dialled, because DNS may answer differently by then (rebinding). The second
/// check is the one that holds; the first tells the owner at once instead of in the delivery log.
/// </summary>
internal static class WebhookTargets
{
    public const string PrivateAddress = "The endpoint points at a private or loopback address: webhooks are sent to public internet addresses only.";

    private static readonly TimeSpan ResolveTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Why <paramref name="uri"/> cannot be registered, or null when it can.</summary>
    public static async Task<string?> RefusalAsync(Uri uri, CancellationToken cancellationToken)
    {
        IPAddress[] addresses;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(ResolveTimeout);
            addresses = await ResolveAsync(uri.IdnHost, timeout.Token);
        }
        catch (SocketException)
        {
            return $"The endpoint's host {uri.IdnHost} could not be found: check the address.";
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return $"The endpoint's host {uri.IdnHost} could not be looked up in time: try again.";
        }
        if (addresses.Length == 0)
            return $"The endpoint's host {uri.IdnHost} could not be found: check the address.";
        // One private answer is enough to refuse: which one a connection gets is up to the resolver.
        return addresses.All(WebhookAddresses.IsAllowed) ? null : PrivateAddress;
    }

    /// <summary>
    /// The webhook client's connect step: resolve the host, keep the addresses <paramref name="allowPrivate"/>
    /// admits, and dial them in turn. Redirects and proxies are off in that client, so this is the one way out.
    /// </summary>
    public static Func<SocketsHttpConnectionContext, CancellationToken, ValueTask<Stream>> Connect(bool allowPrivate) =>
        async (context, cancellationToken) =>
        {
            var (host, port) = (context.DnsEndPoint.Host, context.DnsEndPoint.Port);
            var addresses = (await ResolveAsync(host, cancellationToken)).Where(a => allowPrivate || WebhookAddresses.IsAllowed(a)).ToList();
            if (addresses.Count == 0)
                throw new HttpRequestException(HttpRequestError.ConnectionError, $"blocked: private address ({host} has no public address to send to)");
            SocketException? failed = null;
            foreach (var address in addresses)
            {
                // A socket per attempt: on Linux one that failed to connect cannot try again.
                var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(new IPEndPoint(address, port), cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch (SocketException ex)
                {
                    socket.Dispose();
                    failed = ex;
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            }
            throw failed!;
        };

    private static async Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken)
    {
        // The handler names an IPv6 literal in brackets ("[::1]"); Uri.IdnHost does not.
        var bare = host.StartsWith('[') && host.EndsWith(']') ? host[1..^1] : host;
        return IPAddress.TryParse(bare, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(bare, cancellationToken);
    }
}
