using Platform.Domain.Common;
using Platform.Jobs.Catalog;
using Platform.Jobs.Limits;
using Platform.Training.Training;

namespace Platform.Jobs.Launch;

/// <summary>The current tenant's job quota: active (queued or running) jobs against its cap.</summary>
/// <param name="Active">Active jobs' devices: a job on N devices counts N (decision 0044).</param>
/// <param name="MaxDevices">The most devices one job can run on: the tenant's limit of running slots.</param>
public sealed record JobQuota(int Active, int Limit, int MaxDevices = 1)
{
    public int Left => Math.Max(0, Limit - Active);
}

/// <summary>The device-hours a launch would take on a CPU and on a GPU worker.</summary>
public sealed record LaunchEstimate(JobEstimate Cpu, JobEstimate Cuda, long Samples, int Epochs, int BatchSize, int TokensPerSample, TrainingPlan Plan);

/// <summary>
/// The launch form's read model: the tenant's cap as <see cref="LaunchJobCommand"/> enforces it, and
/// the plan and estimate the command checks the quota against (both come from <see cref="LaunchPlan"/>).
/// </summary>
public sealed class LaunchFormQuery(GetTenantJobLimitsQuery limits, ICurrentTenant current)
{
    public async Task<JobQuota> QuotaAsync(CancellationToken cancellationToken = default)
    {
        if (current.TenantId is not { } tenantId)
            return new JobQuota(0, 0);
        var tenant = await limits.ExecuteAsync(tenantId, cancellationToken);
        return new JobQuota(tenant.Active, tenant.MaxActive, Math.Clamp(tenant.MaxConcurrent, 1, LaunchPlan.MaxDevices));
    }

    /// <summary>
    /// The plan and estimate of a launch with these settings: the same <see cref="LaunchPlan"/> the
    /// launch command stores in the job and checks the quota against. Null for settings the command refuses.
    /// </summary>
    public static LaunchEstimate? Estimate(BaseModel model, LaunchJobRequest request, int trainingSamples)
    {
        if (request is { Epochs: < 1 } or { BatchSize: < 1 } or { MaxSequenceLength: < 8 } or { Devices: < 1 or > LaunchPlan.MaxDevices } || trainingSamples < 1)
            return null;
        var plan = LaunchPlan.For(model, request, trainingSamples);
        return new LaunchEstimate(plan.Estimate(model.Parameters, "cpu"), plan.Estimate(model.Parameters, "cuda"),
            trainingSamples, plan.Plan.Epochs, plan.Plan.BatchSize, plan.TokensPerSample, plan.Plan);
    }
}
