using System.Text;
using Microsoft.Playwright;
using Platform.Testing;

namespace Platform.EndToEnd;

/// <summary>
/// The one browser test: a real Chromium drives the real portal (Kestrel, its own process) against a
/// fresh database, through sign-up, a CSV upload and the dataset page's label distribution.
/// </summary>
public sealed class SignUpAndUploadTests : IAsyncLifetime
{
    private static readonly string[] ChromiumArgs =
    [
        "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run",
    ];

    private readonly string _storageRoot = Path.Combine(Path.GetTempPath(), "platform-e2e-" + Guid.NewGuid().ToString("N"));
    private PostgresDatabase _database = null!;
    private WebAppProcess _app = null!;

    public async Task InitializeAsync()
    {
        _database = await PostgresDatabase.CreateAsync(migrate: false);
        using var startup = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        // Not migrated above: the web host applies the migrations itself at start, as in production.
        _app = await WebAppProcess.StartAsync(_database.ConnectionString, _storageRoot, startup.Token);
    }

    [Fact]
    public async Task SignUpThenUploadCsv_NewFounder_SeesLabelDistribution()
    {
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ChromiumArgs,
        });
        var context = await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = _app.BaseAddress.ToString() });
        var page = await context.NewPageAsync();
        try
        {
            await page.GotoAsync("/account/sign-up");
            // Bootstrap (from npm) and the portal's stylesheet are served: the primary button wears the brand colour.
            await Assertions.Expect(page.Locator("button[type=submit]")).ToHaveCSSAsync("background-color", "rgb(79, 70, 229)");
            await page.FillAsync("#organisation", "Browser Test Startup");
            await page.FillAsync("#email", $"founder-{Guid.NewGuid():N}@example.com");
            await page.FillAsync("#password", "a long enough passphrase");
            await page.ClickAsync("button[type=submit]");
            await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Browser Test Startup");

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
            // Leave the evidence next to the test results: what the browser saw and what the server logged.
            var dir = Path.Combine(AppContext.BaseDirectory, "e2e-failure");
            Directory.CreateDirectory(dir);
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(dir, "page.png"), FullPage = true });
            await File.WriteAllTextAsync(Path.Combine(dir, "server.log"), _app.Output);
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

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
        if (Directory.Exists(_storageRoot))
        {
            Directory.Delete(_storageRoot, recursive: true);
        }
    }
}
