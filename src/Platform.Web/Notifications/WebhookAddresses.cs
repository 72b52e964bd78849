using System.Net;
using System.Net.Sockets;

namespace Platform.Web.Notifications;

/// <summary>
/// Which addresses a webhook may reach: public unicast ones only. The portal sends from inside our
/// network, so an endpoint on loopback, a private or link-local range (the cloud metadata service at
/// 169.254.169.254) or carrier-grade NAT would let a tenant make it POST to our own services
/// (decision 0050). Addresses that embed an IPv4 one (IPv4-mapped, NAT64, 6to4) are judged by it too.
/// </summary>
internal static class WebhookAddresses
{
    private static readonly IPNetwork[] RefusedV4 =
    [
        IPNetwork.Parse("0.0.0.0/8"), // "this network": 0.0.0.0 reaches the local host on Linux
        IPNetwork.Parse("10.0.0.0/8"),
        IPNetwork.Parse("100.64.0.0/10"), // carrier-grade NAT: a provider's internal range
        IPNetwork.Parse("127.0.0.0/8"),
        IPNetwork.Parse("169.254.0.0/16"), // link-local, the metadata service among it
        IPNetwork.Parse("172.16.0.0/12"),
        IPNetwork.Parse("192.0.0.0/24"), // IETF protocol assignments
        IPNetwork.Parse("192.0.2.0/24"), // documentation, as are 198.51.100/24 and 203.0.113/24
        IPNetwork.Parse("192.168.0.0/16"),
        IPNetwork.Parse("198.18.0.0/15"), // benchmarking
        IPNetwork.Parse("198.51.100.0/24"),
        IPNetwork.Parse("203.0.113.0/24"),
        IPNetwork.Parse("224.0.0.0/4"), // multicast
        IPNetwork.Parse("240.0.0.0/4"), // reserved, and the broadcast address
    ];

    private static readonly IPNetwork[] RefusedV6 =
    [
        IPNetwork.Parse("::/96"), // unspecified, loopback, and the deprecated IPv4-compatible ::a.b.c.d
        IPNetwork.Parse("64:ff9b:1::/48"), // NAT64 for local use
        IPNetwork.Parse("100::/64"), // discard
        IPNetwork.Parse("2001::/32"), // Teredo: the client's IPv4 address is obscured, so none is allowed
        IPNetwork.Parse("2001:db8::/32"), // documentation
        IPNetwork.Parse("fc00::/7"), // unique local (the IPv6 private range)
        IPNetwork.Parse("fe80::/10"), // link-local
        IPNetwork.Parse("fec0::/10"), // site-local (deprecated, still routed by some)
        IPNetwork.Parse("ff00::/8"), // multicast
    ];

    private static readonly IPNetwork Nat64 = IPNetwork.Parse("64:ff9b::/96");
    private static readonly IPNetwork SixToFour = IPNetwork.Parse("2002::/16");

    public static bool IsAllowed(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
            return IsAllowed(address.MapToIPv4());
        if (address.AddressFamily == AddressFamily.InterNetwork)
            return !RefusedV4.Any(network => network.Contains(address));
        if (address.AddressFamily != AddressFamily.InterNetworkV6)
            return false;
        if (EmbeddedIPv4(address) is { } inner && !IsAllowed(inner))
            return false;
        return !RefusedV6.Any(network => network.Contains(address));
    }

    /// <summary>The IPv4 address a translator or relay would carry the packets to: NAT64 keeps it in the last four bytes, 6to4 in bytes 2-5.</summary>
    private static IPAddress? EmbeddedIPv4(IPAddress address)
    {
        var bytes = address.GetAddressBytes();
        if (Nat64.Contains(address))
            return new IPAddress(bytes.AsSpan(12, 4));
        if (SixToFour.Contains(address))
            return new IPAddress(bytes.AsSpan(2, 4));
        return null;
    }
}
