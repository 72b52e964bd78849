using Platform.Domain.Common;

namespace Platform.Domain.Usage;

/// <summary>
/// The billing side of a launch decision for the current tenant (implemented by Platform.Billing;
/// without it, launches are limited by the job system's own caps only). Success carries an optional
/// warning for the user (e.g. "this goes into overage"); a refusal carries the reason.
/// </summary>
public interface ILaunchQuota
{
    Task<Result<string?>> CheckAsync(string deviceKind, double estimatedHours, CancellationToken cancellationToken = default);
}
