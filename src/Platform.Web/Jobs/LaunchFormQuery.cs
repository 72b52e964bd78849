using Npgsql;
using Platform.Domain.Common;
using Platform.Jobs.Launch;
using Platform.Training.Models.Cnn;

namespace Platform.Web.Jobs;

/// <summary>The current tenant's job quota: active (queued or running) jobs against its cap.</summary>
public sealed record JobQuota(int Active, int Limit)
{
    public int Left => Math.Max(0, Limit - Active);
}

/// <summary>The device-hours a launch would take on a CPU and on a GPU worker.</summary>
public sealed record LaunchEstimate(JobEstimate Cpu, JobEstimate Cuda, long Samples, int Epochs, int BatchSize, int TokensPerSample);

/// <summary>What the launch form needs beyond the tenant's datasets and the catalog.</summary>
public sealed class LaunchFormQuery(NpgsqlDataSource dataSource, ICurrentTenant current)
{
    /// <summary>The cap LaunchJobCommand enforces (tenant_job_limits.max_active, 10 until an admin sets one).</summary>
    public const int DefaultMaxActive = 10;

    public async Task<JobQuota> QuotaAsync(CancellationToken cancellationToken = default)
    {
        if (current.TenantId is not { } tenantId)
            return new JobQuota(0, 0);
        await using var command = dataSource.CreateCommand("""
            SELECT (SELECT count(*) FROM jobs WHERE tenant_id = $1 AND state IN ('Queued', 'Running'))::int,
                   (SELECT max_active FROM tenant_job_limits WHERE tenant_id = $1)
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new JobQuota(reader.GetInt32(0), reader.IsDBNull(1) ? DefaultMaxActive : reader.GetInt32(1));
    }

    /// <summary>
    /// The estimate for a base model and settings, with the preset's defaults for what was left blank
    /// (the same defaults LaunchJobCommand applies). A CNN sees each image at its preset's input size.
    /// </summary>
    public static LaunchEstimate? Estimate(Platform.Jobs.Catalog.BaseModel model, TrainingPreset preset, long trainingSamples,
        int? epochs, int? batchSize, int? maxLength)
    {
        var e = epochs ?? (model.IsBert ? preset.BertEpochs : preset.CnnEpochs);
        var b = batchSize ?? preset.BatchSize;
        int tokens;
        if (model.IsBert)
        {
            tokens = maxLength ?? 128;
        }
        else
        {
            var config = CnnConfig.FromPreset(model.Preset!, ["a", "b"]);
            tokens = Math.Max(1, config.ImageHeight * config.ImageWidth / 16);
        }
        if (e < 1 || b < 1 || tokens < 1)
            return null;
        return new LaunchEstimate(
            JobEstimate.For(model.Parameters, trainingSamples, e, b, tokens, "cpu"),
            JobEstimate.For(model.Parameters, trainingSamples, e, b, tokens, "cuda"),
            trainingSamples, e, b, tokens);
    }
}
