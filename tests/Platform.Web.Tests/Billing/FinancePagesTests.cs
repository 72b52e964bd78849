using System.Net;
using System.Text;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using PdfSharp.Pdf.IO;
using Platform.Billing.Invoices;
using Platform.Web.Components.Pages.Billing;
using Platform.Web.Tests.Infrastructure;
using Platform.Web.Tests.Jobs;

namespace Platform.Web.Tests.Billing;

public sealed class FinancePagesTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    private static string Month => DateTimeOffset.UtcNow.ToString("yyyy-MM", System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public async Task Usage_FinishedJobIngested_ShowsTenantHoursAndItsJob()
    {
        var owner = await JobTestKit.OwnerAsync(portal);
        var jobId = await BillingKit.FinishedJobAsync(portal, owner.TenantId, name: "nightly fine-tune");
        using var finance = await BillingKit.FinanceClientAsync(portal);

        var before = await finance.GetAsync($"/finance?month={Month}");
        await BillingKit.TickAsync(portal);
        var after = await finance.GetAsync($"/finance?month={Month}");
        var drill = await finance.GetAsync($"/finance/usage/{owner.TenantId}?month={Month}");

        Assert.Equal("Usage", after.Text("h1"));
        Assert.Null(before.Document.QuerySelector($"#usage-table a[data-tenant='{owner.TenantId}']"));
        var row = after.Document.QuerySelector($"#usage-table a[data-tenant='{owner.TenantId}']")?.Closest("tr");
        Assert.NotNull(row);
        Assert.NotNull(row.QuerySelector(".usage-charge"));
        Assert.True(long.Parse(row.QuerySelector("[data-gpu-seconds]")!.GetAttribute("data-gpu-seconds")!) >= 1);
        Assert.Equal("0", row.QuerySelector("[data-cpu-seconds]")!.GetAttribute("data-cpu-seconds"));
        var job = drill.Document.QuerySelector($"#job-usage-table [data-job='{jobId}']");
        Assert.NotNull(job);
        Assert.Contains("nightly fine-tune", job.TextContent);
        Assert.Equal("cuda", job.GetAttribute("data-device"));
    }

    [Fact]
    public async Task Usage_TenantOnAPlan_ShowsBillableHoursAndTheChargeTheInvoiceMakes()
    {
        var owner = await JobTestKit.OwnerAsync(portal);
        // An hour of GPU included, $3 an hour beyond: a run of 1 h 30 min is half an hour over.
        await BillingKit.AssignPlanAsync(portal, owner.TenantId, BillingKit.Starter() with { IncludedGpuHours = 1m, GpuOveragePerHour = 3m });
        await BillingKit.FinishedJobAsync(portal, owner.TenantId, seconds: 5400);
        await BillingKit.TickAsync(portal);
        using var finance = await BillingKit.FinanceClientAsync(portal);

        var page = await finance.GetAsync($"/finance?month={Month}");
        var invoice = await BillingKit.CloseCurrentPeriodAsync(portal, owner.TenantId);
        var lines = await portal.WithServicesAsync(sp => sp.GetRequiredService<InvoiceQueries>().GetForFinanceAsync(invoice.InvoiceId));

        var row = page.Document.QuerySelector($"#usage-table a[data-tenant='{owner.TenantId}']")!.Closest("tr")!;
        var overage = lines.Value.Lines.Where(l => l.DeviceKind is not null).Sum(l => l.Amount);
        Assert.Equal(1.50m, overage);
        Assert.Equal(BillingFormat.Money(overage, "USD"), row.QuerySelector(".usage-charge")!.TextContent.Trim());
        Assert.Equal(lines.Value.Lines.Where(l => l.Kind == "Overage").Sum(l => l.Seconds).ToString(System.Globalization.CultureInfo.InvariantCulture),
            row.QuerySelector("[data-billable-seconds]")!.GetAttribute("data-billable-seconds"));
        Assert.Contains("Usage charge", page.Text("#usage-table thead"));
    }

    [Fact]
    public async Task TenantUsage_TenantOnAPlan_EachJobShowsWhatItAddsToTheInvoiceAndTheCardTheTotal()
    {
        var owner = await JobTestKit.OwnerAsync(portal);
        // An hour of GPU included, $3 an hour beyond: the first job's hour (3599 s run, 3600 s billed) is all included,
        // the second's half hour is over.
        await BillingKit.AssignPlanAsync(portal, owner.TenantId, BillingKit.Starter() with { IncludedGpuHours = 1m, GpuOveragePerHour = 3m });
        var first = await BillingKit.FinishedJobAsync(portal, owner.TenantId, name: "first", seconds: 3599);
        var second = await BillingKit.FinishedJobAsync(portal, owner.TenantId, name: "second", seconds: 1800);
        await BillingKit.TickAsync(portal);
        using var finance = await BillingKit.FinanceClientAsync(portal);

        var page = await finance.GetAsync($"/finance/usage/{owner.TenantId}?month={Month}");
        var invoice = await BillingKit.CloseCurrentPeriodAsync(portal, owner.TenantId);
        var lines = await portal.WithServicesAsync(sp => sp.GetRequiredService<InvoiceQueries>().GetForFinanceAsync(invoice.InvoiceId));

        string Cell(Guid job, string cell) =>
            page.Document.QuerySelector($"#job-usage-table [data-job='{job}']")!.Closest("tr")!.QuerySelector(cell)!.TextContent.Trim();
        var overage = lines.Value.Lines.Where(l => l.DeviceKind is not null).Sum(l => l.Amount);
        Assert.Equal(1.50m, overage);
        Assert.Equal(BillingFormat.Money(0m, "USD"), Cell(first, ".job-charge"));
        Assert.Equal(BillingFormat.Money(overage, "USD"), Cell(second, ".job-charge"));
        Assert.Equal("0", page.Document.QuerySelector($"#job-usage-table [data-job='{first}']")!.Closest("tr")!
            .QuerySelector("[data-billable-seconds]")!.GetAttribute("data-billable-seconds"));
        Assert.Contains("Usage charge", page.Text("#job-usage-table thead"));
        Assert.Contains(BillingFormat.Money(overage, "USD"), page.Text("#stat-charge"));
    }

    [Fact]
    public async Task TenantUsage_MoreJobsThanAPage_PagesWithEarlierLinkAndTotalsCoverTheMonth()
    {
        var owner = await JobTestKit.OwnerAsync(portal);
        var month = DateTimeOffset.UtcNow.ToString("yyyy-MM", System.Globalization.CultureInfo.InvariantCulture);
        // 55 metered jobs (no job rows: their names read "(deleted job)"), a minute apart, 60 s each.
        await JobTestKit.ExecuteAsync(portal, $$"""
            INSERT INTO usage_ledger (idempotency_key, tenant_id, job_id, attempt, segment, worker_id, device_kind, started_at, ended_at, seconds)
            SELECT replace(j::text, '-', '') || ':1:1', '{{owner.TenantId}}', j, 1, 1, gen_random_uuid(), 'cuda',
                   date_trunc('month', now()) + make_interval(mins => n), date_trunc('month', now()) + make_interval(mins => n, secs => 60), 60
            FROM (SELECT n, gen_random_uuid() AS j FROM generate_series(1, 55) n) s
            """);
        using var finance = await BillingKit.FinanceClientAsync(portal);

        var first = await finance.GetAsync($"/finance/usage/{owner.TenantId}?month={month}");
        var next = first.Document.QuerySelector("#next-page")!.GetAttribute("href")!;
        var second = await finance.GetAsync(next);

        Assert.Equal(50, first.Document.QuerySelectorAll("#job-usage-table tbody tr").Length);
        Assert.Null(first.Document.QuerySelector("#first-page"));
        Assert.Equal(5, second.Document.QuerySelectorAll("#job-usage-table tbody tr").Length);
        Assert.Null(second.Document.QuerySelector("#next-page"));
        Assert.NotNull(second.Document.QuerySelector("#first-page"));
        var jobs = first.Document.QuerySelectorAll("#job-usage-table tbody tr").Concat(second.Document.QuerySelectorAll("#job-usage-table tbody tr"))
            .Select(r => r.QuerySelector("[data-job]")!.GetAttribute("data-job")).ToList();
        Assert.Equal(55, jobs.Distinct().Count());
        var jobsCard = first.Document.QuerySelectorAll(".stat-card").First(c => c.QuerySelector(".small")!.TextContent == "Jobs");
        Assert.Equal("55", jobsCard.QuerySelector(".stat-value")!.TextContent);
    }

    [Fact]
    public async Task UsageExport_TenantNamedLikeAFormula_CsvNeutralisesItAndHasTheRow()
    {
        var owner = await portal.CreateUserAsync();
        var tenant = await portal.CreateTenantAsync(owner, "=HYPERLINK(\"http://x\")");
        var jobId = await BillingKit.FinishedJobAsync(portal, tenant.Id, name: "@SUM(A1)");
        await BillingKit.TickAsync(portal);
        using var finance = await BillingKit.FinanceClientAsync(portal);

        using var response = await finance.Http.GetAsync($"/finance/usage/export?month={Month}&tenant={tenant.Id}");
        var bytes = await response.Content.ReadAsByteArrayAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal($"usage-{Month}-{tenant.Id:N}.csv", response.Content.Headers.ContentDisposition!.FileName);
        Assert.Equal(Encoding.UTF8.GetPreamble(), bytes[..3]);
        var lines = Encoding.UTF8.GetString(bytes[3..]).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("key,tenant_id,tenant,job_id,job,attempt,segment,device,started_at_utc,ended_at_utc,seconds,hours,billable_hours,charge,currency",
            lines[0]);
        var row = Assert.Single(lines[1..]);
        // The sign-up plan's included hours cover a second of GPU time: nothing billable, no charge.
        Assert.EndsWith(",0,0.00,USD", row);
        Assert.StartsWith($"{jobId:N}:1:1,{tenant.Id},\"'=HYPERLINK(\"\"http://x\"\")\",{jobId},'@SUM(A1),1,1,cuda,", row);
    }

    [Theory]
    [InlineData("month=2026-13")]
    [InlineData("month=june")]
    [InlineData("tenant=nope")]
    public async Task UsageExport_BadQuery_IsBadRequestWithReason(string query)
    {
        using var finance = await BillingKit.FinanceClientAsync(portal);

        using var response = await finance.Http.GetAsync($"/finance/usage/export?{query}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(query.StartsWith("month", StringComparison.Ordinal) ? "is not a month" : "not a valid id",
            await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Invoices_FilteredByStatusAndTenant_ListOnlyMatches()
    {
        var paid = await BillingKit.InvoicedTenantAsync(portal, (await JobTestKit.OwnerAsync(portal)).TenantId);
        var open = await BillingKit.InvoicedTenantAsync(portal, (await JobTestKit.OwnerAsync(portal)).TenantId);
        using var finance = await BillingKit.FinanceClientAsync(portal);
        var detail = await finance.GetAsync($"/finance/invoices/{paid.Invoice.InvoiceId}");
        await finance.SubmitAsync(detail, "#status-form", new Dictionary<string, string> { ["Target"] = "paid" });

        var paidList = await finance.GetAsync("/finance/invoices?status=paid");
        var openOfTenant = await finance.GetAsync($"/finance/invoices?status=open&tenant={open.TenantId}");
        var paidOfOpenTenant = await finance.GetAsync($"/finance/invoices?status=paid&tenant={open.TenantId}");
        var badFilter = await finance.GetAsync("/finance/invoices?status=lost");

        Assert.NotNull(paidList.Document.QuerySelector($"#invoice-table a[data-invoice='{paid.Invoice.InvoiceId}']"));
        Assert.Null(paidList.Document.QuerySelector($"#invoice-table a[data-invoice='{open.Invoice.InvoiceId}']"));
        Assert.Equal([open.Invoice.InvoiceId.ToString()],
            openOfTenant.Document.QuerySelectorAll("#invoice-table a[data-invoice]").Select(r => r.GetAttribute("data-invoice")));
        Assert.Equal("No invoice matches these filters.", paidOfOpenTenant.Text("#invoice-grid-empty"));
        Assert.Contains("“lost” is not an invoice status", badFilter.Text("#filter-error"));
    }

    [Fact]
    public async Task InvoiceDetail_MarkPaidCreditThenVoidFromStalePage_ShowsHistoryAndRefusesVoid()
    {
        var invoiced = await BillingKit.InvoicedTenantAsync(portal, (await JobTestKit.OwnerAsync(portal)).TenantId);
        using var finance = await BillingKit.FinanceClientAsync(portal);
        var url = $"/finance/invoices/{invoiced.Invoice.InvoiceId}";
        var stale = await finance.GetAsync(url);

        var page = await finance.GetAsync(url);
        Assert.Equal($"Invoice {invoiced.Invoice.Number}", page.Text("h1"));
        Assert.Equal("100.00 USD", page.Text("#invoice-total"));
        Assert.Equal("open", page.Document.QuerySelector(".invoice-status")!.GetAttribute("data-status"));
        Assert.NotNull(page.Document.QuerySelector("#invoice-lines tr[data-kind=IncludedUsage][data-device=cuda]"));

        var paid = await finance.SubmitAsync(page, "#status-form", new Dictionary<string, string> { ["Target"] = "paid" });
        Assert.Equal(HttpStatusCode.OK, paid.Status);
        Assert.Equal("The invoice is marked paid.", paid.Text("#invoice-message"));
        Assert.Equal("paid", paid.Document.QuerySelector(".invoice-status")!.GetAttribute("data-status"));

        var credited = await finance.SubmitAsync(paid, "#credit-form",
            new Dictionary<string, string> { ["CreditAmount"] = "12.50", ["CreditReason"] = "Outage on 3 June" });
        Assert.Equal("Credit note for 12.50 USD issued.", credited.Text("#invoice-message"));
        Assert.Contains("Outage on 3 June", credited.Text("#invoice-lines tr.credit-note"));
        // Ordered by time; here the period was closed with a clock a month ahead, so only the set is certain.
        Assert.Equal(["created", "credit", "open", "paid"],
            credited.Document.QuerySelectorAll("#invoice-history li").Select(li => li.GetAttribute("data-event")).Order());

        // The stale page still offers Void; the server refuses with the reason.
        var voided = await finance.SubmitAsync(stale, "#status-form", new Dictionary<string, string> { ["Target"] = "void" });
        Assert.Equal(HttpStatusCode.OK, voided.Status);
        Assert.Equal("A paid invoice cannot become void. Issue a credit note to correct it.", voided.Text("#invoice-message"));
        Assert.Contains("alert-danger", voided.Document.QuerySelector("#invoice-message")!.ClassName);
        Assert.Equal("paid", await portal.Database.ScalarAsync<string>($"SELECT status FROM invoices WHERE id = '{invoiced.Invoice.InvoiceId}'"));
    }

    [Theory]
    [InlineData("abc", "Write the amount as a positive number such as 12.50")]
    [InlineData("1,5", "Write the amount as a positive number such as 12.50")]
    [InlineData("0", "A credit note's amount must be positive.")]
    [InlineData("1.005", "The amount has more decimals than USD allows.")]
    [InlineData("100.01", "At most 100.00 USD can still be credited on this invoice.")]
    public async Task CreditNote_BadAmount_ExplainsAndIssuesNothing(string amount, string error)
    {
        var invoiced = await BillingKit.InvoicedTenantAsync(portal, (await JobTestKit.OwnerAsync(portal)).TenantId);
        using var finance = await BillingKit.FinanceClientAsync(portal);
        var page = await finance.GetAsync($"/finance/invoices/{invoiced.Invoice.InvoiceId}");

        var result = await finance.SubmitAsync(page, "#credit-form",
            new Dictionary<string, string> { ["CreditAmount"] = amount, ["CreditReason"] = "goodwill" });

        Assert.StartsWith(error, result.Text("#invoice-message"));
        Assert.Equal(0L, await portal.Database.ScalarAsync<long>(
            $"SELECT count(*) FROM credit_notes WHERE invoice_id = '{invoiced.Invoice.InvoiceId}'"));
    }

    [Fact]
    public async Task DraftInvoice_Finalize_IssuesIt()
    {
        var invoiced = await BillingKit.InvoicedTenantAsync(portal, (await JobTestKit.OwnerAsync(portal)).TenantId, finalize: false);
        using var finance = await BillingKit.FinanceClientAsync(portal);
        var page = await finance.GetAsync($"/finance/invoices/{invoiced.Invoice.InvoiceId}");
        Assert.True(page.Has("#credit-form fieldset[disabled]"));

        var issued = await finance.SubmitAsync(page, "#status-form", new Dictionary<string, string> { ["Target"] = "open" });

        Assert.Equal("The invoice is issued (open).", issued.Text("#invoice-message"));
        Assert.Equal("open", issued.Document.QuerySelector(".invoice-status")!.GetAttribute("data-status"));
        Assert.False(issued.Has("#credit-form fieldset[disabled]"));
    }

    [Fact]
    public async Task InvoicePdf_Licensed_IsAPdfOfTheInvoice()
    {
        var invoiced = await BillingKit.InvoicedTenantAsync(portal, (await JobTestKit.OwnerAsync(portal)).TenantId);
        using var finance = await BillingKit.FinanceClientAsync(portal);

        using var response = await finance.Http.GetAsync($"/finance/invoices/{invoiced.Invoice.InvoiceId}/pdf");
        var bytes = await response.Content.ReadAsByteArrayAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/pdf", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal(invoiced.Invoice.Number + ".pdf", response.Content.Headers.ContentDisposition!.FileName);
        using var document = PdfReader.Open(new MemoryStream(bytes), PdfDocumentOpenMode.Import);
        Assert.Equal(1, document.PageCount);
        Assert.Equal($"Invoice {invoiced.Invoice.Number}", document.Info.Title);
    }

    [Fact]
    public async Task InvoicePdf_NoLicenseConfigured_PageExplainsAndLinkComesBack()
    {
        var invoiced = await BillingKit.InvoicedTenantAsync(portal, (await JobTestKit.OwnerAsync(portal)).TenantId);
        await using var unlicensed = portal.WithWebHostBuilder(b => b.UseSetting("Billing:PdfSharpLicense", ""));
        using var finance = new PortalClient(unlicensed.CreateClient(
            new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false }));
        var user = await portal.CreateUserAsync(null, Platform.Data.Identity.PlatformRoles.Finance);
        await finance.SignInAsync(user.Email!);

        var page = await finance.GetAsync($"/finance/invoices/{invoiced.Invoice.InvoiceId}");
        var pdf = await finance.GetAsync($"/finance/invoices/{invoiced.Invoice.InvoiceId}/pdf");

        Assert.False(page.Has("#download-pdf"));
        Assert.Contains("Billing:PdfSharpLicense", page.Text("#pdf-unavailable"));
        Assert.Equal(HttpStatusCode.Redirect, pdf.Status);
        Assert.Equal($"/finance/invoices/{invoiced.Invoice.InvoiceId}?pdf=unavailable", pdf.Location);
    }

    [Fact]
    public async Task InvoiceDetail_UnknownId_IsNotFound()
    {
        using var finance = await BillingKit.FinanceClientAsync(portal);

        var page = await finance.GetAsync($"/finance/invoices/{Guid.NewGuid()}");
        var pdf = await finance.GetAsync($"/finance/invoices/{Guid.NewGuid()}/pdf");

        Assert.Equal(HttpStatusCode.NotFound, page.Status);
        Assert.Equal("Page not found", page.Text("h1"));
        Assert.Equal(HttpStatusCode.NotFound, pdf.Status);
    }

    [Fact]
    public async Task Reconciliation_SegmentNotYetIngested_ShowsItAwaitingThenBalanced()
    {
        var owner = await JobTestKit.OwnerAsync(portal);
        await BillingKit.FinishedJobAsync(portal, owner.TenantId, device: "cpu");
        using var finance = await BillingKit.FinanceClientAsync(portal);

        var before = await finance.GetAsync($"/finance/reconciliation?month={Month}");
        await BillingKit.TickAsync(portal);
        var after = await finance.GetAsync($"/finance/reconciliation?month={Month}");

        var row = before.Document.QuerySelector($"#reconciliation-table tr[data-tenant='{owner.TenantId}'][data-device=cpu]")!;
        Assert.Equal("false", row.GetAttribute("data-balanced"));
        Assert.Contains("1 awaiting ingestion", row.TextContent);
        Assert.Equal("true", after.Document.QuerySelector($"#reconciliation-table tr[data-tenant='{owner.TenantId}']")!.GetAttribute("data-balanced"));
    }

    [Fact]
    public async Task Reconciliation_DeviceTimeBeyondSegmentsAndUnreportedSegments_AreShown()
    {
        var owner = await JobTestKit.OwnerAsync(portal);
        var reported = await BillingKit.FinishedJobAsync(portal, owner.TenantId, device: "cpu");
        var unreported = await BillingKit.FinishedJobAsync(portal, owner.TenantId, device: "cpu");
        using var finance = await BillingKit.FinanceClientAsync(portal);
        var row = $"#reconciliation-table tr[data-tenant='{owner.TenantId}'][data-device=cpu]";

        var exact = await finance.GetAsync($"/finance/reconciliation?month={Month}");
        // What a segment capped at its lease's expiry while the device trained on would hold, and one
        // whose worker never reported (ended by the recovery at its last renewal).
        await JobTestKit.ExecuteAsync(portal, $"""
            UPDATE usage_segments SET device_seconds = extract(epoch FROM ended_at - started_at) + 7.5 WHERE job_id = '{reported}';
            UPDATE usage_segments SET end_source = 'renewal', device_seconds = NULL WHERE job_id = '{unreported}';
            """);
        var short_ = await finance.GetAsync($"/finance/reconciliation?month={Month}");

        Assert.Equal("0.0 s", exact.Document.QuerySelector($"{row} .unbilled")!.TextContent.Trim());
        Assert.False(exact.Has($"{row} .renewal-ended"));
        Assert.StartsWith("7.5 s", short_.Document.QuerySelector($"{row} .unbilled")!.TextContent.Trim());
        Assert.Equal("1 ended at last renewal", short_.Text($"{row} .renewal-ended"));
    }

    [Theory]
    [InlineData("/finance/invoices")]
    [InlineData("/finance/reconciliation")]
    [InlineData("/finance/usage/export")]
    public async Task FinancePages_TenantOwner_AreDenied(string url)
    {
        var owner = await JobTestKit.OwnerAsync(portal);

        var page = await owner.Client.GetAsync(url);

        Assert.Equal(HttpStatusCode.Redirect, page.Status);
        Assert.StartsWith("http://localhost/account/access-denied", page.Location);
    }
}
