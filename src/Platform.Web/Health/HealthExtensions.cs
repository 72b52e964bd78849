using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Platform.Web.Health;

/// <summary>
/// Liveness and readiness. <c>/healthz</c> (and <c>/healthz/live</c>) says the process serves requests,
/// and nothing else: an orchestrator that restarts on it must not restart every instance because the
/// database is away. <c>/readyz</c> (and <c>/healthz/ready</c>) checks what a request needs: the database,
/// its schema, the artifact store; it answers 503 with Retry-After while one of them is down, so a load
/// balancer sends traffic elsewhere. It also reports the scheduler, as Degraded (still 200) when the
/// periodic work is late. While the database is down, other requests also get 503 with Retry-After
/// (<see cref="DatabaseOutageMiddleware"/>), not 500.
/// </summary>
public static class HealthExtensions
{
    /// <summary>What Retry-After says while a dependency is down: a restart or a failover takes seconds.</summary>
    public const int RetryAfterSeconds = 5;

    private const string Ready = "ready";

    // Every check gets its own deadline: a database that hangs must not hang the probe.
    private static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(3);

    public static IServiceCollection AddPlatformHealth(this IServiceCollection services)
    {
        services.AddHealthChecks()
            .AddCheck<DatabaseHealthCheck>("database", HealthStatus.Unhealthy, [Ready], CheckTimeout)
            .AddCheck<MigrationsHealthCheck>("migrations", HealthStatus.Unhealthy, [Ready], CheckTimeout)
            .AddCheck<StorageHealthCheck>("storage", HealthStatus.Unhealthy, [Ready], CheckTimeout)
            .AddCheck<SchedulerHealthCheck>("scheduler", HealthStatus.Degraded, [Ready], CheckTimeout);
        return services;
    }

    public static WebApplication MapPlatformHealth(this WebApplication app)
    {
        var live = new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteAsync };
        app.MapHealthChecks("/healthz", live).AllowAnonymous();
        app.MapHealthChecks("/healthz/live", live).AllowAnonymous();
        var ready = new HealthCheckOptions { Predicate = check => check.Tags.Contains(Ready), ResponseWriter = WriteAsync };
        app.MapHealthChecks("/readyz", ready).AllowAnonymous();
        app.MapHealthChecks("/healthz/ready", ready).AllowAnonymous();
        return app;
    }

    private static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        context.Response.Headers.CacheControl = "no-store";
        if (report.Status == HealthStatus.Unhealthy)
            context.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return JsonSerializer.SerializeAsync(context.Response.Body, new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(e => e.Key, e => new { status = e.Value.Status.ToString(), description = e.Value.Description }),
        }, new JsonSerializerOptions(JsonSerializerDefaults.Web), context.RequestAborted);
    }
}
