using System.Text;
using Microsoft.Playwright;
using Platform.Testing;

namespace Platform.EndToEnd;

/// <summary>
/// Sign-up and upload in a real Chromium driving the real portal (Kestrel, its own process) against a
/// fresh database, through sign-up, a CSV upload and the dataset page's label distribution.
/// </summary>
public sealed class SignUpAndUploadTests : PortalBrowserTest
{
    [Fact]
    public async Task SignUpThenUploadCsv_NewFounder_SeesLabelDistribution()
    {
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await LaunchChromiumAsync(playwright);
        var page = await NewPageAsync(browser);
        try
        {
            await page.GotoAsync("/account/sign-up");
            // Bootstrap (from npm) and the portal's stylesheet are served: the primary button wears the brand colour.
            await Assertions.Expect(page.Locator("button[type=submit]")).ToHaveCSSAsync("background-color", "rgb(79, 70, 229)");
            await SignUpAndConfirmAsync(page, "Browser Test Startup");

            await page.GotoAsync("/datasets/new");
            await page.FillAsync("#name", "support-tickets");
            await page.SetInputFilesAsync("#file", new FilePayload
            {
                Name = "tickets.csv",
                MimeType = "text/csv",
                Buffer = Encoding.UTF8.GetBytes(TicketsCsv()),
            });
            // htmx swaps the free-text column fields for selects listing the CSV's header.
            await Assertions.Expect(page.Locator("select#labelColumn")).ToHaveValueAsync("label");
            await Assertions.Expect(page.Locator("select#textColumn")).ToHaveValueAsync("text");
            await page.ClickAsync("#upload-form button[type=submit]");

            await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("support-tickets v1");
            var bars = page.Locator("#label-distribution svg g.bar");
            await Assertions.Expect(bars).ToHaveCountAsync(3);
            Assert.Equal("complaint", await bars.Nth(0).GetAttributeAsync("data-label"));
            Assert.Equal("12", await bars.Nth(0).GetAttributeAsync("data-value"));
            Assert.Equal("praise", await bars.Nth(1).GetAttributeAsync("data-label"));
            Assert.Equal("8", await bars.Nth(1).GetAttributeAsync("data-value"));
            Assert.Equal("question", await bars.Nth(2).GetAttributeAsync("data-label"));
            Assert.Equal("5", await bars.Nth(2).GetAttributeAsync("data-value"));
            await Assertions.Expect(page.Locator("#validation-count .stat-value")).Not.ToHaveTextAsync("0");
        }
        catch
        {
            await SaveFailureAsync(page, "page");
            throw;
        }
    }

    /// <summary>25 distinct tickets in three classes, with RFC 4180 quoting (a comma and a quoted quote).</summary>
    private static string TicketsCsv()
    {
        var csv = new StringBuilder("text,label\n");
        for (var i = 0; i < 12; i++)
        {
            csv.Append($"\"Order {i} arrived broken, I want a refund\",complaint\n");
        }
        for (var i = 0; i < 8; i++)
        {
            csv.Append($"\"Release {i} is \"\"great\"\", thanks\",praise\n");
        }
        for (var i = 0; i < 5; i++)
        {
            csv.Append($"How do I export report {i}?,question\n");
        }
        return csv.ToString();
    }
}
