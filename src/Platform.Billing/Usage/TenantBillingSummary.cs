using Platform.Domain.Billing;

namespace Platform.Billing.Usage;

/// <summary>
/// The tenant's billing page: this period's use against included hours (per device class), and the
/// projected cost: the invoice as it would be if the period closed now with the use so far.
/// </summary>
public sealed record TenantBillingSummary(
    string PlanName,
    string SubscriptionStatus,
    DateTimeOffset PeriodStart,
    DateTimeOffset PeriodEnd,
    decimal IncludedGpuHours,
    decimal UsedGpuHours,
    decimal IncludedCpuHours,
    decimal UsedCpuHours,
    CapMode CapMode,
    Money ProjectedCost,
    IReadOnlyList<InvoiceLineDraft> ProjectedLines);

/// <summary>A tenant without a plan: its metered hours this calendar month.</summary>
public sealed record UnplannedUsage(DateTimeOffset PeriodStart, DateTimeOffset PeriodEnd, decimal UsedGpuHours, decimal UsedCpuHours);
