using Amazon.S3;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Data.Artifacts;
using Platform.Data.Artifacts.Encryption;
using Platform.Data.ApiKeys;
using Platform.Data.Datasets;
using Platform.Data.Migrations;
using Platform.Data.Tenants;
using Platform.Domain.Common;

namespace Platform.Data;

public static class DataExtensions
{
    /// <summary>
    /// Registers the database (ConnectionStrings:Platform, section "Data"), the migrator (run at start
    /// per Data:Migrations), the artifact store (Storage:Root), the scoped current tenant, and the query and command classes.
    /// </summary>
    public static IHostApplicationBuilder AddPlatformData(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<DataOptions>()
            .BindConfiguration(DataOptions.SectionName)
            .Configure<IConfiguration>((options, configuration) =>
                options.ConnectionString = configuration.GetConnectionString("Platform") ?? options.ConnectionString)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        services.AddOptions<StorageOptions>()
            .BindConfiguration(StorageOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        // A KMS-backed IMasterKey registered before AddPlatformData replaces the configured keys.
        services.TryAddSingleton<IMasterKey, ConfiguredMasterKeys>();
        services.TryAddSingleton<TenantKeyRing>();
        services.TryAddSingleton<TenantSecretCipher>();
        // Storage:Provider picks the store; both encrypt the same way and lay files out alike.
        services.TryAddSingleton<IAmazonS3>(sp => S3Client.Create(sp.GetRequiredService<IOptions<StorageOptions>>().Value.S3));
        services.TryAddSingleton<IArtifactStore>(sp => sp.GetRequiredService<IOptions<StorageOptions>>().Value.Provider == StorageProvider.S3
            ? ActivatorUtilities.CreateInstance<S3ArtifactStore>(sp)
            : ActivatorUtilities.CreateInstance<LocalArtifactStore>(sp));
        services.TryAddSingleton<StoredFolders>();
        services.AddOptions<DatasetOptions>()
            .BindConfiguration(DatasetOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => NpgsqlDataSource.Create(sp.GetRequiredService<IOptions<DataOptions>>().Value.ConnectionString!));
        services.AddDbContext<PlatformDbContext>((sp, options) => options.UseNpgsql(sp.GetRequiredService<NpgsqlDataSource>()));

        services.TryAddScoped<CurrentTenant>();
        services.TryAddScoped<ICurrentTenant>(sp => sp.GetRequiredService<CurrentTenant>());

        services.AddSingleton(sp => new SqlMigrator(
            sp.GetRequiredService<NpgsqlDataSource>(), MigrationScripts.Embedded(), sp.GetRequiredService<ILogger<SqlMigrator>>()));
        services.AddHostedService<MigrationHostedService>();
        // After the migrations: encrypts what an install from before encryption left in the clear.
        services.AddHostedService<LegacyArtifactEncryptionService>();

        services.AddScoped<CreateTenantForNewUserCommand>();
        services.AddScoped<ListMyTenantsQuery>();
        services.AddScoped<GetCurrentTenantQuery>();
        services.AddScoped<ListMembersQuery>();
        services.AddScoped<ListInvitationsQuery>();
        services.AddScoped<InviteMemberCommand>();
        services.AddScoped<AcceptInvitationCommand>();
        services.AddScoped<GetInvitationPreviewQuery>();
        services.AddScoped<RemoveMemberCommand>();
        services.AddScoped<ChangeMemberRoleCommand>();
        services.AddScoped<RevokeInvitationCommand>();
        services.AddScoped<ListTenantsQuery>();
        services.AddScoped<ListTenantMembersQuery>();
        services.AddScoped<Audit.AuditTrail>();
        services.AddScoped<Audit.ListAuditLogQuery>();
        services.AddScoped<SuspendTenantCommand>();
        services.AddScoped<ReactivateTenantCommand>();

        services.AddScoped<CreateApiKeyCommand>();
        services.AddScoped<ListApiKeysQuery>();
        services.AddScoped<RevokeApiKeyCommand>();
        services.AddScoped<AuthenticateApiKeyQuery>();

        services.AddScoped<ListDatasetsQuery>();
        services.AddScoped<DatasetPageQuery>();
        services.AddScoped<GetDatasetQuery>();
        services.AddScoped<CreateDatasetCommand>();
        services.AddScoped<DeleteDatasetCommand>();
        services.AddScoped<OpenDatasetFileQuery>();
        services.AddSingleton<ReadCsvColumnsQuery>();
        return builder;
    }
}
