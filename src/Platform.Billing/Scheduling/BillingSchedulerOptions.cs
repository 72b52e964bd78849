using System.ComponentModel.DataAnnotations;

namespace Platform.Billing.Scheduling;

/// <summary>Section "BillingScheduler": how often the billing scheduler ticks and how far back it ingests.</summary>
public sealed class BillingSchedulerOptions
{
    public const string SectionName = "BillingScheduler";

    /// <summary>False keeps the service registered but idle (e.g. on web instances that should leave billing to others).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Time between ticks. Usage shows in the finance views and tenant quotas after at most this long.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Each tick ingests closed segments that ended within this window before now. A segment closes
    /// some time after its end when its worker died (at lease recovery), so the window must cover that;
    /// a period close ingests its whole period again anyway, so nothing invoiced depends on it.
    /// </summary>
    [Range(typeof(TimeSpan), "00:01:00", "40.00:00:00")]
    public TimeSpan IngestLookback { get; set; } = TimeSpan.FromDays(2);

    /// <summary>Ledger rows sent to Stripe per tick at most (when Stripe keys are set).</summary>
    [Range(1, 100_000)]
    public int StripeBatchSize { get; set; } = 1000;
}
