using System.ComponentModel.DataAnnotations;

namespace Platform.Billing;

/// <summary>Section "Billing".</summary>
public sealed class BillingOptions
{
    public const string SectionName = "Billing";

    /// <summary>Where the invoice PDF's TrueType fonts (DejaVuSans.ttf, DejaVuSans-Bold.ttf) are; Debian's fonts-dejavu-core path by default.</summary>
    [Required]
    public string FontDirectory { get; set; } = "/usr/share/fonts/truetype/dejavu";

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
