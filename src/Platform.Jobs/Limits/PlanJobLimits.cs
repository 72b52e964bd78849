using Platform.Domain.Jobs;

namespace Platform.Jobs.Limits;

/// <summary>
/// Writes a plan's concurrent-jobs figure into the tenant's job limits, through the admin's own command
/// (same validation, same wake-up). Active jobs (queued or running) are raised to at least that figure,
/// since every running job is also active; they are never lowered here.
/// </summary>
internal sealed class PlanJobLimits(GetTenantJobLimitsQuery getLimits, SetTenantJobLimitsCommand setLimits) : IPlanJobLimits
{
    public async Task ApplyAsync(Guid tenantId, int maxConcurrentJobs, CancellationToken cancellationToken = default)
    {
        if (maxConcurrentJobs <= 0)
            return;
        var concurrent = Math.Min(maxConcurrentJobs, TenantJobLimits.MaxLimit);
        var current = await getLimits.ExecuteAsync(tenantId, cancellationToken);
        var applied = await setLimits.ExecuteAsync(tenantId, concurrent, Math.Max(current.MaxActive, concurrent), cancellationToken);
        if (!applied.IsSuccess)
            throw new InvalidOperationException($"The plan's job limit could not be applied: {applied.Error}");
    }
}
