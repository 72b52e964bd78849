using System.Text;
using Platform.Billing.Finance;
using Platform.Billing.Invoices;
using Platform.Web.Accounts;

namespace Platform.Web.Billing;

/// <summary>The billing pages' downloads: finance's usage CSV and invoice PDFs, and a tenant owner's own invoice PDFs.</summary>
public static class BillingPortalEndpoints
{
    public static IEndpointRouteBuilder MapBillingPortal(this IEndpointRouteBuilder app)
    {
        var finance = app.MapGroup("/finance").RequireAuthorization(PortalPolicies.Finance).ExcludeFromDescription();
        finance.MapGet("/usage/export", ExportUsageAsync);
        finance.MapGet("/invoices/{id:guid}/pdf", FinancePdfAsync);
        var tenant = app.MapGroup("/billing").RequireAuthorization(PortalPolicies.TenantMember).ExcludeFromDescription();
        tenant.MapGet("/invoices/{id:guid}/pdf", TenantPdfAsync);
        return app;
    }

    /// <summary>
    /// GET /finance/usage/export?month=yyyy-MM[&amp;tenant=id]: the month's ledger rows as CSV (UsageCsv,
    /// formula-safe cells). UTF-8 with a byte order mark, so spreadsheets read organisation names right.
    /// </summary>
    private static async Task<IResult> ExportUsageAsync(string? month, string? tenant, FinanceUsageQueries usage, TimeProvider clock,
        CancellationToken cancellationToken)
    {
        var window = BillingMonth.From(clock.GetUtcNow());
        if (month is not null && !BillingMonth.TryParse(month, out window))
            return Results.Problem($"'{month}' is not a month; use YYYY-MM.", statusCode: StatusCodes.Status400BadRequest);
        Guid? tenantId = null;
        if (!string.IsNullOrEmpty(tenant))
        {
            if (!Guid.TryParse(tenant, out var parsed))
                return Results.Problem("The tenant is not a valid id.", statusCode: StatusCodes.Status400BadRequest);
            tenantId = parsed;
        }
        var name = tenantId is { } id ? $"usage-{window.Value}-{id:N}.csv" : $"usage-{window.Value}.csv";
        // Streamed as the ledger is read: a month of every tenant is never held in memory. The byte order
        // mark comes from the writer's encoding.
        return Results.Stream(async body =>
        {
            await using var writer = new StreamWriter(body, new UTF8Encoding(encoderShouldEmitUTF8Identifier: true), 64 * 1024);
            await UsageCsv.WriteAsync(writer, usage.ExportRowsAsync(window.Start, window.End, tenantId, cancellationToken),
                cancellationToken: cancellationToken);
        }, "text/csv; charset=utf-8", name);
    }

    private static async Task<IResult> FinancePdfAsync(Guid id, InvoiceQueries invoices, InvoicePdf pdf, ILoggerFactory logs,
        CancellationToken cancellationToken)
    {
        var found = await invoices.GetForFinanceAsync(id, cancellationToken);
        return found.IsSuccess ? Pdf(found.Value, pdf, $"/finance/invoices/{id}", logs) : Results.NotFound();
    }

    /// <summary>The current organisation's issued invoice only (InvoiceQueries.GetAsync): another tenant's id is 404. Owners only.</summary>
    private static async Task<IResult> TenantPdfAsync(Guid id, PortalSession session, InvoiceQueries invoices, InvoicePdf pdf,
        ILoggerFactory logs, CancellationToken cancellationToken)
    {
        if (!session.IsOwner)
            return Results.Forbid();
        var found = await invoices.GetAsync(id, cancellationToken);
        // Drafts are finance's work in progress, not yet the tenant's invoice.
        return found is { IsSuccess: true, Value.Status: not InvoiceStatus.Draft }
            ? Pdf(found.Value, pdf, $"/billing/invoices/{id}", logs)
            : Results.NotFound();
    }

    /// <summary>
    /// The PDF, or back to the invoice's page with the reason when there can be none: no PDFsharp license
    /// configured (docs/decisions/0013), or rendering failed (fonts missing, say). A link never ends in an error page.
    /// </summary>
    private static IResult Pdf(InvoiceView invoice, InvoicePdf pdf, string page, ILoggerFactory logs)
    {
        if (!pdf.Available)
            return Results.Redirect(page + "?pdf=unavailable");
        byte[] bytes;
        try
        {
            bytes = pdf.Render(invoice);
        }
        catch (Exception e) when (e is FileNotFoundException or InvalidOperationException or IOException)
        {
            logs.CreateLogger(typeof(BillingPortalEndpoints)).LogError(e, "Invoice {Number}: PDF rendering failed", invoice.Number);
            return Results.Redirect(page + "?pdf=failed");
        }
        return Results.File(bytes, "application/pdf", invoice.Number + ".pdf");
    }
}
