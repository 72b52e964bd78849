using Microsoft.Extensions.DependencyInjection;
using PdfSharp.Pdf.IO;
using Platform.Billing.Invoices;

namespace Platform.Billing.Tests.Invoices;

public sealed class InvoicePdfTests
{
    [Fact]
    public void Render_InvoiceWithLinesAndCredit_IsAReadablePdf()
    {
        // Tests accept the AGPL terms; production chooses in configuration (docs/decisions/0013).
        var services = new ServiceCollection().AddOptions().Configure<BillingOptions>(o => o.PdfSharpLicense = "AGPL").BuildServiceProvider();
        var pdf = ActivatorUtilities.CreateInstance<InvoicePdf>(services);
        var lines = Enumerable.Range(1, 70).Select(i => new InvoiceLineView(i, i == 1 ? "Fee" : "Overage", $"Line {i} =SUM(A1)", "cuda",
            3600 * i, i, 2.5m, 2.5m * i)).ToList();
        var view = new InvoiceView(Guid.NewGuid(), "INV-202606-000001", Guid.NewGuid(), "Acme, Inc.", new(2026, 6, 1, 0, 0, 0, TimeSpan.Zero),
            new(2026, 7, 1, 0, 0, 0, TimeSpan.Zero), InvoiceStatus.Open, "USD", lines, lines.Sum(l => l.Amount),
            [new CreditNoteView(Guid.NewGuid(), "CN-000002", 5m, "outage", DateTimeOffset.UtcNow)], 5m, lines.Sum(l => l.Amount) - 5m,
            3600, 0, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow, null, null, null);

        var bytes = pdf.Render(view);

        Assert.Equal("%PDF-"u8.ToArray(), bytes[..5]);
        using var document = PdfReader.Open(new MemoryStream(bytes), PdfDocumentOpenMode.Import);
        Assert.Equal(2, document.PageCount);
        Assert.Equal("Invoice INV-202606-000001", document.Info.Title);
    }

    [Fact]
    public void Render_TaxInvoiceWithPartiesAndReverseCharge_FitsOnePage()
    {
        var services = new ServiceCollection().AddOptions().Configure<BillingOptions>(o => o.PdfSharpLicense = "AGPL").BuildServiceProvider();
        var pdf = ActivatorUtilities.CreateInstance<InvoicePdf>(services);
        var lines = new List<InvoiceLineView> { new(1, "Fee", "Starter plan", null, 0, 0, 0, 100m), new(2, "Overage", "GPU overage", "cuda", 4590, 1.275m, 2.5m, 3.19m) };
        var view = new InvoiceView(Guid.NewGuid(), "INV-2026-000001", Guid.NewGuid(), "Acme", new(2026, 6, 1, 0, 0, 0, TimeSpan.Zero),
            new(2026, 7, 1, 0, 0, 0, TimeSpan.Zero), InvoiceStatus.Open, "EUR", lines, 103.19m, [], 0m, 103.19m, 4590, 0, DateTimeOffset.UtcNow,
            DateTimeOffset.UtcNow, null, null, null,
            new InvoiceParties(["Platform Training GmbH", "Torstraße 1", "10119 Berlin", "DE", "VAT/Tax id: DE136695976"], "Acme Labs SAS",
                ["12 rue de la Paix", "75002 Paris", "FR"], "FR", "FR40303265045"),
            new InvoiceTax("ReverseCharge", 0m, "FR", Platform.Domain.Billing.Tax.TaxRule.ReverseChargeMention, 103.19m, 0m),
            DateTimeOffset.UtcNow.AddDays(30));

        var bytes = pdf.Render(view);

        using var document = PdfReader.Open(new MemoryStream(bytes), PdfDocumentOpenMode.Import);
        Assert.Equal(1, document.PageCount);
        Assert.True(bytes.Length > 1000);
    }
}
