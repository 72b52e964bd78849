using System.ComponentModel.DataAnnotations;

namespace Platform.Billing.Stripe;

/// <summary>
/// Section "Stripe". Without SecretKey the platform bills from its own ledger alone (no client calls);
/// without WebhookSecret every webhook is refused. Neither is ever logged or shown.
/// </summary>
public sealed class StripeOptions
{
    public const string SectionName = "Stripe";

    /// <summary>Stripe.net refuses a key with whitespace in it; checked at start, not at the first call (likewise the webhook secret).</summary>
    [RegularExpression(@"^\S+$", ErrorMessage = "Stripe:SecretKey must not contain whitespace.")]
    public string? SecretKey { get; set; }

    [RegularExpression(@"^\S+$", ErrorMessage = "Stripe:WebhookSecret must not contain whitespace.")]
    public string? WebhookSecret { get; set; }

    /// <summary>Stripe.net's ApiBase: Stripe's own by default, the local stand-in in tests.</summary>
    [Required, Url]
    public string BaseUrl { get; set; } = "https://api.stripe.com";

    /// <summary>Billing meter event names (one meter per device class, value = seconds).</summary>
    [Required, MaxLength(100)]
    public string GpuMeterEventName { get; set; } = "platform_gpu_seconds";

    [Required, MaxLength(100)]
    public string CpuMeterEventName { get; set; } = "platform_cpu_seconds";

    /// <summary>How far a webhook's signed timestamp may be from now (EventUtility.DefaultTimeTolerance is 300 s).</summary>
    [Range(1, 3600)]
    public int WebhookToleranceSeconds { get; set; } = 300;

    /// <summary>Stripe.net's MaxNetworkRetries: retries of a call under the same Idempotency-Key.</summary>
    [Range(0, 10)]
    public int MaxRetries { get; set; } = 3;

    public bool Enabled => !string.IsNullOrWhiteSpace(SecretKey);

    public override string ToString() => $"Stripe at {BaseUrl} (key {(Enabled ? "set" : "not set")})";
}
