using Deque.AxeCore.Playwright;
using Microsoft.Playwright;
using Platform.Testing;

namespace Platform.EndToEnd;

/// <summary>
/// The frame every browser test shares: a fresh, unmigrated database (the portal migrates it at
/// start, as in production), the real portal in its own process, a headless Chromium, screenshots in
/// bin/.../screenshots for a human to look at, and on failure the page and the server's log in
/// bin/.../e2e-failure.
/// </summary>
public abstract class PortalBrowserTest : IAsyncLifetime
{
    private static readonly string[] ChromiumArgs =
    [
        "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run",
    ];

    private readonly string _storageRoot = Path.Combine(Path.GetTempPath(), "platform-e2e-" + Guid.NewGuid().ToString("N"));
    private readonly string _screenshots = Path.Combine(AppContext.BaseDirectory, "screenshots");

    protected PostgresDatabase Database { get; private set; } = null!;

    /// <summary>The portal's artifact store (Storage:Root): worker processes of a test share it.</summary>
    protected string StorageRoot => _storageRoot;

    private protected WebAppProcess App { get; private set; } = null!;

    /// <summary>Environment of the portal process (Worker__InProcess, scheduler interval, ...).</summary>
    protected virtual IReadOnlyDictionary<string, string>? PortalEnvironment => null;

    /// <summary>Command-line arguments of the portal process, e.g. --seed-demo.</summary>
    protected virtual IReadOnlyList<string>? PortalArguments => null;

    public async Task InitializeAsync()
    {
        Database = await PostgresDatabase.CreateAsync(migrate: false);
        using var startup = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        App = await WebAppProcess.StartAsync(Database.ConnectionString, _storageRoot, startup.Token, PortalEnvironment, PortalArguments);
        Directory.CreateDirectory(_screenshots);
    }

    protected static Task<IBrowser> LaunchChromiumAsync(IPlaywright playwright) =>
        playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ChromiumArgs,
        });

    /// <summary>A new browser session (its own cookies) on the portal, at a desktop size.</summary>
    protected async Task<IPage> NewPageAsync(IBrowser browser)
    {
        var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = App.BaseAddress.ToString(),
            ViewportSize = new ViewportSize { Width = 1280, Height = 900 },
            AcceptDownloads = true,
        });
        return await context.NewPageAsync();
    }

    /// <summary>
    /// Visits each page at a phone's width (390 px) and at a desktop's (1400 px), screenshots both, and
    /// returns what is wrong: pages that scroll sideways on the phone ("path: scrollWidth px") and the
    /// serious or critical accessibility violations axe finds on them.
    /// </summary>
    // The deepest elements reaching past the viewport's right edge and not clipped by a scrolling ancestor:
    // what makes a page scroll sideways.
    private const string WidestElement = """
        () => {
            const past = e => e.getBoundingClientRect().right > window.innerWidth + 1;
            const clipped = e => { for (let p = e.parentElement; p && p !== document.body; p = p.parentElement) {
                if (getComputedStyle(p).overflowX !== 'visible') return true; } return false; };
            const all = [...document.querySelectorAll('body *')].filter(past);
            const open = all.filter(e => !clipped(e) && ![...e.children].some(past));
            return (open.length ? open : all.filter(e => !past(e.parentElement)))
                .slice(0, 3).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
                    + (typeof e.className === 'string' && e.className.trim() ? '.' + e.className.trim().split(/\s+/).join('.') : '')
                    + ' ' + Math.round(e.getBoundingClientRect().right) + 'px').join(', ');
        }
        """;

    protected async Task<List<string>> PhoneAndDesktopAsync(IPage page, params string[] paths)
    {
        var wide = new List<string>();
        foreach (var path in paths)
        {
            // Ids make poor file names: /jobs/{id} is page-jobs-id.
            var name = "page" + System.Text.RegularExpressions.Regex.Replace(path, "[0-9a-f]{8}-[0-9a-f-]{27}", "id").Replace('/', '-').TrimEnd('-');
            await page.SetViewportSizeAsync(390, 844);
            await page.GotoAsync(path);
            var width = await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth");
            var viewport = await page.EvaluateAsync<int>("() => window.innerWidth");
            if (width > viewport)
                wide.Add($"{path}: {width} px (widest: {await page.EvaluateAsync<string>(WidestElement)})");
            await Screenshot(page, name + "-390");
            await page.SetViewportSizeAsync(1400, 900);
            await page.GotoAsync(path);
            await Screenshot(page, name + "-1400");
            var axe = await page.RunAxe();
            foreach (var violation in axe.Violations.Where(v => v.Impact is "serious" or "critical"))
                wide.Add($"{path}: {violation.Impact} {violation.Id} ({violation.Nodes.Length} element(s), first: {violation.Nodes.FirstOrDefault()?.Target})");
        }
        return wide;
    }

    /// <summary>
    /// A founder's first visit: the sign-up form ("check your inbox"), the confirmation link from the
    /// mail the portal wrote (no SMTP server here: Storage:Root/mail, sent by its Hangfire server), then
    /// sign-in, landing on the new organisation's dashboard. Returns the email.
    /// </summary>
    protected async Task<string> SignUpAndConfirmAsync(IPage page, string organisation, string password = "a long enough passphrase")
    {
        var email = $"founder-{Guid.NewGuid():N}@example.com";
        await page.GotoAsync("/account/sign-up");
        await page.FillAsync("#organisation", organisation);
        await page.FillAsync("#email", email);
        await page.FillAsync("#password", password);
        await page.ClickAsync("button[type=submit]");
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Check your inbox");

        await page.GotoAsync(await ConfirmationLinkAsync(email));
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Email address confirmed");

        await page.GotoAsync("/account/sign-in");
        await page.FillAsync("#email", email);
        await page.FillAsync("#password", password);
        await page.ClickAsync("button[type=submit]");
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync(organisation);
        return email;
    }

    /// <summary>The path of the confirmation link in the mail to <paramref name="email"/>, waiting up to a minute for it.</summary>
    private async Task<string> ConfirmationLinkAsync(string email)
    {
        var mail = Path.Combine(_storageRoot, "mail");
        var deadline = DateTime.UtcNow.AddMinutes(1);
        while (DateTime.UtcNow < deadline)
        {
            if (Directory.Exists(mail))
            {
                foreach (var file in Directory.EnumerateFiles(mail, "*.eml"))
                {
                    var message = await MimeKit.MimeMessage.LoadAsync(file);
                    if (!message.To.Mailboxes.Any(m => string.Equals(m.Address, email, StringComparison.OrdinalIgnoreCase)))
                        continue;
                    var text = message.TextBody ?? "";
                    var link = System.Text.RegularExpressions.Regex.Match(text, @"/account/confirm-email\?token=[A-Za-z0-9_-]+");
                    if (link.Success)
                        return link.Value;
                }
            }
            await Task.Delay(250);
        }
        throw new TimeoutException($"No confirmation mail to {email} in {mail}:\n{App.Output}");
    }

    protected Task Screenshot(IPage page, string name) =>
        page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(_screenshots, name + ".png"), FullPage = true });

    /// <summary>Leaves the evidence next to the test results: what the browser saw and what the server logged.</summary>
    protected async Task SaveFailureAsync(IPage page, string name)
    {
        var dir = Path.Combine(AppContext.BaseDirectory, "e2e-failure");
        Directory.CreateDirectory(dir);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(dir, name + "-page.png"), FullPage = true });
        await File.WriteAllTextAsync(Path.Combine(dir, name + "-server.log"), App.Output);
    }

    public async Task DisposeAsync()
    {
        if (App is not null)
        {
            await App.DisposeAsync();
        }
        if (Database is not null)
        {
            await Database.DisposeAsync();
        }
        if (Directory.Exists(_storageRoot))
        {
            Directory.Delete(_storageRoot, recursive: true);
        }
    }
}
