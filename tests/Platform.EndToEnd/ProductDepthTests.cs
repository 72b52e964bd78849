using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Playwright;
using Platform.Web.Notifications;

namespace Platform.EndToEnd;

/// <summary>
/// Issue 18's pages in a real browser against the real portal with its in-process worker: a webhook
/// registered before training (its deliveries reach an HTTP receiver this test runs), a tiny job, a clone
/// of it from the launch form with one setting changed, then the bell, the dashboard, the comparison of
/// the two runs, the model page's misclassified examples and threshold, and a batch prediction downloaded.
/// Both runs are tiny (40 rows, 1-2 epochs) and every check reuses them.
/// </summary>
public sealed class ProductDepthTests : PortalBrowserTest
{
    protected override IReadOnlyDictionary<string, string> PortalEnvironment => new Dictionary<string, string>
    {
        ["Worker__InProcess"] = "true",
        ["Worker__Name"] = "e2e-depth-worker",
        // The sender's round every second: the delivery log fills while the test looks.
        ["Webhooks__PollInterval"] = "00:00:01",
        // The receiver runs on loopback, which production refuses.
        ["Webhooks__AllowPrivateTargets"] = "true",
    };

    protected override IReadOnlyList<string> PortalArguments => ["--seed-demo"];

    [Fact]
    public async Task FinishedRuns_DashboardCompareCloneBellWebhookBatchAndThreshold()
    {
        using var receiver = new Receiver();
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await LaunchChromiumAsync(playwright);
        var page = await NewPageAsync(browser);
        try
        {
            await SignUpAndConfirmAsync(page, "Depth Startup");

            await page.GotoAsync("/settings/webhooks");
            await page.FillAsync("#webhook-url", receiver.Url);
            await page.ClickAsync("#create-webhook-form button[type=submit]");
            var secret = await page.Locator("#new-webhook-secret").InputValueAsync();
            Assert.StartsWith("whsec_", secret);

            await page.GotoAsync("/datasets/new");
            await page.FillAsync("#name", "mixed-reviews");
            await page.SetInputFilesAsync("#file", new FilePayload { Name = "reviews.csv", MimeType = "text/csv", Buffer = Encoding.UTF8.GetBytes(ReviewsCsv()) });
            await Assertions.Expect(page.Locator("select#labelColumn")).ToHaveValueAsync("label");
            await page.ClickAsync("#upload-form button[type=submit]");
            await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("mixed-reviews v1");

            await page.GotoAsync("/jobs/new");
            await page.ClickAsync("#advanced summary");
            await page.FillAsync("#epochs", "1");
            await page.FillAsync("#batch-size", "8");
            await page.FillAsync("#max-length", "32");
            await page.Locator("#max-length").DispatchEventAsync("change");
            await Assertions.Expect(page.Locator("#estimate-steps")).ToHaveTextAsync("4");
            await page.ClickAsync("#launch");
            var first = await FinishedJobAsync(page);

            // Clone: the launch form comes back filled with the run's settings; one is changed.
            await page.ClickAsync("#clone-job");
            await Assertions.Expect(page.Locator("#epochs")).ToHaveValueAsync("1");
            await Assertions.Expect(page.Locator("#batch-size")).ToHaveValueAsync("8");
            await Assertions.Expect(page.Locator("#max-length")).ToHaveValueAsync("32");
            await Assertions.Expect(page.Locator("#base-model")).ToHaveValueAsync("bert-mini-random");
            await Screenshot(page, "depth-clone-1400");
            await page.FillAsync("#epochs", "2");
            await page.Locator("#epochs").DispatchEventAsync("change");
            await Assertions.Expect(page.Locator("#estimate-steps")).ToHaveTextAsync("8");
            await page.ClickAsync("#launch");
            var second = await FinishedJobAsync(page);

            // The bell counts both ended jobs; the dashboard lists them with a model and a completed checklist step.
            await page.GotoAsync("/");
            await Assertions.Expect(page.Locator("#unread-count")).ToHaveTextAsync("2");
            await Assertions.Expect(page.Locator($"#recent-jobs [data-job='{first}']")).ToHaveCountAsync(1);
            await Assertions.Expect(page.Locator($"#recent-jobs [data-job='{second}']")).ToHaveCountAsync(1);
            await Assertions.Expect(page.Locator("#getting-started [data-step=fine-tune]")).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("done"));
            await page.GotoAsync("/notifications");
            await Assertions.Expect(page.Locator("#notification-list li[data-unread=true]")).ToHaveCountAsync(2);
            await page.ClickAsync("#mark-read-form button[type=submit]");
            await Assertions.Expect(page.Locator("#unread-count")).ToHaveCountAsync(0);

            // Compare: the epochs differ, the others not; both curves are drawn.
            var compare = $"/jobs/compare?id={first}&id={second}";
            await page.GotoAsync(compare);
            await Assertions.Expect(page.Locator("#compare-settings tr[data-setting='Epochs']")).ToHaveAttributeAsync("data-differs", "true");
            await Assertions.Expect(page.Locator("#compare-settings tr[data-setting='Batch size']")).ToHaveAttributeAsync("data-differs", "false");
            await Assertions.Expect(page.Locator("#compare-loss")).ToBeVisibleAsync();
            await Assertions.Expect(page.Locator("#compare-classes")).ToBeVisibleAsync();

            // The webhook: one signed delivery per ended job, logged as delivered.
            await page.GotoAsync("/settings/webhooks");
            await Assertions.Expect(page.Locator("#new-webhook-secret")).ToHaveCountAsync(0);
            for (var i = 0; i < 60 && await page.Locator("#delivery-log tr[data-state=delivered]").CountAsync() < 2; i++)
            {
                await Task.Delay(500);
                await page.ReloadAsync();
            }
            await Assertions.Expect(page.Locator("#delivery-log tr[data-state=delivered]")).ToHaveCountAsync(2);
            Assert.Equal(2, receiver.Requests.Count);
            Assert.All(receiver.Requests, r =>
                Assert.True(WebhookSignature.Verify(secret, r.Signature, r.Body, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5)), r.Body));
            Assert.Contains(receiver.Requests, r => r.Body.Contains(first.ToString(), StringComparison.Ordinal));

            // The model page: the mistakes with their scores, and the threshold slider.
            var model = $"/models/{first}";
            await page.GotoAsync(model);
            Assert.True(await page.Locator("#misclassified-table tbody tr").CountAsync() >= 1, "the mixed labels leave mistakes to show");
            await page.Locator("#threshold-range").FillAsync("0.9");
            await Assertions.Expect(page.Locator("#threshold-input")).ToHaveValueAsync("0.9");
            await page.ClickAsync("#threshold-apply");
            await Assertions.Expect(page.Locator("#threshold-value")).ToHaveAttributeAsync("data-threshold", "0.9");
            Assert.Contains("threshold=0.9", page.Url);

            // Batch prediction: a CSV classified by a job of its own; its result downloaded.
            await page.SetInputFilesAsync("#batch-file", new FilePayload
            {
                Name = "incoming.csv", MimeType = "text/csv",
                Buffer = Encoding.UTF8.GetBytes("id,text\nr1,\"Parcel arrived broken, refund please\"\nr2,\"Lovely, works great\"\n"),
            });
            await page.ClickAsync("#batch-submit");
            await Assertions.Expect(page.Locator("#download-predictions")).ToBeVisibleAsync(new() { Timeout = 300_000 });
            var download = await page.RunAndWaitForDownloadAsync(() => page.ClickAsync("#download-predictions"));
            var csv = await File.ReadAllTextAsync((await download.PathAsync())!);
            Assert.StartsWith("id,predicted_label,score_", csv);
            Assert.Contains("\nr1,", csv.ReplaceLineEndings("\n"));
            Assert.Contains("\nr2,", csv.ReplaceLineEndings("\n"));
            await page.GotoAsync(model);
            await Assertions.Expect(page.Locator("#batch-list tr[data-state=Succeeded] .batch-download")).ToHaveCountAsync(1);

            var wide = await PhoneAndDesktopAsync(page, "/", compare, model + "?threshold=0.9", "/settings/webhooks", "/notifications");
            Assert.True(wide.Count == 0, "phone width or accessibility: " + string.Join("; ", wide));
        }
        catch
        {
            await SaveFailureAsync(page, "depth");
            throw;
        }
    }

    /// <summary>On the job page the launch led to: waits until the job succeeded (the page loads afresh at its end) and returns its id.</summary>
    private static async Task<Guid> FinishedJobAsync(IPage page)
    {
        await Assertions.Expect(page.Locator(".job-state")).ToHaveCountAsync(1);
        Assert.Matches("/jobs/[0-9a-f-]{36}$", page.Url);
        var id = Guid.Parse(new Uri(page.Url).AbsolutePath.Split('/')[^1]);
        await Assertions.Expect(page.Locator("#view-model")).ToBeVisibleAsync(new() { Timeout = 300_000 });
        await Assertions.Expect(page.Locator(".job-state")).ToHaveAttributeAsync("data-state", "Succeeded");
        return id;
    }

    /// <summary>40 reviews in two classes, every third pair with swapped labels: no model gets them all right.</summary>
    private static string ReviewsCsv()
    {
        var csv = new StringBuilder("text,label\n");
        for (var i = 0; i < 20; i++)
        {
            var swap = i % 3 == 0;
            csv.Append($"\"Order {i} arrived broken, I want a refund\",{(swap ? "praise" : "complaint")}\n");
            csv.Append($"\"Release {i} is great, thanks a lot\",{(swap ? "complaint" : "praise")}\n");
        }
        return csv.ToString();
    }

    /// <summary>A webhook endpoint on a loopback port: records each request's signature header and body, answers 200.</summary>
    private sealed class Receiver : IDisposable
    {
        private readonly HttpListener _listener = new();

        public Receiver()
        {
            var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            var port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            Url = $"http://127.0.0.1:{port}/hooks/platform";
            _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
            _listener.Start();
            _ = ServeAsync();
        }

        public string Url { get; }

        public ConcurrentQueue<(string Signature, string Body)> Requests { get; } = new();

        private async Task ServeAsync()
        {
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await _listener.GetContextAsync();
                }
                catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
                {
                    return;
                }
                using var reader = new StreamReader(context.Request.InputStream);
                Requests.Enqueue((context.Request.Headers[WebhookSignature.Header] ?? "", await reader.ReadToEndAsync()));
                context.Response.StatusCode = 200;
                context.Response.Close();
            }
        }

        public void Dispose() => _listener.Stop();
    }
}
