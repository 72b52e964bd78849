using Hangfire;
using Hangfire.PostgreSql;
using Hangfire.PostgreSql.Factories;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Platform.Billing.Scheduling;
using Platform.Data;
using Platform.Web.Accounts;

namespace Platform.Web.Background;

public static class BackgroundJobsExtensions
{
    /// <summary>
    /// Hangfire on the platform database (its own schema, section "BackgroundJobs"), the recurring
    /// jobs (billing steps, housekeeping) and, unless BackgroundJobs:Server is false, a Hangfire server
    /// in this process that runs them (docs/decisions/0024). Needs AddPlatformData and AddBillingScheduler.
    /// </summary>
    public static IHostApplicationBuilder AddBackgroundJobs(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<BackgroundJobsOptions>()
            .BindConfiguration(BackgroundJobsOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddOptions<HousekeepingOptions>()
            .BindConfiguration(HousekeepingOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddScoped<HousekeepingJobs>();

        // The storage is this host's own singleton, not Hangfire's static JobStorage.Current: the
        // dashboard, the job manager and the server all take it from the container.
        services.TryAddSingleton<JobStorage>(sp =>
        {
            var settings = sp.GetRequiredService<IOptions<BackgroundJobsOptions>>().Value;
            var storage = new PostgreSqlStorageOptions
            {
                SchemaName = settings.Schema,
                // Hangfire owns its schema (versioned in its own table, installed under its own lock).
                PrepareSchemaIfNecessary = true,
                // LISTEN/NOTIFY wakes an idle server when a job is enqueued ("Trigger now"), instead of a 15 s poll.
                EnableLongPolling = true,
                // A job's fetch is renewed while it runs, so a long step is never handed to a second server,
                // and a killed server's job is visible again after InvisibilityTimeout.
                UseSlidingInvisibilityTimeout = true,
                InvisibilityTimeout = TimeSpan.FromMinutes(5),
                // The portal starts while PostgreSQL is down (it answers 503 until it is back): the
                // storage then initialises on first use instead of failing the start.
                StartupConnectionMaxRetries = 2,
                AllowDegradedModeWithoutStorage = true,
            };
            var connectionString = sp.GetRequiredService<IOptions<DataOptions>>().Value.ConnectionString!;
            return new PostgreSqlStorage(new NpgsqlConnectionFactory(connectionString, storage), storage)
            {
                JobExpirationTimeout = settings.History,
            };
        });
        // Hangfire's configuration is process-wide: the activator and log provider set here are the last
        // host's to resolve it (one portal per process in production; the test suite runs the portal
        // with a server in a collection of its own).
        services.AddHangfire((sp, configuration) => configuration
            .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
            .UseSimpleAssemblyNameTypeSerializer()
            .UseRecommendedSerializerSettings()
            .UseLogProvider(new HostLogProvider(sp.GetRequiredService<ILoggerFactory>())));

        var settings = builder.Configuration.GetSection(BackgroundJobsOptions.SectionName).Get<BackgroundJobsOptions>() ?? new();
        if (settings.Server)
        {
            services.AddHostedService<BackgroundJobsSchedule>();
            services.AddHangfireServer((sp, server) =>
            {
                var options = sp.GetRequiredService<IOptions<BackgroundJobsOptions>>().Value;
                var billing = sp.GetRequiredService<IOptions<BillingSchedulerOptions>>().Value;
                server.WorkerCount = options.WorkerCount;
                // The recurring scheduler looks for due jobs this often: a billing interval under 15 s
                // (the end-to-end tests' 1 s) needs it to look as often.
                server.SchedulePollingInterval = billing.Interval < TimeSpan.FromSeconds(15) ? billing.Interval : TimeSpan.FromSeconds(15);
                server.ServerName = $"{Environment.MachineName}:portal:{Environment.ProcessId}";
            });
        }
        return builder;
    }

    /// <summary>
    /// The Hangfire Dashboard at <see cref="BackgroundJobsOptions.DashboardPath"/>, for platform admins
    /// only (the PlatformAdmin policy and Hangfire's own filter on the role). Its posts (trigger, retry,
    /// delete) carry the portal's antiforgery token: Hangfire checks it through IAntiforgery.
    /// </summary>
    public static WebApplication MapBackgroundJobsDashboard(this WebApplication app)
    {
        app.MapHangfireDashboard(BackgroundJobsOptions.DashboardPath, new DashboardOptions
            {
                Authorization = [new PlatformAdminDashboardFilter()],
                AppPath = "/admin",
                DashboardTitle = "Background jobs",
                DisplayStorageConnectionString = false,
                IgnoreAntiforgeryToken = false,
            })
            .RequireAuthorization(PortalPolicies.PlatformAdmin);
        return app;
    }
}
