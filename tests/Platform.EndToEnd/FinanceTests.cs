using System.Diagnostics;
using System.Text;
using Microsoft.Playwright;
using Npgsql;
using PdfSharp.Pdf.IO;
using Platform.Billing.Invoices;
using Platform.Billing.Plans;
using Platform.Domain.Billing;
using Platform.Domain.Usage;
using Platform.Jobs.Queue;
using Platform.Testing;

namespace Platform.EndToEnd;

/// <summary>
/// Billing seen by finance in a real browser, against the real portal process with its billing
/// scheduler ticking every second: the demo organisation is put on a plan, one of its jobs runs and
/// finishes on the job queue, the scheduler copies its usage into the ledger, finance sees it, exports
/// the CSV, and, once the period is closed, opens the invoice, downloads its PDF and marks it paid.
/// The owner then sees the invoice on the Billing page. Screenshots land in bin/.../screenshots.
/// </summary>
public sealed class FinanceTests : PortalBrowserTest
{
    protected override IReadOnlyDictionary<string, string> PortalEnvironment => new Dictionary<string, string>
    {
        // No worker in the portal: this test's job runs on the queue from the test itself.
        ["Worker__InProcess"] = "false",
        ["BillingScheduler__Interval"] = "00:00:01",
        // The test accepts the PDF library's AGPL terms for this process (docs/decisions/0013).
        ["Billing__PdfSharpLicense"] = "AGPL",
    };

    protected override IReadOnlyList<string> PortalArguments => ["--seed-demo"];

    [Fact]
    public async Task Finance_FinishedJob_SeesUsageExportsCsvOpensInvoiceAndDownloadsPdf()
    {
        var clock = Stopwatch.StartNew();
        var data = Database.DataSource;
        var tenantId = await ScalarAsync<Guid>("SELECT id FROM tenants WHERE name = 'Demo Startup'");
        // The demo seed put the organisation on Starter; tiny included hours make a few seconds of use
        // show on the owner's meters.
        var starter = (await new PlanQueries(data).ListAsync()).Single(p => p.Code == "starter");
        var plan = starter with { MonthlyFee = 49m, IncludedGpuHours = 0.001m, IncludedCpuHours = 1m };
        Assert.True((await new SavePlanCommand(data, new Platform.Data.Audit.AuditTrail(new Platform.Data.CurrentTenant())).ExecuteAsync(plan)).IsSuccess);
        // Two other organisations use the platform too; finance must pick the right one out.
        var (acme, _) = await Seed.TenantAsync(Database, "Acme Vision");
        var (globex, _) = await Seed.TenantAsync(Database, "Globex NLP");
        var running = new[]
        {
            await StartJobAsync(tenantId, "finance-e2e-job", "cuda"),
            await StartJobAsync(acme.Id, "resnet-sweep", "cpu"),
            await StartJobAsync(globex.Id, "support-tickets-bert", "cuda"),
        };
        // Each job held its worker a little over two seconds: usage is billed in whole seconds.
        foreach (var job in running)
            await TestUsage.BackdateRunAsync(data, job.JobId, 2.1);
        foreach (var job in running)
            Assert.True(await new JobQueue(data).CompleteAsync(job, JobOutcome.Succeeded));
        var jobId = running[0].JobId;

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await LaunchChromiumAsync(playwright);
        var page = await NewPageAsync(browser);
        try
        {
            await SignInAsync(page, "finance@demo.local");
            await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Usage");

            // The scheduler in the portal ingests the finished job within a tick or two.
            var row = page.Locator($"#usage-table tr:has(a[data-tenant='{tenantId}'])");
            for (var attempt = 0; await row.CountAsync() == 0; attempt++)
            {
                Assert.True(attempt < 40, "the job's usage did not reach the finance page:\n" + App.Output);
                await Task.Delay(500);
                await page.ReloadAsync();
            }
            Assert.True(long.Parse((await row.Locator("[data-gpu-seconds]").GetAttributeAsync("data-gpu-seconds"))!) >= 2);
            await Screenshot(page, "finance-usage");

            await row.Locator("a").First.ClickAsync();
            await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Demo Startup");
            await Assertions.Expect(page.Locator($"#job-usage-table [data-job='{jobId}']")).ToContainTextAsync("finance-e2e-job");
            await Screenshot(page, "finance-tenant-usage");

            var csvDownload = await page.RunAndWaitForDownloadAsync(() => page.ClickAsync("#export-csv"));
            var csv = Encoding.UTF8.GetString(await File.ReadAllBytesAsync((await csvDownload.PathAsync())!)).TrimStart('\uFEFF');
            var lines = csv.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal("key,tenant_id,tenant,job_id,job,attempt,segment,device,started_at_utc,ended_at_utc,seconds,hours,billable_hours,charge,currency",
                lines[0]);
            Assert.Contains(lines, l => l.StartsWith($"{jobId:N}:1:1,{tenantId},Demo Startup,{jobId},finance-e2e-job,1,1,cuda,", StringComparison.Ordinal));

            // The period ends a month from now; the test closes it as the scheduler will then.
            var closed = await new ClosePeriodCommand(data, new ShiftedClock(TimeSpan.FromDays(32)), Array.Empty<IUsageSource>())
                .ExecuteAsync(tenantId, DateTimeOffset.UtcNow);
            Assert.True(closed.IsSuccess, closed.Error);

            await page.GotoAsync("/finance/invoices");
            await Screenshot(page, "finance-invoices");
            await page.ClickAsync($"#invoice-table a[data-invoice='{closed.Value.InvoiceId}']");
            await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync($"Invoice {closed.Value.Number}");
            await Assertions.Expect(page.Locator("#invoice-lines tr[data-kind=IncludedUsage][data-device=cuda]")).ToHaveCountAsync(1);
            await Assertions.Expect(page.Locator("#invoice-total")).ToHaveTextAsync("49.00 USD");
            await Screenshot(page, "finance-invoice");

            var pdfDownload = await page.RunAndWaitForDownloadAsync(() => page.ClickAsync("#download-pdf"));
            var pdf = await File.ReadAllBytesAsync((await pdfDownload.PathAsync())!);
            Assert.Equal("%PDF-"u8.ToArray(), pdf[..5]);
            // Reading it back with PDFsharp needs a license in this process too; the test accepts the AGPL terms.
            PdfSharp.PdfSharpLicense.SetAgplLicense();
            using (var document = PdfReader.Open(new MemoryStream(pdf), PdfDocumentOpenMode.Import))
            {
                Assert.True(document.PageCount > 0);
                Assert.Equal($"Invoice {closed.Value.Number}", document.Info.Title);
            }
            Assert.Equal(closed.Value.Number + ".pdf", pdfDownload.SuggestedFilename);

            page.Dialog += (_, dialog) => dialog.AcceptAsync();
            await page.ClickAsync("#mark-paid");
            await Assertions.Expect(page.Locator(".invoice-status")).ToHaveAttributeAsync("data-status", "paid");
            await Assertions.Expect(page.Locator("#invoice-message")).ToHaveTextAsync("The invoice is marked paid.");
            await page.FillAsync("#credit-amount", "5.00");
            await page.FillAsync("#credit-reason", "Goodwill for a slow queue");
            await page.ClickAsync("#issue-credit");
            await Assertions.Expect(page.Locator("#invoice-lines tr.credit-note")).ToContainTextAsync("Goodwill for a slow queue");
            await Screenshot(page, "finance-invoice-paid");

            await page.GotoAsync("/finance/reconciliation");
            await Assertions.Expect(page.Locator($"#reconciliation-table tr[data-tenant='{tenantId}']")).ToHaveAttributeAsync("data-balanced", "true");
            await Screenshot(page, "finance-reconciliation");

            var owner = await NewPageAsync(browser);
            await SignInAsync(owner, "owner@demo.local");
            await owner.ClickAsync("nav a[href='/billing']");
            await Assertions.Expect(owner.Locator("#plan-name")).ToHaveTextAsync("Starter");
            Assert.True(decimal.Parse((await owner.Locator("#usage-gpu").GetAttributeAsync("data-used"))!, System.Globalization.CultureInfo.InvariantCulture) > 0);
            await Assertions.Expect(owner.Locator($"#invoice-table tr[data-invoice='{closed.Value.InvoiceId}']")).ToHaveCountAsync(1);
            await Screenshot(owner, "tenant-billing");
            await owner.ClickAsync($"#invoice-table tr[data-invoice='{closed.Value.InvoiceId}'] a");
            await Assertions.Expect(owner.Locator("#invoice-due")).ToHaveTextAsync("0.00 USD");
            await Screenshot(owner, "tenant-invoice");
        }
        catch
        {
            await SaveFailureAsync(page, "finance");
            throw;
        }
        Console.WriteLine($"Finance browser test: {clock.Elapsed.TotalSeconds:0.0} s after the portal started");
    }

    private static async Task SignInAsync(IPage page, string email)
    {
        await page.GotoAsync("/account/sign-in");
        await page.FillAsync("#email", email);
        await page.FillAsync("#password", "demo-password-1");
        await page.ClickAsync("button[type=submit]");
        await page.WaitForURLAsync(url => !url.Contains("/account/sign-in", StringComparison.Ordinal));
    }

    /// <summary>
    /// A job on the real queue, claimed by a worker registered as a worker host registers itself. Its
    /// usage segment is the job system's own; it closes when the test completes the job.
    /// </summary>
    private async Task<ClaimedJob> StartJobAsync(Guid tenantId, string name, string device)
    {
        var workerId = Guid.CreateVersion7();
        await using (var register = Database.DataSource.CreateCommand(
            "INSERT INTO workers (id, name, device_kind, device_name, slots) VALUES ($1, $2, $3, 'test device', 1)"))
        {
            register.Parameters.Add(new NpgsqlParameter { Value = workerId });
            register.Parameters.Add(new NpgsqlParameter { Value = "e2e-" + device + "-worker" });
            register.Parameters.Add(new NpgsqlParameter { Value = device });
            await register.ExecuteNonQueryAsync();
        }
        var queue = new JobQueue(Database.DataSource);
        var jobId = await queue.EnqueueAsync(new JobSubmission(tenantId, "noop", name, "{}"));
        var claimed = await queue.ClaimAsync(workerId, TimeSpan.FromMinutes(1), device);
        Assert.Equal(jobId, claimed?.JobId);
        return claimed!;
    }

    private async Task<T> ScalarAsync<T>(string sql)
    {
        await using var command = Database.DataSource.CreateCommand(sql);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>Real time moved by a fixed offset: "a month from now", when the current period has ended.</summary>
    private sealed class ShiftedClock(TimeSpan offset) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + offset;
    }
}
