using System.Diagnostics.Metrics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Platform.Data.Scheduling;

namespace Platform.Jobs.Telemetry;

public static class TelemetryExtensions
{
    /// <summary>
    /// OpenTelemetry for a portal or worker process: the platform's meters and activity sources
    /// (Platform.*), Npgsql's, the runtime's; <paramref name="metrics"/> and <paramref name="tracing"/>
    /// add the host's own (ASP.NET Core, an exporter). Traces and metrics go to an OTLP collector when
    /// Telemetry:OtlpEndpoint is set.
    /// </summary>
    public static IHostApplicationBuilder AddPlatformTelemetry(this IHostApplicationBuilder builder, string serviceName,
        Action<MeterProviderBuilder>? metrics = null, Action<TracerProviderBuilder>? tracing = null)
    {
        builder.Services.AddOptions<TelemetryOptions>().BindConfiguration(TelemetryOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        var settings = builder.Configuration.GetSection(TelemetryOptions.Section).Get<TelemetryOptions>() ?? new TelemetryOptions();
        builder.Services.AddSingleton<QueueDepthGauge>();
        var otel = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(serviceName, serviceInstanceId: Environment.MachineName + ":" + Environment.ProcessId))
            .WithMetrics(meter =>
            {
                meter.AddMeter(JobsTelemetry.Name, JobsTelemetry.Name + ".Queue", SchedulerRuns.MeterName, "Npgsql")
                    .AddRuntimeInstrumentation()
                    .AddHttpClientInstrumentation();
                // Built with the provider (and kept alive by it), so its instrument is there from the first scrape.
                meter.AddInstrumentation(sp => sp.GetRequiredService<QueueDepthGauge>());
                // The SDK listens to meters by name across the process: where several hosts share one (the
                // test processes), a host's scrape would take another host's instruments of the same name,
                // and the first registered wins. A host reports its own factory's meters and the static ones.
                ((IDeferredMeterProviderBuilder)meter).Configure((sp, provider) =>
                {
                    var own = sp.GetRequiredService<IMeterFactory>();
                    provider.AddView(instrument => instrument.Meter.Scope is IMeterFactory scope && !ReferenceEquals(scope, own)
                        ? MetricStreamConfiguration.Drop
                        : null);
                });
                metrics?.Invoke(meter);
            });
        if (settings.OtlpEndpoint is { } endpoint)
        {
            // Traces only where they go somewhere: recording every request's and command's spans for no
            // exporter would cost for nothing.
            otel.WithTracing(trace =>
            {
                trace.AddSource(JobsTelemetry.Name, "Npgsql").AddHttpClientInstrumentation();
                tracing?.Invoke(trace);
            });
            otel.UseOtlpExporter(OpenTelemetry.Exporter.OtlpExportProtocol.Grpc, endpoint);
        }
        return builder;
    }
}
