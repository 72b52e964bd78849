using System.Globalization;
using Microsoft.Extensions.Options;
using PdfSharp.Drawing;
using PdfSharp.Fonts;
using PdfSharp.Pdf;
using Platform.Domain.Billing;

namespace Platform.Billing.Invoices;

/// <summary>Renders an <see cref="InvoiceView"/> as a one-page-per-40-lines A4 PDF (PDFsharp).</summary>
public sealed class InvoicePdf
{
    private static readonly Lock FontLock = new();

    // The license, like the font resolver, is process-wide in PDFsharp.
    private static bool _licensed;
    private readonly BillingOptions _options;

    public InvoicePdf(IOptions<BillingOptions> options)
    {
        _options = options.Value;
        // PDFsharp's resolver is process-wide and can be set once; the first instance sets it.
        lock (FontLock)
        {
            GlobalFontSettings.FontResolver ??= new DejaVuFontResolver(_options.FontDirectory);
            if (!_licensed)
            {
                if (string.Equals(_options.PdfSharpLicense, "AGPL", StringComparison.OrdinalIgnoreCase))
                {
                    PdfSharp.PdfSharpLicense.SetAgplLicense();
                    _licensed = true;
                }
                else if (!string.IsNullOrWhiteSpace(_options.PdfSharpLicense))
                {
                    PdfSharp.PdfSharpLicense.LoadLicense(_options.PdfSharpLicense);
                    _licensed = true;
                }
            }
        }
    }

    /// <summary>
    /// Whether this configuration has a PDFsharp license (and it is loaded); without one <see cref="Render"/>
    /// throws and the portal offers no PDF. Per instance, not per process: PDFsharp's license is
    /// process-wide, but a host configured without one must not render on the strength of another's.
    /// </summary>
    public bool Available => _licensed && !string.IsNullOrWhiteSpace(_options.PdfSharpLicense);

    public byte[] Render(InvoiceView invoice)
    {
        if (!Available)
            throw new InvalidOperationException("Invoice PDFs need a PDFsharp license: set Billing:PdfSharpLicense (see docs/decisions/0013).");
        using var document = new PdfDocument();
        document.Info.Title = $"Invoice {invoice.Number}";
        document.Info.Author = _options.SellerName;
        var title = new XFont(DejaVuFontResolver.Family, 16, XFontStyleEx.Bold);
        var bold = new XFont(DejaVuFontResolver.Family, 9, XFontStyleEx.Bold);
        var text = new XFont(DejaVuFontResolver.Family, 9, XFontStyleEx.Regular);
        const double left = 50, right = 545, lineHeight = 14;

        var page = document.AddPage();
        page.Size = PdfSharp.PageSize.A4;
        var graphics = XGraphics.FromPdfPage(page);
        double y = 50;
        graphics.DrawString($"{_options.SellerName} invoice {invoice.Number}", title, XBrushes.Black, left, y);
        y += 28;
        foreach (var line in new[]
                 {
                     $"Billed to: {invoice.TenantName}",
                     $"Period: {invoice.PeriodStart:yyyy-MM-dd HH:mm} to {invoice.PeriodEnd:yyyy-MM-dd HH:mm} UTC",
                     $"Status: {invoice.Status.ToString().ToLowerInvariant()}   Issued: {(invoice.FinalizedAt ?? invoice.CreatedAt):yyyy-MM-dd}",
                 })
        {
            graphics.DrawString(line, text, XBrushes.Black, left, y);
            y += lineHeight;
        }
        y += 10;
        void Header()
        {
            graphics.DrawString("Description", bold, XBrushes.Black, left, y);
            graphics.DrawString("Hours", bold, XBrushes.Black, new XRect(330, y - 9, 60, 12), XStringFormats.TopRight);
            graphics.DrawString("Per hour", bold, XBrushes.Black, new XRect(400, y - 9, 60, 12), XStringFormats.TopRight);
            graphics.DrawString("Amount", bold, XBrushes.Black, new XRect(465, y - 9, 80, 12), XStringFormats.TopRight);
            y += 4;
            graphics.DrawLine(XPens.Gray, left, y, right, y);
            y += lineHeight;
        }
        Header();
        foreach (var line in invoice.Lines)
        {
            if (y > 780)
            {
                graphics.Dispose();
                page = document.AddPage();
                page.Size = PdfSharp.PageSize.A4;
                graphics = XGraphics.FromPdfPage(page);
                y = 50;
                Header();
            }
            var description = line.Description.Length > 60 ? line.Description[..57] + "..." : line.Description;
            graphics.DrawString(description, text, XBrushes.Black, left, y);
            if (line.Kind != "Fee")
            {
                graphics.DrawString(line.Hours.ToString("0.####", CultureInfo.InvariantCulture), text, XBrushes.Black,
                    new XRect(330, y - 9, 60, 12), XStringFormats.TopRight);
                graphics.DrawString(line.UnitPrice.ToString("0.00####", CultureInfo.InvariantCulture), text, XBrushes.Black,
                    new XRect(400, y - 9, 60, 12), XStringFormats.TopRight);
            }
            graphics.DrawString(Amount(line.Amount, invoice.Currency), text, XBrushes.Black, new XRect(465, y - 9, 80, 12),
                XStringFormats.TopRight);
            y += lineHeight;
        }
        graphics.DrawLine(XPens.Gray, left, y - 8, right, y - 8);
        y += 4;
        void Total(string label, decimal amount, XFont font)
        {
            graphics.DrawString(label, font, XBrushes.Black, new XRect(300, y - 9, 160, 12), XStringFormats.TopRight);
            graphics.DrawString(Amount(amount, invoice.Currency), font, XBrushes.Black, new XRect(465, y - 9, 80, 12), XStringFormats.TopRight);
            y += lineHeight;
        }
        Total("Total", invoice.Total, bold);
        foreach (var credit in invoice.CreditNotes)
            Total($"Credit note {credit.Number}", -credit.Amount, text);
        Total("Amount due", invoice.AmountDue, bold);
        graphics.Dispose();

        using var output = new MemoryStream();
        document.Save(output, false);
        return output.ToArray();
    }

    private static string Amount(decimal amount, string currency) => new Money(amount, currency).ToString();
}
