using System.Diagnostics;
using System.Text;
using Microsoft.Playwright;
using Platform.Jobs.Tests;

namespace Platform.EndToEnd;

/// <summary>
/// Issue 20's "done when", in a real browser: the owner launches a two-device job from the launch
/// form's advanced settings; two worker processes of one CPU slot each (no worker in the portal) run
/// its ranks over Gloo; the job page shows both devices and follows the job live. The worker of rank 1
/// is SIGKILLed after a checkpoint and a replacement starts under its name (its spool reports the dead
/// run's device time, as on a restarted machine); the gang resumes from the checkpoint and succeeds,
/// and the ledger holds the seconds of both devices, as finance sees them.
/// </summary>
public sealed class DataParallelJobTests : PortalBrowserTest
{
    private readonly string _workerRoot = Directory.CreateTempSubdirectory("platform-e2e-workers-").FullName;
    private readonly Dictionary<string, Process> _workers = [];
    private readonly WorkerProcesses _processes = new();

    protected override IReadOnlyDictionary<string, string> PortalEnvironment => new Dictionary<string, string>
    {
        ["Worker__InProcess"] = "false",
        // Copies closed segments into the ledger every second, for the usage check at the end.
        ["BillingScheduler__Interval"] = "00:00:01",
    };

    // The demo BERT in the catalog, and the demo admin (platform admin, who may read finance's pages).
    protected override IReadOnlyList<string> PortalArguments => ["--seed-demo"];

    [Fact]
    public async Task TwoDeviceJob_RankWorkerKilledAfterACheckpoint_ResumesSucceedsAndMetersBothDevices()
    {
        StartWorker("gang-a");
        StartWorker("gang-b");
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await LaunchChromiumAsync(playwright);
        var page = await NewPageAsync(browser);
        try
        {
            await SignUpAndConfirmAsync(page, "Parallel Startup");
            // A new organisation runs one device at a time; a platform admin raised it to two (the
            // tenant page's limits card, tested on its own).
            await using (var raise = Database.DataSource.CreateCommand("""
                INSERT INTO tenant_job_limits (tenant_id, max_concurrent)
                SELECT id, 2 FROM tenants WHERE name = 'Parallel Startup'
                ON CONFLICT (tenant_id) DO UPDATE SET max_concurrent = excluded.max_concurrent
                """))
                await raise.ExecuteNonQueryAsync();
            await page.GotoAsync("/datasets/new");
            await page.FillAsync("#name", "tickets");
            await page.SetInputFilesAsync("#file", new FilePayload { Name = "tickets.csv", MimeType = "text/csv", Buffer = Encoding.UTF8.GetBytes(TicketsCsv()) });
            await Assertions.Expect(page.Locator("select#labelColumn")).ToHaveValueAsync("label");
            await page.ClickAsync("#upload-form button[type=submit]");
            await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("tickets v1");

            await page.GotoAsync("/jobs/new");
            await Assertions.Expect(page.Locator("#base-model")).ToHaveValueAsync("bert-mini-random");
            await page.ClickAsync("#advanced summary");
            await page.FillAsync("#epochs", "3");
            await page.FillAsync("#batch-size", "8");
            await page.FillAsync("#max-length", "32");
            await page.FillAsync("#devices", "2");
            await page.Locator("#devices").DispatchEventAsync("change");
            // The estimate counts both devices' hours (each is billed).
            await Assertions.Expect(page.Locator("#estimate-devices")).ToContainTextAsync("2");
            await Screenshot(page, "launch-two-devices");
            await page.ClickAsync("#launch");

            await Assertions.Expect(page.Locator(".job-state")).ToHaveCountAsync(1);
            var jobId = Guid.Parse(new Uri(page.Url).AbsolutePath.Split('/')[^1]);
            await Assertions.Expect(page.Locator("#job-devices")).ToHaveAttributeAsync("data-devices", "2");
            // Live: both ranks started, and the step counter moves on the open page (its circuit).
            await Assertions.Expect(page.Locator(".job-state")).ToHaveAttributeAsync("data-state", "Running", new() { Timeout = 120_000 });
            await Assertions.Expect(page.Locator("#job-step")).ToContainTextAsync("/", new() { Timeout = 120_000 });
            await Assertions.Expect(page.Locator("#job-devices")).ToHaveAttributeAsync("data-running-devices", "2");
            await Screenshot(page, "two-device-job-running");

            await WaitForAsync(jobId, "a checkpoint",
                $"SELECT count(*) > 0 FROM job_events WHERE job_id = '{jobId}' AND type = 'checkpoint'");
            var rank1Worker = await Database.ScalarAsync<string>(
                $"SELECT w.name FROM gang_ranks g JOIN workers w ON w.id = g.worker_id WHERE g.job_id = '{jobId}'");
            WorkerProcesses.Kill(_workers[rank1Worker]);
            await _workers[rank1Worker].WaitForExitAsync();
            StartWorker(rank1Worker);

            await Assertions.Expect(page.Locator("#view-model")).ToBeVisibleAsync(new() { Timeout = 240_000 });
            await Assertions.Expect(page.Locator(".job-state")).ToHaveAttributeAsync("data-state", "Succeeded");
            await Assertions.Expect(page.Locator("#job-interruptions")).Not.ToHaveTextAsync("none");
            // Started, then resumed (once more if the gang's claim came before the dead worker missed its beats).
            Assert.True(await page.Locator(".event[data-type=claimed]").CountAsync() >= 2, "the gang started again after the kill");
            await Screenshot(page, "two-device-job-succeeded");

            // Metered for both devices: every run closed (the killed one by its replacement's spool
            // report), and the ledger holds seconds of rank 0 and of rank 1.
            await WaitForAsync(jobId, "every run closed and in the ledger", $"""
                SELECT NOT EXISTS (SELECT 1 FROM usage_segments s WHERE s.job_id = '{jobId}' AND NOT s.closed)
                   AND (SELECT count(*) FROM usage_ledger l WHERE l.job_id = '{jobId}')
                     = (SELECT count(*) FROM usage_segments s WHERE s.job_id = '{jobId}')
                """);
            Assert.True(await Database.ScalarAsync<long>($"""
                SELECT count(DISTINCT s.rank) FROM usage_ledger l
                JOIN usage_segments s ON (s.job_id, s.attempt, s.segment) = (l.job_id, l.attempt, l.segment)
                WHERE l.job_id = '{jobId}' AND l.seconds > 0
                """) == 2, "the ledger bills seconds of both ranks");
            var segments = await Database.ScalarAsync<long>($"SELECT count(*) FROM usage_ledger WHERE job_id = '{jobId}'");
            Assert.True(segments >= 4, $"two runs per gang start, two starts: {segments} ledger rows");

            var tenantId = await Database.ScalarAsync<Guid>($"SELECT tenant_id FROM jobs WHERE id = '{jobId}'");
            var admin = await NewPageAsync(browser);
            await admin.GotoAsync("/account/sign-in");
            await admin.FillAsync("#email", "admin@demo.local");
            await admin.FillAsync("#password", "demo-password-1");
            await admin.ClickAsync("button[type=submit]");
            await admin.GotoAsync($"/finance/usage/{tenantId}");
            var row = admin.Locator($"#job-usage-table tr:has(.job-usage[data-job='{jobId}'])");
            await Assertions.Expect(row).ToContainTextAsync(segments.ToString(System.Globalization.CultureInfo.InvariantCulture));
            await Screenshot(admin, "two-device-job-usage");
        }
        catch
        {
            await SaveFailureAsync(page, "data-parallel");
            await File.WriteAllLinesAsync(Path.Combine(AppContext.BaseDirectory, "e2e-failure", "data-parallel-workers.log"), _processes.Output);
            throw;
        }
        finally
        {
            _processes.Dispose();
            foreach (var worker in _workers.Values)
                await worker.WaitForExitAsync();
            Directory.Delete(_workerRoot, recursive: true);
        }
    }

    private void StartWorker(string name) =>
        _workers[name] = _processes.Start(Database.ConnectionString, _workerRoot, name, new Dictionary<string, string>
        {
            // The portal's artifact store: the dataset, the base model, checkpoints and the model folder.
            ["Storage__Root"] = StorageRoot,
            ["Worker__Slots"] = "1",
            ["Worker__RendezvousTimeout"] = "00:00:20",
            // A checkpoint every few steps, so the kill lands between one and the end.
            ["Training__CheckpointEverySteps"] = "4",
        });

    private async Task WaitForAsync(Guid jobId, string what, string sql)
    {
        // A guard against a hang, not a timing assertion.
        var deadline = DateTime.UtcNow.AddMinutes(4);
        while (!await Database.ScalarAsync<bool>(sql))
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"{what}: not reached. Events: " + await Database.ScalarAsync<string>(
                    $"SELECT coalesce(string_agg(type || ': ' || message, ' | ' ORDER BY id), '') FROM job_events WHERE job_id = '{jobId}'"));
            await Task.Delay(200);
        }
    }

    /// <summary>120 distinct support tickets in two classes: 12 steps an epoch at a global batch of 8.</summary>
    private static string TicketsCsv()
    {
        var csv = new StringBuilder("text,label\n");
        for (var i = 0; i < 60; i++)
        {
            csv.Append($"\"Invoice {i} charged me twice, please fix\",billing\n");
            csv.Append($"\"The app crashes when I open screen {i}\",bug\n");
        }
        return csv.ToString();
    }
}
