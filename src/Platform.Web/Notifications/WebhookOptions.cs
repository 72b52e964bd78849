using System.ComponentModel.DataAnnotations;

namespace Platform.Web.Notifications;

/// <summary>Section "Webhooks": how the background sender delivers job events to tenants' endpoints.</summary>
public sealed class WebhookOptions
{
    public const string Section = "Webhooks";

    /// <summary>Runs the sender in this web host (one or more hosts may: deliveries are claimed with SKIP LOCKED).</summary>
    public bool Sender { get; set; } = true;

    /// <summary>How often the sender looks for due deliveries.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The wait after the first failed attempt; it doubles with each further one, up to <see cref="MaxDelay"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan FirstRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Attempts before a delivery is given up (it stays in the log with its last answer).</summary>
    [Range(1, 50)]
    public int MaxAttempts { get; set; } = 8;

    /// <summary>How long one attempt may take before it counts as failed.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:01:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Lets webhooks point at loopback and private addresses, for a receiver on a developer's machine or in
    /// tests. Off in production: the portal would POST into its own network for a tenant (decision 0050).
    /// </summary>
    public bool AllowPrivateTargets { get; set; }
}
