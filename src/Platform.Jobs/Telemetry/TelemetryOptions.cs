using System.ComponentModel.DataAnnotations;

namespace Platform.Jobs.Telemetry;

/// <summary>Section Telemetry: where metrics and traces go (README, Operations).</summary>
public sealed class TelemetryOptions
{
    public const string Section = "Telemetry";

    /// <summary>The portal's Prometheus scrape path (default /metrics); empty turns the endpoint off.</summary>
    public string PrometheusPath { get; set; } = "/metrics";

    /// <summary>
    /// A bearer token the scraper sends (<c>Authorization: Bearer ...</c>). Unset, the portal answers scrapes
    /// from the machine itself (loopback) only, and everyone else gets 404.
    /// </summary>
    [MinLength(16)]
    public string? PrometheusToken { get; set; }

    /// <summary>
    /// A worker's scrape address, an HttpListener prefix such as <c>http://127.0.0.1:9464/</c> (the path is
    /// /metrics under it). Unset, a worker serves no metrics. It has no authentication: bind it to
    /// loopback or a private interface the scraper reaches, never a public one.
    /// </summary>
    public string? WorkerPrometheusUrl { get; set; }

    /// <summary>An OTLP collector (<c>http://collector:4317</c>) that receives traces, metrics and logs; unset, none is sent and no spans are recorded.</summary>
    public Uri? OtlpEndpoint { get; set; }
}
