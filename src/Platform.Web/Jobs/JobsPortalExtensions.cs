using Platform.Jobs;
using Platform.Web.Catalog;

namespace Platform.Web.Jobs;

public static class JobsPortalExtensions
{
    /// <summary>
    /// The job system as the portal uses it, plus one worker in this process when Worker:InProcess is
    /// true: the single-machine default of `./platform up`, where no separate worker host runs.
    /// </summary>
    public static IHostApplicationBuilder AddJobsPortal(this IHostApplicationBuilder builder)
    {
        builder.AddJobPortal();
        builder.AddModelCatalogImports();
        if (builder.Configuration.GetValue<bool>("Worker:InProcess"))
        {
            builder.AddJobWorker();
        }
        builder.Services.AddScoped<RunComparisonQuery>();
        return builder;
    }

    public static WebApplication MapJobsPortal(this WebApplication app)
    {
        app.MapJobEndpoints();
        app.MapModelEndpoints();
        app.MapCatalogEndpoints();
        return app;
    }
}
