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
        if (invoice.Parties is { } parties)
        {
            // Seller on the left, buyer on the right, as issued.
            var top = y;
            graphics.DrawString("From", bold, XBrushes.Black, left, y);
            foreach (var line in parties.Seller)
                graphics.DrawString(Clip(line, 48), text, XBrushes.Black, left, y += lineHeight);
            var sellerBottom = y;
            y = top;
            graphics.DrawString("Billed to", bold, XBrushes.Black, 300, y);
            var buyer = new List<string> { parties.BuyerName };
            buyer.AddRange(parties.BuyerAddress);
            if (parties.BuyerTaxId is { } taxId)
                buyer.Add($"VAT/Tax id: {taxId}");
            foreach (var line in buyer)
                graphics.DrawString(Clip(line, 48), text, XBrushes.Black, 300, y += lineHeight);
            y = Math.Max(y, sellerBottom) + lineHeight + 6;
        }
        else
        {
            graphics.DrawString($"Billed to: {invoice.TenantName}", text, XBrushes.Black, left, y);
            y += lineHeight;
        }
        foreach (var line in new[]
                 {
                     $"Period: {invoice.PeriodStart:yyyy-MM-dd HH:mm} to {invoice.PeriodEnd:yyyy-MM-dd HH:mm} UTC",
                     $"Status: {invoice.Status.ToString().ToLowerInvariant()}   Issued: {(invoice.FinalizedAt ?? invoice.CreatedAt):yyyy-MM-dd}" +
                     (invoice.DueAt is { } due ? $"   Due: {due:yyyy-MM-dd} (net {invoice.PaymentTermsDays} days)" : ""),
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
        if (invoice.Tax is { } tax && (tax.Amount != 0 || tax.Treatment != "None" || tax.Reason.Length > 0))
        {
            Total("Subtotal (net)", tax.Subtotal, text);
            Total(tax.Treatment switch
            {
                "ReverseCharge" => "VAT 0 % (reverse charge)",
                "StripeTax" => "Sales tax (Stripe invoice)",
                "None" => "Tax",
                _ => Clip(tax.Reason, 30),
            }, tax.Amount, text);
        }
        Total("Total", invoice.Total, bold);
        foreach (var credit in invoice.CreditNotes)
            Total($"Credit note {credit.Number}", -credit.Amount, text);
        Total("Amount due", invoice.AmountDue, bold);
        if (invoice.Tax is { Reason.Length: > 0 } mention && mention.Treatment != "Standard")
        {
            // The legal mention (reverse charge, outside the scope of VAT), wrapped to the page's width.
            y += 6;
            foreach (var line in Wrap(mention.Reason, 95))
            {
                graphics.DrawString(line, text, XBrushes.Black, left, y);
                y += lineHeight;
            }
        }
        graphics.Dispose();

        using var output = new MemoryStream();
        document.Save(output, false);
        return output.ToArray();
    }

    private static string Amount(decimal amount, string currency) => new Money(amount, currency).ToString();

    private static string Clip(string text, int length) => text.Length > length ? text[..(length - 3)] + "..." : text;

    private static IEnumerable<string> Wrap(string text, int width)
    {
        var line = "";
        foreach (var word in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.Length > 0 && line.Length + 1 + word.Length > width)
            {
                yield return line;
                line = "";
            }
            line = line.Length == 0 ? word : line + " " + word;
        }
        if (line.Length > 0)
            yield return line;
    }
}
