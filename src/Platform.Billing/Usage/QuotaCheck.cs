using Platform.Domain.Billing;

namespace Platform.Billing.Usage;

/// <summary>
/// The quota position of a launch. Hours are for the job's device class in the current period:
/// IncludedHours counts the plan and any admin override; UsedHours the ledger plus running and
/// not yet metered segments. Warning is set when the launch goes ahead over a soft cap (billed as
/// overage) or without a plan.
/// </summary>
public sealed record QuotaCheck(
    QuotaVerdict Verdict,
    string DeviceKind,
    decimal IncludedHours,
    decimal UsedHours,
    decimal EstimatedHours,
    decimal HoursLeft,
    int? MaxConcurrentJobs,
    string? Warning);
