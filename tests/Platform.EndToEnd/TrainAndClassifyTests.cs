using System.Text;
using Microsoft.Playwright;
using Platform.Testing;

namespace Platform.EndToEnd;

/// <summary>
/// The training flow in a real browser against the real portal running one job worker in its own
/// process (Worker__InProcess, as `./platform up` runs it): upload a CSV, launch a small job on the
/// demo BERT, watch it on the job page, reach the model page and classify a text, and at the end delete the
/// model from its page. Screenshots of each
/// page land in bin/.../screenshots for a human to look at.
/// </summary>
public sealed class TrainAndClassifyTests : PortalBrowserTest
{
    // --seed-demo puts the demo BERT and the CNN presets in the catalog (and the demo admin login).
    protected override IReadOnlyDictionary<string, string> PortalEnvironment =>
        new Dictionary<string, string> { ["Worker__InProcess"] = "true", ["Worker__Name"] = "e2e-worker" };

    protected override IReadOnlyList<string> PortalArguments => ["--seed-demo"];

    [Fact]
    public async Task LaunchWatchAndClassify_SmallTextJob_ReachesModelAndPredicts()
    {
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await LaunchChromiumAsync(playwright);
        var page = await NewPageAsync(browser);
        try
        {
            await SignUpAndConfirmAsync(page, "Training Startup");

            await page.GotoAsync("/datasets/new");
            await page.FillAsync("#name", "reviews");
            await page.SetInputFilesAsync("#file", new FilePayload { Name = "reviews.csv", MimeType = "text/csv", Buffer = Encoding.UTF8.GetBytes(ReviewsCsv()) });
            await Assertions.Expect(page.Locator("select#labelColumn")).ToHaveValueAsync("label");
            await page.ClickAsync("#upload-form button[type=submit]");
            await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("reviews v1");

            await page.GotoAsync("/jobs/new");
            await Assertions.Expect(page.Locator("#base-model")).ToHaveValueAsync("bert-mini-random");
            await Assertions.Expect(page.Locator("#preset-balanced")).ToBeCheckedAsync();
            await page.ClickAsync("#advanced summary");
            // Each change re-renders the form from the server (htmx); the estimate follows the fields.
            await page.FillAsync("#epochs", "2");
            await page.FillAsync("#batch-size", "8");
            await page.FillAsync("#max-length", "48");
            await page.Locator("#max-length").DispatchEventAsync("change");
            // 200 rows, 160 in the training split: 20 steps per epoch, 2 epochs.
            await Assertions.Expect(page.Locator("#estimate-steps")).ToHaveTextAsync("40");
            await Screenshot(page, "launch-job");
            await page.ClickAsync("#launch");

            await Assertions.Expect(page.Locator(".job-state")).ToHaveCountAsync(1);
            Assert.Matches("/jobs/[0-9a-f-]{36}$", page.Url);
            var jobPath = new Uri(page.Url).AbsolutePath;
            await Screenshot(page, "job-starting");
            // The page follows the job over its circuit: the step counter moves while the page stays loaded.
            await page.EvaluateAsync("() => { window.notReloaded = true; }");
            var steps = await WatchStepCounterAsync(page);
            Assert.True(steps.Count >= 2, $"the step counter moved on the open page (saw {string.Join(", ", steps)})");
            await Screenshot(page, "job-running");
            // At its end the page loads afresh once, the finished job without its cancel button.
            await Assertions.Expect(page.Locator("#view-model")).ToBeVisibleAsync(new() { Timeout = 300_000 });
            await Assertions.Expect(page.Locator(".job-state")).ToHaveAttributeAsync("data-state", "Succeeded");
            // The training loss as a line of step points, the validation loss a dot per epoch.
            Assert.True(int.Parse(await page.Locator("#loss-chart g.series[data-series=Training]").GetAttributeAsync("data-points") ?? "0") >= 2,
                "the training-loss curve has its step points");
            await Assertions.Expect(page.Locator("#loss-chart g.series[data-series=Validation] circle")).ToHaveCountAsync(2);
            await Assertions.Expect(page.Locator("#accuracy-chart circle")).ToHaveCountAsync(2);
            await Assertions.Expect(page.Locator(".event[data-type=epoch]")).ToHaveCountAsync(2);
            await Assertions.Expect(page.Locator(".event[data-type=succeeded]")).ToHaveCountAsync(1);
            await Assertions.Expect(page.Locator(".event[data-type=baseline]")).ToHaveCountAsync(1);
            await Screenshot(page, "job-succeeded");

            await page.ClickAsync("#view-model");
            await Assertions.Expect(page.Locator("#confusion svg g.cell")).ToHaveCountAsync(4);
            await page.FillAsync("#playground-text", "Order 7 arrived broken, I want a refund");
            await page.ClickAsync("#classify");
            var label = page.Locator("#predicted-label");
            await Assertions.Expect(label).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^(complaint|praise)$"));
            await Assertions.Expect(page.Locator(".score-bar")).ToHaveCountAsync(2);
            // The linear baseline fitted by the job on the same split, side by side, and usable.
            await Assertions.Expect(page.Locator("#comparison-table tr[data-metric=accuracy]")).ToHaveAttributeAsync("data-baseline", "1");
            await page.CheckAsync("#variant-baseline");
            await page.ClickAsync("#classify");
            await Assertions.Expect(page.Locator("#prediction [data-variant=baseline]")).ToHaveCountAsync(1);
            await Assertions.Expect(label).ToHaveTextAsync("complaint");
            await Screenshot(page, "model");

            await page.GotoAsync("/jobs");
            await Screenshot(page, "job-list");
            // The grid searches over the circuit: a name that matches nothing empties it; clearing brings the job back.
            var jobId = jobPath.Split('/')[^1];
            // Typing before the circuit is up would edit the prerendered box alone: wait for the pager,
            // which only the interactive grid renders.
            await Assertions.Expect(page.Locator(".mud-table-pagination-actions")).ToBeVisibleAsync(new() { Timeout = 30_000 });
            await page.FillAsync("#job-search", "no-such-job");
            await Assertions.Expect(page.Locator("#job-grid-empty:visible")).ToBeVisibleAsync();
            await page.FillAsync("#job-search", "");
            await Assertions.Expect(page.Locator($"#job-table .job-name[data-job='{jobId}']")).ToHaveCountAsync(1);

            // On a phone the drawer is a menu: hidden until the app bar's button opens it; Sign out stays in the bar.
            await page.SetViewportSizeAsync(390, 844);
            await page.GotoAsync("/datasets");
            await Assertions.Expect(page.Locator("#shell-drawer")).ToBeHiddenAsync();
            await Assertions.Expect(page.Locator("#sign-out")).ToBeVisibleAsync();
            await page.ClickAsync("[data-drawer-toggle=shell-drawer]");
            await Assertions.Expect(page.Locator("#shell-drawer")).ToBeVisibleAsync();
            await Screenshot(page, "drawer-390");
            await page.ClickAsync("#shell-drawer a[href='/members']");
            await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Members");
            await page.SetViewportSizeAsync(1280, 900);
            await page.GotoAsync("/settings/api-keys");
            await page.FillAsync("#key-name", "ci");
            await page.ClickAsync("#create-key-form button[type=submit]");
            await Assertions.Expect(page.Locator("#new-key-value")).ToHaveValueAsync(new System.Text.RegularExpressions.Regex("^pk_"));
            await Screenshot(page, "api-keys");

            // Every workspace page of this journey on a phone: nothing scrolls sideways.
            var wide = await PhoneAndDesktopAsync(page, "/", "/datasets", "/datasets/new", "/jobs", "/jobs/new", jobPath,
                jobPath.Replace("/jobs/", "/models/"), "/models", "/models/catalog", "/members", "/settings/api-keys", "/settings/webhooks",
                "/settings/data", "/billing");
            Assert.True(wide.Count == 0, "phone width or accessibility: " + string.Join("; ", wide));

            var admin = await NewPageAsync(browser);
            await admin.GotoAsync("/account/sign-in");
            await admin.FillAsync("#email", "admin@demo.local");
            await admin.FillAsync("#password", "demo-password-1");
            await admin.ClickAsync("button[type=submit]");
            await admin.GotoAsync("/admin/workers");
            await Assertions.Expect(admin.Locator("#worker-table [data-health=live]")).ToContainTextAsync("e2e-worker");
            await Screenshot(admin, "admin-workers");
            await admin.GotoAsync("/admin/models");
            await Assertions.Expect(admin.Locator("#catalog-table tr[data-model=bert-mini-random]")).ToHaveCountAsync(1);
            await Screenshot(admin, "admin-models");
            await admin.GotoAsync("/admin/jobs");
            await Assertions.Expect(admin.Locator($"#job-table .job-name[data-job='{jobId}']")).ToHaveCountAsync(1);
            await Screenshot(admin, "admin-jobs");
            var wideAdmin = await PhoneAndDesktopAsync(admin, "/admin/tenants", "/admin/jobs", "/admin/plans", "/admin/workers", "/admin/models",
                "/admin/plans/new", "/finance", "/finance/invoices", "/finance/reconciliation");
            Assert.True(wideAdmin.Count == 0, "phone width or accessibility: " + string.Join("; ", wideAdmin));

            // Deleting the model: its page asks in a dialog (a popover of the island's providers), then the list has no such model.
            await page.GotoAsync(jobPath.Replace("/jobs/", "/models/"));
            await Assertions.Expect(page.Locator("#delete-model")).ToBeEnabledAsync(new() { Timeout = 30_000 });
            await page.ClickAsync("#delete-model");
            await Assertions.Expect(page.Locator(".mud-dialog")).ToContainTextAsync("Its training job, metrics history and usage stay.");
            await Screenshot(page, "model-delete-dialog");
            await page.Locator(".mud-dialog button", new() { HasText = "Delete model" }).ClickAsync();
            await page.WaitForURLAsync("**/models");
            // ":visible": while the live grid takes over from the prerendered one, both hold the empty state for a moment.
            await Assertions.Expect(page.Locator("#model-grid-empty:visible")).ToBeVisibleAsync(new() { Timeout = 30_000 });
            Assert.DoesNotContain("Missing <MudPopoverProvider", App.Output);
        }
        catch
        {
            await SaveFailureAsync(page, "train");
            throw;
        }
    }

    /// <summary>
    /// The distinct "step / total" values the open job page shows while the job runs, until the job ends
    /// or the page is loaded afresh (which ends the watch: a moving counter must come from the circuit).
    /// </summary>
    private static async Task<List<string>> WatchStepCounterAsync(IPage page)
    {
        var seen = new List<string>();
        // A guard against a hang, not a timing assertion: the job's own time limit is far longer.
        var until = DateTime.UtcNow.AddMinutes(5);
        while (DateTime.UtcNow < until && seen.Count < 3)
        {
            if (!await page.EvaluateAsync<bool>("() => window.notReloaded === true"))
                break;
            var text = (await page.Locator("#job-step").TextContentAsync())?.Trim();
            if (text is { Length: > 0 } && char.IsDigit(text[0]) && (seen.Count == 0 || seen[^1] != text))
                seen.Add(text);
            if (await page.Locator("#view-model").CountAsync() > 0)
                break;
            await Task.Delay(100);
        }
        return seen;
    }

    /// <summary>200 distinct reviews in two classes.</summary>
    private static string ReviewsCsv()
    {
        var csv = new StringBuilder("text,label\n");
        for (var i = 0; i < 100; i++)
        {
            csv.Append($"\"Order {i} arrived broken, I want a refund\",complaint\n");
            csv.Append($"\"Release {i} is great, thanks a lot\",praise\n");
        }
        return csv.ToString();
    }
}
