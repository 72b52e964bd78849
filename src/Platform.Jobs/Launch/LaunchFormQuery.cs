using Npgsql;
using Platform.Domain.Common;
using Platform.Jobs.Launch;
using Platform.Training.Training;

namespace Platform.Web.Jobs;

/// <summary>The current tenant's job quota: active (queued or running) jobs against its cap.</summary>
public sealed record JobQuota(int Active, int Limit)
{
    public int Left => Math.Max(0, Limit - Active);
}

/// <summary>The device-hours a launch would take on a CPU and on a GPU worker.</summary>
public sealed record LaunchEstimate(JobEstimate Cpu, JobEstimate Cuda, long Samples, int Epochs, int BatchSize, int TokensPerSample, TrainingPlan Plan);

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
    /// The plan and estimate of a launch with these settings: the same <see cref="LaunchPlan"/> the
    /// launch command stores in the job and checks the quota against.
    /// </summary>
    public static LaunchEstimate? Estimate(Platform.Jobs.Catalog.BaseModel model, LaunchJobRequest request, int trainingSamples)
    {
        if (request is { Epochs: < 1 } or { BatchSize: < 1 } or { MaxSequenceLength: < 8 } || trainingSamples < 1)
            return null;
        var plan = LaunchPlan.For(model, request, trainingSamples);
        return new LaunchEstimate(plan.Estimate(model.Parameters, "cpu"), plan.Estimate(model.Parameters, "cuda"),
            trainingSamples, plan.Plan.Epochs, plan.Plan.BatchSize, plan.TokensPerSample, plan.Plan);
    }
}
