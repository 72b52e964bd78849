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
    string? StripeCpuPriceId = null,
    int CheckpointRetentionDays = Plan.DefaultCheckpointRetentionDays,
    int EventRetentionDays = Plan.DefaultEventRetentionDays,
    int? MaxJobRuntimeSeconds = null)
{
    /// <summary>The longest device time one job may use across its runs (a year): null means no cap.</summary>
    public const int MaxRuntimeCapSeconds = 365 * 24 * 3600;

    /// <summary>Days a finished job's checkpoints and its events are kept (the retention sweep; the model stays).</summary>
    public const int DefaultCheckpointRetentionDays = 30;
    public const int DefaultEventRetentionDays = 90;

    /// <summary>Up to a hundred years: the column is an integer of days, and the sweep's interval arithmetic stays in range.</summary>
    public const int MaxRetentionDays = 36500;

    public decimal IncludedHours(string deviceKind) => deviceKind == DeviceClass.Gpu ? IncludedGpuHours : IncludedCpuHours;

    public decimal OveragePerHour(string deviceKind) => deviceKind == DeviceClass.Gpu ? GpuOveragePerHour : CpuOveragePerHour;

    /// <summary>Highest values the columns hold (billing_plans: numeric(18,4), (12,4), (18,6)), with room to spare.</summary>
    public const decimal MaxMonthlyFee = 1_000_000_000m;
    public const decimal MaxIncludedHours = 10_000_000m;
    public const decimal MaxPricePerHour = 1_000_000m;

    /// <summary>The rules an admin's plan must satisfy: the first broken one, or null when it satisfies them all.</summary>
    public string? Validate() => FieldErrors().Select(e => e.Message).FirstOrDefault();

    /// <summary>
    /// Every rule the plan breaks, each with the property it is about, so a form can show the message
    /// next to its field. Values must also fit the columns, so a save never fails in the database.
    /// </summary>
    public IReadOnlyList<(string Field, string Message)> FieldErrors()
    {
        var errors = new List<(string, string)>();
        void Check(bool broken, string field, string message)
        {
            if (broken && errors.TrueForAll(e => e.Item1 != field))
                errors.Add((field, message));
        }

        Check(string.IsNullOrWhiteSpace(Code), nameof(Code), "A plan needs a code, e.g. starter-2026.");
        Check(Code?.Trim().Length > 64, nameof(Code), "A code is at most 64 characters.");
        Check(string.IsNullOrWhiteSpace(Name), nameof(Name), "A plan needs a name.");
        Check(Name?.Trim().Length > 200, nameof(Name), "A name is at most 200 characters.");
        Check(Currency is null || !Iso4217.IsKnown(Currency), nameof(Currency),
            "The currency must be an ISO 4217 code such as USD.");
        Amount(MonthlyFee, nameof(MonthlyFee), "The monthly fee", MaxMonthlyFee, 4);
        Amount(IncludedGpuHours, nameof(IncludedGpuHours), "Included GPU hours", MaxIncludedHours, 4);
        Amount(IncludedCpuHours, nameof(IncludedCpuHours), "Included CPU hours", MaxIncludedHours, 4);
        Amount(GpuOveragePerHour, nameof(GpuOveragePerHour), "The GPU overage price", MaxPricePerHour, 6);
        Amount(CpuOveragePerHour, nameof(CpuOveragePerHour), "The CPU overage price", MaxPricePerHour, 6);
        Check(MaxConcurrentJobs < 0, nameof(MaxConcurrentJobs), "The concurrent job limit cannot be negative.");
        Check(MaxDatasetBytes < 0, nameof(MaxDatasetBytes), "The dataset size limit cannot be negative.");
        Check(MaxStorageBytes < 0, nameof(MaxStorageBytes), "The storage limit cannot be negative.");
        Check(!Enum.IsDefined(CapMode), nameof(CapMode), "The cap must be hard or soft.");
        Check(CheckpointRetentionDays is < 1 or > MaxRetentionDays, nameof(CheckpointRetentionDays),
            $"Checkpoints are kept from 1 to {MaxRetentionDays:#,0} days after a job finishes.");
        Check(EventRetentionDays is < 1 or > MaxRetentionDays, nameof(EventRetentionDays),
            $"Job events are kept from 1 to {MaxRetentionDays:#,0} days.");
        Check(MaxJobRuntimeSeconds is < 1 or > MaxRuntimeCapSeconds, nameof(MaxJobRuntimeSeconds),
            "A job's runtime cap is from 1 second to 8,760 hours, or blank for none.");
        StripeId(StripePriceId, nameof(StripePriceId));
        StripeId(StripeGpuPriceId, nameof(StripeGpuPriceId));
        StripeId(StripeCpuPriceId, nameof(StripeCpuPriceId));
        return errors;

        void Amount(decimal value, string field, string label, decimal max, int decimals)
        {
            Check(value < 0, field, $"{label} cannot be negative.");
            Check(value > max, field, $"{label} is at most {max.ToString("#,0", System.Globalization.CultureInfo.InvariantCulture)}.");
            // The column would round the rest away silently; money must be stored as entered.
            Check(decimal.Round(value, decimals) != value, field, $"{label} has at most {decimals} decimal places.");
        }

        void StripeId(string? value, string field) =>
            Check(value is not null && (value.Length is 0 or > 255 || value.Any(char.IsWhiteSpace)), field,
                "A Stripe price id is at most 255 characters without spaces (price_...), or left empty.");
    }
}
