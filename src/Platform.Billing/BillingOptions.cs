using System.ComponentModel.DataAnnotations;

namespace Platform.Billing;

/// <summary>Section "Billing".</summary>
public sealed class BillingOptions
{
    public const string SectionName = "Billing";

    /// <summary>Where the invoice PDF's TrueType fonts (DejaVuSans.ttf, DejaVuSans-Bold.ttf) are; Debian's fonts-dejavu-core path by default.</summary>
    [Required]
    public string FontDirectory { get; set; } = "/usr/share/fonts/truetype/dejavu";

    /// <summary>
    /// How long after a period ends the scheduler waits before closing it, so that segments still open at
    /// the end (closed when their job ends, or at lease recovery when their worker died) are in the
    /// invoice. At least the longest lease (Worker:Lease, at most 1 h) plus a recovery sweep
    /// (Worker:RecoverEvery, at most 10 min); usage later still is billed on the next invoice as late usage.
    /// </summary>
    [Range(typeof(TimeSpan), "01:15:00", "7.00:00:00")]
    public TimeSpan CloseGrace { get; set; } = TimeSpan.FromHours(6);

    /// <summary>
    /// The code of the plan a new organisation is put on at sign-up (migration 0095 creates "free"); empty: none.
    /// Set from <c>SignUp:PlanCode</c> (<see cref="Plans.SignUpPlanSetting"/>); <c>Billing:SignUpPlanCode</c> is its old name.
    /// </summary>
    [MaxLength(64)]
    public string SignUpPlanCode { get; set; } = Plans.SignUpPlanSetting.Default;

    /// <summary>Days from an invoice's issue to its due date (the invoice's payment terms, "net 30").</summary>
    [Range(0, 365)]
    public int PaymentTermsDays { get; set; } = 30;

    [Required, MaxLength(200)]
    public string SellerName { get; set; } = "Platform";

    /// <summary>
    /// PDFsharp 6.5 refuses to render without a license (docs/decisions/0013): a commercial license
    /// key (base64) from the vendor, or "AGPL" to accept the AGPL terms. Unset: invoice PDFs are
    /// unavailable (InvoicePdf.Available is false) and everything else works. Never logged.
    /// </summary>
    public string? PdfSharpLicense { get; set; }

    public override string ToString() => $"Billing (seller {SellerName}, PDF license {(string.IsNullOrEmpty(PdfSharpLicense) ? "not set" : "set")})";
}
