using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Data;
using Platform.Domain.Usage;
using Platform.Jobs.Catalog;
using Platform.Jobs.Catalog.Hub;
using Platform.Jobs.Catalog.Imports;
using Platform.Jobs.Launch;
using Platform.Domain.Jobs;
using Platform.Jobs.Limits;
using Platform.Jobs.Metering;
using Platform.Jobs.Models;
using Platform.Jobs.Portal;
using Platform.Jobs.Pretraining;
using Platform.Jobs.Privacy;
using Platform.Jobs.Queue;
using Platform.Jobs.Training;
using Platform.Jobs.Workers;

namespace Platform.Jobs;

public static class JobsExtensions
{
    /// <summary>The queue itself: what the portal and API need to submit, list and cancel jobs.</summary>
    public static IHostApplicationBuilder AddJobQueue(this IHostApplicationBuilder builder)
    {
        builder.Services.TryAddKeyedSingleton(JobQueue.DataSourceKey, (sp, _) =>
            JobQueue.CreateDataSource(sp.GetRequiredService<IOptions<DataOptions>>().Value.ConnectionString!));
        builder.Services.AddOptions<RetryOptions>().BindConfiguration(RetryOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.TryAddSingleton(sp => new JobQueue(sp.GetRequiredKeyedService<NpgsqlDataSource>(JobQueue.DataSourceKey),
            sp.GetRequiredService<IOptions<RetryOptions>>().Value));
        builder.Services.TryAddSingleton<IUsageSource, UsageSegmentSource>();
        // Every host with the job system validates image uploads with the decoder its jobs use (CreateDatasetCommand).
        builder.Services.TryAddSingleton<Platform.Data.Datasets.Ingestion.IImageVerifier, DecodingImageVerifier>();
        builder.Services.AddOptions<ModelCatalogOptions>()
            .BindConfiguration("Catalog")
            .Configure<IConfiguration>((o, configuration) =>
            {
                // Beside the datasets and job folders, in the artifact store every host sees.
                if (string.IsNullOrEmpty(o.Root) && configuration["Storage:Root"] is { Length: > 0 } root)
                    o.Root = Path.Combine(root, "catalog");
            })
            .ValidateDataAnnotations();
        builder.Services.TryAddSingleton<BaseModelCatalog>();
        builder.Services.TryAddSingleton<BaseModelFiles>();
        builder.Services.TryAddScoped<LaunchJobCommand>();
        builder.Services.TryAddScoped<LaunchPretrainingCommand>();
        builder.Services.TryAddScoped<JobQueries>();
        builder.Services.TryAddScoped<JobGridQuery>();
        builder.Services.TryAddScoped<JobSummaryQuery>();
        builder.Services.TryAddScoped<ApiJobQuery>();
        // Platform admins' workers page and the web host's housekeeping: the workers table is this module's too.
        builder.Services.TryAddScoped<WorkerListQuery>();
        builder.Services.TryAddScoped<DeleteStoppedWorkersCommand>();
        builder.Services.TryAddScoped<DatasetGridQuery>();
        builder.Services.TryAddScoped<CancelJobCommand>();
        builder.Services.TryAddScoped<GetTenantJobLimitsQuery>();
        builder.Services.TryAddScoped<LaunchFormQuery>();
        builder.Services.TryAddScoped<SetTenantJobLimitsCommand>();
        // Billing applies a plan's concurrent-jobs limit through this when both modules are in the host.
        builder.Services.TryAddScoped<IPlanJobLimits, PlanJobLimits>();
        return builder;
    }

    /// <summary>What the portal adds on top of the queue: live event signals for server-sent events.</summary>
    public static IHostApplicationBuilder AddJobPortal(this IHostApplicationBuilder builder)
    {
        builder.AddJobQueue();
        builder.Services.TryAddSingleton<JobEventSignals>();
        builder.Services.AddOptions<ModelCacheOptions>().BindConfiguration("Playground").ValidateDataAnnotations().ValidateOnStart();
        builder.Services.TryAddSingleton<ModelCache>();
        builder.Services.TryAddScoped<ModelQueries>();
        builder.Services.TryAddScoped<DeleteModelCommand>();
        builder.Services.TryAddScoped<Predictions.LaunchBatchPredictionCommand>();
        builder.Services.TryAddScoped<Predictions.BatchPredictionQueries>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<JobEventSignals>());
        return builder;
    }

    /// <summary>
    /// Imports into the model catalog (sections "Catalog" and "HuggingFace"): the commands the catalog
    /// pages use and, unless Catalog:ImportsEnabled is false, the background service that downloads,
    /// validates and adds what they queue.
    /// </summary>
    public static IHostApplicationBuilder AddModelCatalogImports(this IHostApplicationBuilder builder)
    {
        builder.AddJobQueue();
        builder.Services.AddOptions<HuggingFaceOptions>().BindConfiguration("HuggingFace").ValidateDataAnnotations().ValidateOnStart();
        builder.Services.TryAddSingleton<HuggingFaceHubClient>();
        builder.Services.TryAddSingleton<BaseModelImportSignal>();
        builder.Services.TryAddSingleton<BaseModelImportStore>();
        builder.Services.TryAddSingleton<BaseModelImportProcessor>();
        builder.Services.TryAddScoped<StartHubImportCommand>();
        builder.Services.TryAddScoped<StartUploadedModelImportCommand>();
        builder.Services.TryAddScoped<ListBaseModelImportsQuery>();
        builder.Services.TryAddScoped<CancelBaseModelImportCommand>();
        builder.Services.TryAddScoped<RetryBaseModelImportCommand>();
        if (builder.Configuration.GetValue("Catalog:ImportsEnabled", true))
            builder.Services.AddHostedService<BaseModelImportService>();
        return builder;
    }

    /// <summary>
    /// Export, erasure and retention of tenants' data (section "Retention"). The host schedules
    /// <see cref="RetentionSweep.RunAsync"/> (the web host: a Hangfire recurring job with housekeeping).
    /// </summary>
    public static IHostApplicationBuilder AddTenantPrivacy(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<RetentionOptions>().BindConfiguration("Retention").ValidateDataAnnotations().ValidateOnStart();
        builder.Services.TryAddSingleton<TenantFolders>();
        builder.Services.TryAddSingleton<RetentionSweep>();
        builder.Services.TryAddScoped<ExportTenantCommand>();
        builder.Services.TryAddScoped<EraseTenantCommand>();
        // Model folders of installs from before the store held them move into it once (decision 0025).
        builder.Services.TryAddSingleton<LegacyJobFolderMigration>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<LegacyJobFolderMigration>());
        builder.Services.TryAddSingleton<LegacyCatalogFolderMigration>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<LegacyCatalogFolderMigration>());
        return builder;
    }

    /// <summary>
    /// A worker in this process (section "Worker"): claims jobs into its slots and runs the registered
    /// <see cref="IJobHandler"/>s. Shutdown waits for running jobs to checkpoint and be released.
    /// </summary>
    public static IHostApplicationBuilder AddJobWorker(this IHostApplicationBuilder builder)
    {
        builder.AddJobQueue();
        builder.Services.AddOptions<WorkerOptions>()
            .BindConfiguration("Worker")
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddOptions<TrainingJobOptions>()
            .BindConfiguration("Training")
            .Configure<IConfiguration>((o, configuration) =>
            {
                // By default job folders sit beside the uploaded datasets, in the artifact store.
                if (string.IsNullOrEmpty(o.WorkDirectory) && configuration["Storage:Root"] is { Length: > 0 } root)
                    o.WorkDirectory = Path.Combine(root, "jobs");
            })
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.TryAddSingleton<DatasetMaterializer>();
        builder.Services.TryAddSingleton<LossCurveRecorder>();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IJobHandler, NoopJobHandler>());
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IJobHandler, TrainingJobHandler>());
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IJobHandler, PretrainingJobHandler>());
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IJobHandler, Predictions.BatchPredictionJobHandler>());
        builder.Services.AddSingleton<JobWorker>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<JobWorker>());
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(60));
        return builder;
    }
}
