namespace Platform.Domain.Jobs;

/// <summary>
/// The job system's side of a plan change (implemented by Platform.Jobs): a plan's concurrent-jobs
/// figure becomes the limit the queue enforces. Billing calls it after assigning a plan; an admin can
/// still set other limits for the tenant afterwards.
/// </summary>
public interface IPlanJobLimits
{
    /// <summary>Jobs running at once for the tenant; 0 means the plan sets no limit and nothing changes.</summary>
    Task ApplyAsync(Guid tenantId, int maxConcurrentJobs, CancellationToken cancellationToken = default);
}
