using System.ComponentModel.DataAnnotations;

namespace Platform.Web.Security;

/// <summary>Section "Security": limits and headers every response gets, whatever the endpoint.</summary>
public sealed class SecurityOptions
{
    public const string Section = "Security";

    /// <summary>
    /// Largest request body Kestrel reads for an endpoint that sets no limit of its own. Uploads raise it
    /// for their request only (datasets, model ZIPs), the API's JSON endpoints lower it.
    /// </summary>
    [Range(1024, long.MaxValue)]
    public long MaxRequestBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>
    /// Scripts only from the portal's own files (no inline handlers: portal.js wires confirmations and
    /// copy buttons); inline style attributes stay allowed for chart sizes. No framing by any site.
    /// </summary>
    [Required]
    public string ContentSecurityPolicy { get; set; } =
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; " +
        "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";
}

/// <summary>
/// Section "ForwardedHeaders": the reverse proxies (TLS terminators, load balancers) whose
/// X-Forwarded-For and X-Forwarded-Proto are believed. Loopback is trusted by default; anything else
/// must be listed, or a client could claim to be https or any address it likes.
/// </summary>
public sealed class ProxyOptions
{
    public const string Section = "ForwardedHeaders";

    /// <summary>Proxy addresses, e.g. "10.0.0.5".</summary>
    public string[] KnownProxies { get; set; } = [];

    /// <summary>Proxy networks in CIDR notation, e.g. "10.0.0.0/8".</summary>
    public string[] KnownNetworks { get; set; } = [];

    /// <summary>Proxies in front of one another; each hop's header entry is read from the right.</summary>
    [Range(1, 10)]
    public int ForwardLimit { get; set; } = 1;
}
