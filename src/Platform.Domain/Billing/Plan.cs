namespace Platform.Domain.Billing;

/// <summary>
/// What a subscription costs and allows. Hours are decimal so a plan can include 0.5 h; prices are per
/// device hour and billed per second (price × seconds / 3600, rounded once per line).
/// </summary>
public sealed record Plan(
    Guid Id,
    string Code,
    string Name,
    string Currency,
    decimal MonthlyFee,
    decimal IncludedGpuHours,
    decimal IncludedCpuHours,
    decimal GpuOveragePerHour,
    decimal CpuOveragePerHour,
    int MaxConcurrentJobs,
    long MaxDatasetBytes,
    long MaxStorageBytes,
    CapMode CapMode,
    string? StripePriceId = null,
    string? StripeGpuPriceId = null,
    string? StripeCpuPriceId = null)
{
    public decimal IncludedHours(string deviceKind) => deviceKind == DeviceClass.Gpu ? IncludedGpuHours : IncludedCpuHours;

    public decimal OveragePerHour(string deviceKind) => deviceKind == DeviceClass.Gpu ? GpuOveragePerHour : CpuOveragePerHour;

    /// <summary>The rules an admin's plan must satisfy; null when it does.</summary>
    public string? Validate()
    {
        if (string.IsNullOrWhiteSpace(Code) || Code.Length > 64)
            return "A plan needs a code of at most 64 characters.";
        if (string.IsNullOrWhiteSpace(Name) || Name.Length > 200)
            return "A plan needs a name of at most 200 characters.";
        if (Currency is not { Length: 3 } || !Currency.All(char.IsAsciiLetterUpper))
            return "The currency must be an ISO 4217 code such as USD.";
        if (MonthlyFee < 0 || IncludedGpuHours < 0 || IncludedCpuHours < 0 || GpuOveragePerHour < 0 || CpuOveragePerHour < 0)
            return "Fees, included hours and prices cannot be negative.";
        if (MaxConcurrentJobs < 0 || MaxDatasetBytes < 0 || MaxStorageBytes < 0)
            return "Limits cannot be negative.";
        return null;
    }
}
