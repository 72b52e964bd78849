using Microsoft.Playwright;

namespace Platform.EndToEnd;

/// <summary>
/// The admin and finance grids in a real browser against the demo seed: the tenants grid searches over
/// the circuit, suspending a tenant asks in a dialog and reports in a snackbar, the finance usage shows
/// its money columns, and every grid page neither scrolls sideways at 390 px nor has serious or critical
/// accessibility violations. Screenshots at 390 and 1400 px land in bin/.../screenshots. The prerendered
/// rows stay on screen until the interactive grid has its own, and popovers open with no "Missing
/// MudPopoverProvider" in the server's log.
/// </summary>
public sealed class AdminFinanceGridsTests : PortalBrowserTest
{
    protected override IReadOnlyDictionary<string, string> PortalEnvironment => new Dictionary<string, string>
    {
        ["Worker__InProcess"] = "false",
    };

    protected override IReadOnlyList<string> PortalArguments => ["--seed-demo"];

    [Fact]
    public async Task Admin_SearchesTenantsSuspendsOneAndEveryGridPageFitsAPhone()
    {
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await LaunchChromiumAsync(playwright);
        var page = await NewPageAsync(browser);
        try
        {
            await page.GotoAsync("/account/sign-in");
            await page.FillAsync("#email", "admin@demo.local");
            await page.FillAsync("#password", "demo-password-1");
            await page.ClickAsync("button[type=submit]");

            // Watches the tenants grid from the parsed prerender on: any moment with no rows is the blank between
            // the prerendered grid and the interactive one.
            await page.AddInitScriptAsync("""
                window.rowsGone = false;
                document.addEventListener('DOMContentLoaded', () => {
                  if (!document.querySelector('#tenant-table .tenant-name')) return;
                  new MutationObserver(() => {
                    if (document.querySelectorAll('#tenant-table .tenant-name').length === 0) window.rowsGone = true;
                  }).observe(document.body, { childList: true, subtree: true, attributes: true });
                });
                """);
            await page.GotoAsync("/admin/tenants");
            // The prerendered grid is there before the circuit. Typing before the circuit is up would edit the
            // prerendered box alone: wait for the pager's buttons, which only the live grid renders (the prerendered
            // grid has a footer of its own, in the same pager area, when there are more tenants than a page).
            await Assertions.Expect(page.Locator("#tenant-table .tenant-name", new() { HasText = "Demo Startup" })).ToHaveCountAsync(1);
            await Assertions.Expect(page.Locator(".mud-table-pagination-actions")).ToBeVisibleAsync(new() { Timeout = 30_000 });
            Assert.False(await page.EvaluateAsync<bool>("() => window.rowsGone"), "the grid's rows left the screen before the circuit's grid had its own");
            // A filter's list is a popover: it opens on the page's one popover provider.
            await page.Locator("#tenant-filters .tenant-filter-select .mud-select").First.ClickAsync();
            await Assertions.Expect(page.Locator(".mud-popover-open")).ToContainTextAsync("Suspended");
            await page.Keyboard.PressAsync("Escape");
            await page.FillAsync("#tenant-search", "no such organisation");
            await Assertions.Expect(page.Locator("#tenant-grid-empty")).ToContainTextAsync("No tenants match these filters.");
            await page.FillAsync("#tenant-search", "demo");
            await Assertions.Expect(page.Locator("#tenant-table .tenant-name", new() { HasText = "Demo Startup" })).ToHaveCountAsync(1);

            await page.Locator("#tenant-table .tenant-name", new() { HasText = "Demo Startup" }).ClickAsync();
            await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Demo Startup");
            await Assertions.Expect(page.Locator("#suspend")).ToBeEnabledAsync(new() { Timeout = 30_000 });
            await page.Locator("#reason").FillAsync("Card declined three times");
            await page.ClickAsync("#suspend");
            await Assertions.Expect(page.Locator(".mud-dialog")).ToContainTextAsync("Suspend Demo Startup?");
            await Screenshot(page, "admin-tenant-suspend-dialog");
            await page.Locator(".mud-dialog button", new() { HasText = "Suspend" }).ClickAsync();
            await Assertions.Expect(page.Locator(".mud-snackbar")).ToContainTextAsync("Demo Startup is suspended.");
            await Assertions.Expect(page.Locator("#suspension-reason")).ToHaveTextAsync("Card declined three times");
            await Screenshot(page, "admin-tenant-suspended");
            await page.ClickAsync("#reactivate");
            await page.Locator(".mud-dialog button", new() { HasText = "Reactivate" }).ClickAsync();
            await Assertions.Expect(page.Locator("#tenant-status-card")).ToHaveAttributeAsync("data-status", "Active");

            var tenantPath = new Uri(page.Url).AbsolutePath;
            var demo = tenantPath.Split('/')[^1];
            var problems = await PhoneAndDesktopAsync(page, "/admin/tenants", tenantPath, "/admin/plans", "/admin/workers", "/finance",
                $"/finance/usage/{demo}", "/finance/invoices");
            Assert.True(problems.Count == 0, "phone width or accessibility: " + string.Join("; ", problems));
            Assert.DoesNotContain("Missing <MudPopoverProvider", App.Output);

            // The demo has no usage this month, so the page shows its empty state; the export's header
            // carries the money columns (the page's column is covered by FinancePagesTests).
            var export = await page.APIRequest.GetAsync("/finance/usage/export");
            Assert.True(export.Ok, $"export answered {export.Status}");
            var header = (await export.TextAsync()).Split('\n')[0];
            Assert.Contains("billable_hours", header);
            Assert.Contains("charge", header);
        }
        catch
        {
            await SaveFailureAsync(page, "admin-finance-grids");
            throw;
        }
    }
}
