using OpenTelemetry.Metrics;
using Platform.Data;
using Platform.Jobs;
using Platform.Jobs.Telemetry;

// A worker host: no HTTP, just the queue. `./platform worker` runs one; docker-compose runs
// worker-cpu and worker-gpu from it. SIGTERM checkpoints running jobs and gives them back.
var builder = Host.CreateApplicationBuilder(args);
builder.AddPlatformData();
builder.AddJobWorker();
// Metrics for Prometheus at Telemetry:WorkerPrometheusUrl + metrics (off when unset): an HttpListener,
// with no authentication, so the address is loopback or a private interface (README, Operations).
var scrapeUrl = builder.Configuration["Telemetry:WorkerPrometheusUrl"];
builder.AddPlatformTelemetry("platform-worker", metrics =>
{
    if (string.IsNullOrWhiteSpace(scrapeUrl))
        return;
    if (!Uri.TryCreate(scrapeUrl, UriKind.Absolute, out var address) || address.Scheme != Uri.UriSchemeHttp)
        throw new InvalidOperationException($"Telemetry:WorkerPrometheusUrl must be an http:// address such as http://127.0.0.1:9464/, not '{scrapeUrl}'.");
    metrics.AddPrometheusHttpListener(listener =>
    {
        listener.Host = address.Host;
        listener.Port = address.Port;
    });
});
builder.Build().Run();
