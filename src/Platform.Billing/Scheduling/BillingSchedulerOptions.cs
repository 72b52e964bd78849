using System.ComponentModel.DataAnnotations;

namespace Platform.Billing.Scheduling;

/// <summary>Section "BillingScheduler": how often the billing steps run and how far back ingestion reads.</summary>
public sealed class BillingSchedulerOptions : IValidatableObject
{
    public const string SectionName = "BillingScheduler";

    /// <summary>
    /// False removes the billing recurring jobs from the schedule when a host that runs the background
    /// server starts (Hangfire's schedule is shared by every instance: set it alike everywhere). To keep
    /// one instance out of background work, set BackgroundJobs:Server to false on it instead.
    /// </summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// Time between runs of each step. Usage shows in the finance views and tenant quotas after at most
    /// this long. It becomes a cron schedule, so it must divide a minute (1-30 s), an hour (1-30 min)
    /// or a day (1-12 h), or be one day.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Each ingestion reads closed segments that ended within this window before now. A segment closes
    /// some time after its end when its worker died (at lease recovery), so the window must cover that;
    /// a period close ingests its whole period again anyway, so nothing invoiced depends on it.
    /// </summary>
    [Range(typeof(TimeSpan), "00:01:00", "40.00:00:00")]
    public TimeSpan IngestLookback { get; set; } = TimeSpan.FromDays(2);

    /// <summary>Ledger rows sent to Stripe per run at most (when Stripe keys are set).</summary>
    [Range(1, 100_000)]
    public int StripeBatchSize { get; set; } = 1000;

    /// <summary>The cron expression (Hangfire's, seconds field first when under a minute) for <see cref="Interval"/>; null when none fits.</summary>
    public static string? CronFor(TimeSpan interval)
    {
        if (interval <= TimeSpan.Zero || interval.Ticks % TimeSpan.TicksPerSecond != 0)
            return null;
        var seconds = (long)interval.TotalSeconds;
        return seconds switch
        {
            < 60 when 60 % seconds == 0 => $"*/{seconds} * * * * *",
            < 3600 when seconds % 60 == 0 && 60 % (seconds / 60) == 0 => $"*/{seconds / 60} * * * *",
            < 86400 when seconds % 3600 == 0 && 24 % (seconds / 3600) == 0 => $"0 */{seconds / 3600} * * *",
            86400 => "0 0 * * *",
            _ => null,
        };
    }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Interval > TimeSpan.Zero && CronFor(Interval) is null)
        {
            yield return new ValidationResult(
                $"The Interval {Interval} has no cron schedule: use one that divides a minute (1-30 s), an hour (1-30 min) or a day (1-12 h), or one day.",
                [nameof(Interval)]);
        }
    }
}
