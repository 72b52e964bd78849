using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Platform.Jobs.Telemetry;

namespace Platform.Web.Telemetry;

/// <summary>
/// The portal's telemetry: the platform's meters plus ASP.NET Core's requests, scraped by Prometheus at
/// Telemetry:PrometheusPath. The scrape is not the tenants': it answers a bearer token
/// (Telemetry:PrometheusToken) or, without one, requests from the machine itself; anyone else gets the
/// same 404 as any unknown address.
/// </summary>
public static class PortalTelemetry
{
    public static IHostApplicationBuilder AddPortalTelemetry(this IHostApplicationBuilder builder)
    {
        builder.AddPlatformTelemetry("platform-web",
            metrics => metrics.AddAspNetCoreInstrumentation().AddPrometheusExporter(),
            tracing => tracing.AddAspNetCoreInstrumentation(options =>
                // Probes and scrapes every few seconds are noise in a trace store.
                options.Filter = context => !context.Request.Path.StartsWithSegments("/healthz")
                                            && !context.Request.Path.StartsWithSegments("/readyz")));
        return builder;
    }

    public static WebApplication UsePortalTelemetry(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<TelemetryOptions>>().Value;
        if (string.IsNullOrWhiteSpace(options.PrometheusPath))
            return app;
        var path = new PathString(options.PrometheusPath);
        app.UseOpenTelemetryPrometheusScrapingEndpoint(context => context.Request.Path == path && MayScrape(context, options.PrometheusToken));
        return app;
    }

    private static bool MayScrape(HttpContext context, string? token)
    {
        if (token is not null)
        {
            var header = context.Request.Headers.Authorization.ToString();
            const string scheme = "Bearer ";
            return header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)
                   && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(header[scheme.Length..].Trim()), Encoding.UTF8.GetBytes(token));
        }
        // Behind a proxy the forwarded-headers middleware has put the real client here already.
        return context.Connection.RemoteIpAddress is { } address && IPAddress.IsLoopback(address);
    }
}
