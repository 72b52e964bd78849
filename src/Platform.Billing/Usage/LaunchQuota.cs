using Platform.Domain.Billing;
using Platform.Domain.Common;
using Platform.Domain.Usage;

namespace Platform.Billing.Usage;

/// <summary>Billing's answer to the job system's launch check: the plan's hours left, hard or soft cap.</summary>
internal sealed class LaunchQuota(CheckLaunchQuotaQuery query) : ILaunchQuota
{
    public async Task<Result<string?>> CheckAsync(string deviceKind, double estimatedHours, CancellationToken cancellationToken = default)
    {
        var check = await query.ExecuteAsync(deviceKind, estimatedHours, cancellationToken);
        if (!check.IsSuccess)
            return Result<string?>.From(check);
        // Only overage goes into the job's log; "no plan assigned" is for the launch form, not every job.
        return Result<string?>.Success(check.Value.Verdict == QuotaVerdict.AllowedWithOverage ? check.Value.Warning : null);
    }
}
