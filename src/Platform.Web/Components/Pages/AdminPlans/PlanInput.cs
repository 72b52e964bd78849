using System.Globalization;
using Platform.Domain.Billing;
using Platform.Web.Components.Shared;

namespace Platform.Web.Components.Pages.AdminPlans;

/// <summary>
/// The plan form's fields as typed. Numbers stay text until <see cref="ToPlan"/> reads them, so "12,5"
/// or an empty box gets a message naming the field; the plan's own rules (<see cref="Plan.FieldErrors"/>)
/// then run on what was read. Sizes are entered in GB (1024³ bytes, as the portal shows them).
/// </summary>
public sealed class PlanInput
{
    private const decimal BytesPerGb = 1024m * 1024 * 1024;
    private const decimal MaxGb = 1_000_000m;

    public string? Code { get; set; }

    public string? Name { get; set; }

    public string? Currency { get; set; } = "USD";

    public string? MonthlyFee { get; set; }

    public string? IncludedGpuHours { get; set; }

    public string? IncludedCpuHours { get; set; }

    public string? GpuOveragePerHour { get; set; }

    public string? CpuOveragePerHour { get; set; }

    public string? MaxConcurrentJobs { get; set; } = "2";

    public string? MaxDatasetGb { get; set; } = "1";

    public string? MaxStorageGb { get; set; } = "10";

    public string? CapMode { get; set; } = nameof(Domain.Billing.CapMode.Hard);

    public string? CheckpointRetentionDays { get; set; } = Plan.DefaultCheckpointRetentionDays.ToString(CultureInfo.InvariantCulture);

    public string? EventRetentionDays { get; set; } = Plan.DefaultEventRetentionDays.ToString(CultureInfo.InvariantCulture);

    /// <summary>Hours of device time one job may use across its runs; blank for no cap.</summary>
    public string? MaxJobRuntimeHours { get; set; }

    public string? StripePriceId { get; set; }

    public string? StripeGpuPriceId { get; set; }

    public string? StripeCpuPriceId { get; set; }

    public static PlanInput From(Plan plan) => new()
    {
        Code = plan.Code,
        Name = plan.Name,
        Currency = plan.Currency,
        MonthlyFee = FormNumbers.Show(plan.MonthlyFee, 2),
        IncludedGpuHours = FormNumbers.Show(plan.IncludedGpuHours),
        IncludedCpuHours = FormNumbers.Show(plan.IncludedCpuHours),
        GpuOveragePerHour = FormNumbers.Show(plan.GpuOveragePerHour, 2),
        CpuOveragePerHour = FormNumbers.Show(plan.CpuOveragePerHour, 2),
        MaxConcurrentJobs = plan.MaxConcurrentJobs.ToString(CultureInfo.InvariantCulture),
        MaxDatasetGb = FormNumbers.Show(Math.Round(plan.MaxDatasetBytes / BytesPerGb, 3)),
        MaxStorageGb = FormNumbers.Show(Math.Round(plan.MaxStorageBytes / BytesPerGb, 3)),
        CapMode = plan.CapMode.ToString(),
        CheckpointRetentionDays = plan.CheckpointRetentionDays.ToString(CultureInfo.InvariantCulture),
        EventRetentionDays = plan.EventRetentionDays.ToString(CultureInfo.InvariantCulture),
        MaxJobRuntimeHours = plan.MaxJobRuntimeSeconds is { } cap ? FormNumbers.Show(Math.Round(cap / 3600m, 4)) : null,
        StripePriceId = plan.StripePriceId,
        StripeGpuPriceId = plan.StripeGpuPriceId,
        StripeCpuPriceId = plan.StripeCpuPriceId,
    };

    /// <summary>The plan the fields describe, or the message for each field that is wrong (by this class's property names).</summary>
    public (Plan? Plan, IReadOnlyList<(string Field, string Message)> Errors) ToPlan(Guid id)
    {
        var errors = new List<(string Field, string Message)>();
        var fee = Amount(MonthlyFee, nameof(MonthlyFee), "the monthly fee", "49.00");
        var gpuHours = Amount(IncludedGpuHours, nameof(IncludedGpuHours), "the included GPU hours", "10");
        var cpuHours = Amount(IncludedCpuHours, nameof(IncludedCpuHours), "the included CPU hours", "20");
        var gpuPrice = Amount(GpuOveragePerHour, nameof(GpuOveragePerHour), "the GPU price per hour", "2.50");
        var cpuPrice = Amount(CpuOveragePerHour, nameof(CpuOveragePerHour), "the CPU price per hour", "0.10");
        int jobs = 0;
        if (!FormNumbers.TryInt(MaxConcurrentJobs, out jobs))
            errors.Add((nameof(MaxConcurrentJobs), "Enter the concurrent job limit as a whole number, e.g. 2."));
        var datasetBytes = Bytes(MaxDatasetGb, nameof(MaxDatasetGb), "dataset size limit");
        var storageBytes = Bytes(MaxStorageGb, nameof(MaxStorageGb), "storage limit");
        if (!Enum.TryParse<CapMode>(CapMode, ignoreCase: false, out var cap) || !Enum.IsDefined(cap))
            errors.Add((nameof(CapMode), "Choose a hard or a soft cap."));
        var checkpointDays = Days(CheckpointRetentionDays, nameof(CheckpointRetentionDays), "checkpoints are kept", Plan.DefaultCheckpointRetentionDays);
        var eventDays = Days(EventRetentionDays, nameof(EventRetentionDays), "job events are kept", Plan.DefaultEventRetentionDays);
        int? runtimeCap = null;
        if (!string.IsNullOrWhiteSpace(MaxJobRuntimeHours))
        {
            if (FormNumbers.TryDecimal(MaxJobRuntimeHours, out var hours) && hours > 0 && hours <= Plan.MaxRuntimeCapSeconds / 3600m)
                runtimeCap = Math.Max(1, (int)Math.Round(hours * 3600m));
            else
                errors.Add((nameof(MaxJobRuntimeHours), "Enter a job's runtime cap in hours, from 0.001 to 8,760 (e.g. 2), or leave it blank for none."));
        }

        var plan = new Plan(id, Code?.Trim() ?? "", Name?.Trim() ?? "", (Currency ?? "").Trim().ToUpperInvariant(), fee, gpuHours, cpuHours,
            gpuPrice, cpuPrice, jobs, datasetBytes, storageBytes, cap, Optional(StripePriceId), Optional(StripeGpuPriceId),
            Optional(StripeCpuPriceId), checkpointDays, eventDays, runtimeCap);
        // The plan's own rules, for the fields that were readable at all.
        foreach (var (field, message) in plan.FieldErrors())
        {
            var input = field switch
            {
                nameof(Plan.MaxDatasetBytes) => nameof(MaxDatasetGb),
                nameof(Plan.MaxStorageBytes) => nameof(MaxStorageGb),
                nameof(Plan.MaxJobRuntimeSeconds) => nameof(MaxJobRuntimeHours),
                _ => field,
            };
            if (errors.TrueForAll(e => e.Field != input))
                errors.Add((input, message));
        }
        return errors.Count == 0 ? (plan, errors) : (null, errors);

        decimal Amount(string? text, string field, string label, string example)
        {
            if (FormNumbers.TryDecimal(text, out var value))
                return value;
            errors.Add((field, string.IsNullOrWhiteSpace(text)
                ? $"Enter {label} (0 for none)."
                : $"Enter {label} as a number with a dot for decimals, e.g. {example}."));
            return 0;
        }

        // An unreadable value stands in as the default so the plan's own rules do not report the field twice.
        int Days(string? text, string field, string what, int fallback)
        {
            if (FormNumbers.TryInt(text, out var days))
                return days;
            errors.Add((field, $"Enter how many days {what} as a whole number, e.g. {fallback}."));
            return fallback;
        }

        long Bytes(string? text, string field, string noun)
        {
            if (!FormNumbers.TryDecimal(text, out var gb))
            {
                errors.Add((field, $"Enter the {noun} in GB as a number, e.g. 1.5."));
                return 0;
            }
            if (gb is < 0 or > MaxGb)
            {
                errors.Add((field, $"The {noun} is between 0 and {MaxGb.ToString("#,0", CultureInfo.InvariantCulture)} GB."));
                return 0;
            }
            return (long)Math.Round(gb * BytesPerGb);
        }
    }

    private static string? Optional(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();
}
