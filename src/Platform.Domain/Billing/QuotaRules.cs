namespace Platform.Domain.Billing;

/// <summary>The outcome of a launch quota check.</summary>
public enum QuotaVerdict
{
    Allowed,
    /// <summary>Soft cap exceeded: the launch goes ahead and the excess is billed as overage.</summary>
    AllowedWithOverage,
    Refused,
}

/// <summary>
/// Hours left this period and whether a launch fits. Used hours are what the ledger holds plus what
/// running jobs have used and not yet been metered into it; the new job counts at its estimate.
/// </summary>
public static class QuotaRules
{
    public static (QuotaVerdict Verdict, decimal HoursLeft) Decide(decimal includedHours, decimal usedHours,
        decimal estimatedHours, CapMode mode)
    {
        var left = Math.Max(0m, includedHours - usedHours);
        if (usedHours + estimatedHours <= includedHours)
            return (QuotaVerdict.Allowed, left);
        return (mode == CapMode.Hard ? QuotaVerdict.Refused : QuotaVerdict.AllowedWithOverage, left);
    }
}
