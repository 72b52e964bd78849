namespace Platform.Domain.Datasets;

/// <summary>
/// A plan's limits on a tenant's datasets, in bytes; 0 means the plan sets no limit. Storage counts the
/// uploaded size of every dataset version the tenant keeps.
/// </summary>
public sealed record DatasetLimits(string PlanName, long MaxDatasetBytes, long MaxStorageBytes);

/// <summary>
/// The billing side of an upload (implemented by Platform.Billing from the tenant's plan). Without it,
/// or for a tenant with no plan (null), only the platform's own upload limit applies.
/// </summary>
public interface IDatasetQuota
{
    Task<DatasetLimits?> GetAsync(Guid tenantId, CancellationToken cancellationToken = default);
}
